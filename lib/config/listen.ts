/**
 * `listen:` values: `host:port`, `ip:port`, `::1:port` or `[::1]:port`
 * (IPv6), or an absolute unix socket path with an optional octal mode
 * (`/tmp/nutmeg.sock 0666`).
 *
 * @module
 */
import type { Address } from "./types.ts";
import { quote, ValueError } from "./errors.ts";
import { parseDecimal } from "./decimal.ts";
import { canonicalHost, checkHost, UNIX_PATH_MAX, utf8Length } from "./host.ts";

const TCP_EXAMPLE = "127.0.0.1:22121";

/**
 * Parses a `listen:` value. Like twemproxy, the port is what follows the
 * last `:` and the mode what follows the last space; a mode of 0 means "leave
 * the socket's permissions alone" and gives `mode: null`. Host names are
 * checked for syntax only (no DNS). Throws {@link ValueError}.
 *
 * @example
 * ```ts
 * import { parseListen } from "./listen.ts";
 * const a = parseListen("/tmp/nutmeg.sock 0666");
 * console.assert(a.transport === "unix" && a.mode === 0o666);
 * ```
 */
export function parseListen(text: string): Address {
  if (text.startsWith("/")) return parseUnixListen(text);
  if (text.startsWith("[")) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
    if (m === null) {
      throw new ValueError(`${quote(text)} is not a valid [IPv6]:port address`, "e.g. [::1]:22121");
    }
    const host = m[1] ?? "";
    if (!host.includes(":")) {
      throw new ValueError(
        `${quote(host)} is not an IPv6 address`,
        "write [::1]:22121, or host:port",
      );
    }
    checkHost(host, "[::1]:22121");
    return { transport: "tcp", host, port: parsePort(m[2] ?? "") };
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) {
    throw new ValueError(
      `${quote(text)} has no port`,
      `write host:port (e.g. ${TCP_EXAMPLE}) or an absolute unix socket path (e.g. /tmp/nutmeg.sock 0666)`,
    );
  }
  const host = text.slice(0, colon);
  const port = parsePort(text.slice(colon + 1));
  checkHost(host, TCP_EXAMPLE);
  return { transport: "tcp", host, port };
}

function parsePort(text: string): number {
  const port = parseDecimal(text);
  if (port === null || port < 1 || port > 65535) {
    throw new ValueError(`${quote(text)} is not a valid port`, "use a port from 1 to 65535");
  }
  return port;
}

function parseUnixListen(text: string): Address {
  const space = text.lastIndexOf(" ");
  const path = space < 0 ? text : text.slice(0, space);
  let mode: number | null = null;
  if (space >= 0) {
    const modeText = text.slice(space + 1);
    if (!/^[0-7]+$/.test(modeText)) {
      throw new ValueError(
        `${quote(modeText)} is not an octal file mode`,
        "write the path then the mode, e.g. /tmp/nutmeg.sock 0666, or leave the mode out",
      );
    }
    mode = parseInt(modeText, 8);
    if (mode > 0o777) {
      throw new ValueError(
        `file mode ${quote(modeText)} is above 0777`,
        "use 0 to 0777, e.g. 0666",
      );
    }
    if (mode === 0) mode = null;
  }
  if (/\s$/.test(path)) {
    throw new ValueError(
      `the socket path ${quote(path)} ends with a space`,
      "separate the path and the mode with exactly one space",
    );
  }
  if (utf8Length(path) > UNIX_PATH_MAX) {
    throw new ValueError(
      `the socket path is ${utf8Length(path)} bytes long`,
      `use a path of at most ${UNIX_PATH_MAX} bytes`,
    );
  }
  return { transport: "unix", path, mode };
}

/**
 * A key that is equal for two listen addresses that would bind the same
 * socket: canonical host and port, or the socket path (mode ignored).
 */
export function listenKey(address: Address): string {
  return address.transport === "unix"
    ? `unix:${address.path}`
    : `tcp:${canonicalHost(address.host)}:${address.port}`;
}
