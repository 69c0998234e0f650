/**
 * `sentinels:` lines (`host:port`, `[::1]:port`), the form twemproxy's
 * notes/redis.md sketches for a key no twemproxy release implemented. With
 * sentinels, each `servers:` line names a Redis master and the sentinels
 * say where it is (see lib/pool/sentinel.ts).
 *
 * @module
 */
import type { SentinelConfig } from "./types.ts";
import { quote, ValueError } from "./errors.ts";
import { parseDecimal } from "./decimal.ts";
import { canonicalHost, checkHost } from "./host.ts";

const EXAMPLE = "127.0.0.1:26379";

/**
 * Parses one sentinel line. Throws {@link ValueError}.
 *
 * @example
 * ```ts
 * import { parseSentinel } from "./sentinel.ts";
 * console.assert(parseSentinel("[::1]:26379", 4).host === "::1");
 * ```
 */
export function parseSentinel(text: string, line: number): SentinelConfig {
  let hostText: string;
  let portText: string;
  const bracket = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  if (bracket !== null) {
    hostText = bracket[1] ?? "";
    portText = bracket[2] ?? "";
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0 || text.includes(" ")) {
      throw new ValueError(
        `${quote(text)} is not host:port`,
        `write a sentinel as host:port, e.g. ${EXAMPLE}`,
      );
    }
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  const port = parseDecimal(portText);
  if (port === null || port < 1 || port > 65535) {
    throw new ValueError(`${quote(portText)} is not a valid port`, "use a port from 1 to 65535");
  }
  checkHost(hostText, EXAMPLE);
  return { host: hostText, port, spec: text, line };
}

/** Null when no sentinel is listed twice, else the index of the repeat and why. */
export function checkSentinels(
  sentinels: readonly SentinelConfig[],
): { index: number; error: ValueError } | null {
  const seen = new Map<string, SentinelConfig>();
  for (const [index, s] of sentinels.entries()) {
    const key = `${canonicalHost(s.host)}:${s.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      return {
        index,
        error: new ValueError(
          `sentinel ${quote(s.spec)} is already listed on line ${first.line}`,
          "list each sentinel once",
        ),
      };
    }
    seen.set(key, s);
  }
  return null;
}
