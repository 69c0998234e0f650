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
/** `mn`: meta no-op. */
export const MN: Uint8Array = line("MN");
/** `ms` with 20 tokens or more. */
export const META_FLAGS_TOO_LONG: Uint8Array = line("CLIENT_ERROR options flags too long");

/** Status `Not supported` of the binary protocol. */
const BINARY_NOT_SUPPORTED = 0x0083;
const BINARY_MESSAGE = encoder.encode(
  "Not supported: nutmeg serves the memcached ASCII protocol only",
);

/**
 * A binary protocol response (magic 0x81) with status `Not supported`, the
 * request's `opcode` and `opaque` (4 bytes), and a message as its value.
 *
 * @example
 * ```ts
 * import { notSupportedBinary } from "./replies.ts";
 * const r = notSupportedBinary(0x00, new Uint8Array([0, 0, 0, 7]));
 * console.assert(r[0] === 0x81 && r[7] === 0x83 && r[15] === 7);
 * ```
 */
export function notSupportedBinary(opcode: number, opaque: Uint8Array): Uint8Array {
  const body = BINARY_MESSAGE.length;
  const out = new Uint8Array(24 + body);
  const view = new DataView(out.buffer);
  out[0] = 0x81;
  out[1] = opcode;
  view.setUint16(6, BINARY_NOT_SUPPORTED);
  view.setUint32(8, body);
  out.set(opaque.subarray(0, 4), 12);
  out.set(BINARY_MESSAGE, 24);
  return out;
}

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
