/**
 * `servers:` lines: `host:port:weight [name]` and `/unix/path:weight [name]`,
 * the server naming rule, and the order twemproxy keeps servers in.
 *
 * @module
 */
import type { Address, ServerConfig } from "./types.ts";
import { quote, ValueError } from "./errors.ts";
import { INT_MAX, parseDecimal } from "./decimal.ts";
import { checkHost, UNIX_PATH_MAX, utf8Length } from "./host.ts";

/** Port that twemproxy leaves out of default server names (libmemcached's habit). */
export const KETAMA_DEFAULT_PORT = 11211;

const TCP_EXAMPLE = "127.0.0.1:6379:1";
const FORMAT_HINT = "write host:port:weight [name] (e.g. 127.0.0.1:6379:1 redis-a) " +
  "or /path/to.sock:weight [name]";

/**
 * Parses one server line as twemproxy does, from the right: the name follows
 * the last space, the weight the last `:`, the port the `:` before it.
 * Without a name the server is named `host:port` as written (`host` alone for
 * port 11211); `name:weight` names a Redis master whose address comes from
 * the pool's sentinels (address null; a pool rule refuses it without
 * `sentinels:`); a unix server is named by its path followed by `:`, exactly
 * as twemproxy 0.5.0 names it (`/tmp/redis.sock:`). Throws {@link ValueError}.
 *
 * @example
 * ```ts
 * import { parseServer } from "./server.ts";
 * console.assert(parseServer("127.0.0.1:11211:1", 3).name === "127.0.0.1");
 * console.assert(parseServer("127.0.0.1:6379:2 a", 3).name === "a");
 * ```
 */
export function parseServer(text: string, line: number): ServerConfig {
  let rest = text;
  let name: string | null = null;
  const space = text.lastIndexOf(" ");
  if (space >= 0) {
    name = text.slice(space + 1);
    rest = text.slice(0, space);
    if (name === "") {
      throw new ValueError(
        `${quote(text)} ends with a space but has no name after it`,
        "remove the trailing space or write a name, e.g. 127.0.0.1:6379:1 redis-a",
      );
    }
  }
  if (rest.startsWith("/")) return parseUnixServer(text, rest, name, line);

  const weightColon = rest.lastIndexOf(":");
  const portColon = weightColon < 0 ? -1 : rest.lastIndexOf(":", weightColon - 1);
  const master = rest.slice(0, weightColon);
  if (portColon < 0 && weightColon > 0 && name === null && !/^[0-9.]+$/.test(master)) {
    // `name:weight`: a master whose address the pool's sentinels give.
    const weight = parseWeight(rest.slice(weightColon + 1));
    return { name: master, spec: text, address: null, weight, line };
  }
  if (portColon < 0) {
    throw new ValueError(`${quote(text)} needs a host, a port and a weight`, FORMAT_HINT);
  }
  const hostText = rest.slice(0, portColon);
  const portText = rest.slice(portColon + 1, weightColon);
  const weight = parseWeight(rest.slice(weightColon + 1));
  const port = parseDecimal(portText);
  if (port === null || port < 1 || port > 65535) {
    throw new ValueError(`${quote(portText)} is not a valid port`, "use a port from 1 to 65535");
  }
  let host = hostText;
  if (hostText.startsWith("[") && hostText.endsWith("]")) {
    host = hostText.slice(1, -1);
    if (!host.includes(":")) {
      throw new ValueError(
        `${quote(host)} is not an IPv6 address`,
        `e.g. [::1]:6379:1, or ${TCP_EXAMPLE}`,
      );
    }
  } else if (hostText.includes(":") && !hostText.startsWith("[")) {
    checkHostOrFormat(hostText, text);
  }
  checkHost(host, TCP_EXAMPLE);
  const address: Address = { transport: "tcp", host, port };
  const defaultName = port === KETAMA_DEFAULT_PORT ? hostText : `${hostText}:${portText}`;
  return { name: name ?? defaultName, spec: text, address, weight, line };
}

function checkHostOrFormat(hostText: string, text: string): void {
  try {
    checkHost(hostText, TCP_EXAMPLE);
  } catch {
    throw new ValueError(
      `${quote(text)} has too many ':' fields (${
        quote(hostText)
      } is not a host name or IPv6 address)`,
      FORMAT_HINT,
    );
  }
}

function parseUnixServer(
  text: string,
  rest: string,
  name: string | null,
  line: number,
): ServerConfig {
  const colon = rest.lastIndexOf(":");
  if (colon < 0) {
    throw new ValueError(
      `${quote(text)} has no weight`,
      "write /path/to.sock:weight [name], e.g. /tmp/redis.sock:1",
    );
  }
  const path = rest.slice(0, colon);
  const weight = parseWeight(rest.slice(colon + 1));
  if (path.includes(":")) {
    throw new ValueError(
      `the unix socket path ${quote(path)} contains ':'`,
      "twemproxy cannot read such paths; use a path without ':'",
    );
  }
  if (utf8Length(path) > UNIX_PATH_MAX) {
    throw new ValueError(
      `the socket path is ${utf8Length(path)} bytes long`,
      `use a path of at most ${UNIX_PATH_MAX} bytes`,
    );
  }
  const address: Address = { transport: "unix", path, mode: null };
  return { name: name ?? `${path}:`, spec: text, address, weight, line };
}

function parseWeight(text: string): number {
  const weight = parseDecimal(text);
  if (weight === 0) {
    throw new ValueError("the weight is 0", "use a weight of 1 or more");
  }
  if (weight === null) {
    const spaces = text.includes(" ") ? "; a server name cannot contain spaces" : "";
    throw new ValueError(
      `${quote(text)} is not a valid weight`,
      `use a whole number from 1 to ${INT_MAX}${spaces}`,
    );
  }
  return weight;
}

/**
 * Orders server names as twemproxy sorts its server array after loading:
 * shorter UTF-8 byte length first, then bytewise. twemproxy's modula
 * distribution and its stats output follow this order, not the file's.
 */
export function compareServerNames(a: string, b: string): number {
  const encoder = new TextEncoder();
  return compareBytes(encoder.encode(a), encoder.encode(b));
}

/**
 * `servers` in {@link compareServerNames} order (stable), each name encoded
 * once rather than at every comparison.
 */
export function sortServersByName<T extends { readonly name: string }>(
  servers: readonly T[],
): T[] {
  const encoder = new TextEncoder();
  const keyed = servers.map((server) => ({ server, bytes: encoder.encode(server.name) }));
  keyed.sort((x, y) => compareBytes(x.bytes, y.bytes));
  return keyed.map((k) => k.server);
}

/** Shorter first, then bytewise. */
function compareBytes(x: Uint8Array, y: Uint8Array): number {
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
