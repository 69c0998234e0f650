/**
 * Replies the proxy writes itself: memcached 1.6.18's exact error lines for
 * bad input, and the builders for `version`, `stats` and forwarding errors.
 * The constants are shared and must never be written to.
 *
 * @module
 */

const encoder = new TextEncoder();
const line = (s: string): Uint8Array => encoder.encode(s + "\r\n");

/** No bytes: the reply to a `noreply` request whose error memcached keeps quiet. */
export const EMPTY: Uint8Array = new Uint8Array(0);
/** Unknown command, or a known one with the wrong number of arguments. */
export const ERROR: Uint8Array = line("ERROR");
/** Malformed line: bad number, key over 250 bytes or with control characters. */
export const BAD_FORMAT: Uint8Array = line("CLIENT_ERROR bad command line format");
/** A data block that does not end in CRLF. */
export const BAD_DATA_CHUNK: Uint8Array = line("CLIENT_ERROR bad data chunk");
/** `delete` with arguments other than `0` and `noreply`. */
export const BAD_DELETE: Uint8Array = line(
  "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]",
);
/** `touch`, `gat`, `gats`, `flush_all` with a bad exptime. */
export const BAD_EXPTIME: Uint8Array = line("CLIENT_ERROR invalid exptime argument");
/** `incr` / `decr` with a bad delta. */
export const BAD_DELTA: Uint8Array = line("CLIENT_ERROR invalid numeric delta argument");
/** A data block no memcached can store (over its 1 GiB item size ceiling). */
export const TOO_LARGE: Uint8Array = line("SERVER_ERROR object too large for cache");
/** A command line that never ends (the proxy then closes the connection). */
export const LINE_TOO_LONG: Uint8Array = line("CLIENT_ERROR line too long");
/** `gat` / `gats` with an exptime and no key. */
export const END: Uint8Array = line("END");
/** Success of `flush_all` and `verbosity`. */
export const OK: Uint8Array = line("OK");

/** Text safe to put inside a reply line: CR and LF become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/**
 * `SERVER_ERROR <reason>\r\n`: the reply to a request that could not be
 * forwarded or answered by its server.
 *
 * @example
 * ```ts
 * import { serverError } from "./replies.ts";
 * const text = new TextDecoder().decode(serverError("Connection refused"));
 * console.assert(text === "SERVER_ERROR Connection refused\r\n");
 * ```
 */
export function serverError(reason: string): Uint8Array {
  return line("SERVER_ERROR " + oneLine(reason));
}

/** `VERSION <version>\r\n`. */
export function versionReply(version: string): Uint8Array {
  return line("VERSION " + oneLine(version));
}

/**
 * `STAT <name> <value>\r\n` for each entry, then `END\r\n`. Spaces in names
 * become underscores so that every line keeps memcached's three fields.
 */
export function statsReply(stats: Iterable<readonly [string, string | number]>): Uint8Array {
  let text = "";
  for (const [name, value] of stats) {
    text += `STAT ${oneLine(name).replace(/ /g, "_")} ${oneLine(String(value))}\r\n`;
  }
  return encoder.encode(text + "END\r\n");
}
