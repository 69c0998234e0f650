/**
 * RESP encoding for what the proxy writes itself: local replies, error
 * replies, and requests it builds (fragments, inline commands re-encoded,
 * the backend handshake). Sizes are computed first and the bytes written
 * once into one buffer.
 *
 * @module
 */
import { RESP_ARRAY, RESP_BULK } from "./type_bytes.ts";
import { copyInto } from "../../bytes/copy.ts";

const utf8 = new TextEncoder();

/** Number of decimal digits of a non-negative integer. */
export function digitsOf(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes the decimal form of a non-negative integer at `pos`; returns the position after it. */
export function writeDecimal(out: Uint8Array, pos: number, n: number): number {
  const end = pos + digitsOf(n);
  let p = end;
  do {
    out[--p] = 48 + (n % 10);
    n = Math.floor(n / 10);
  } while (n > 0);
  return end;
}

/** Size of a RESP bulk string header plus data plus CRLF for `len` bytes of data. */
export function bulkSize(len: number): number {
  return 1 + digitsOf(len) + 2 + len + 2;
}

/** Writes `$<len>\r\n<data>\r\n` for `src[s, e)` at `pos`; returns the position after it. */
export function writeBulk(
  out: Uint8Array,
  pos: number,
  src: Uint8Array,
  s: number,
  e: number,
): number {
  out[pos++] = RESP_BULK;
  pos = writeDecimal(out, pos, e - s);
  out[pos++] = 13;
  out[pos++] = 10;
  copyInto(out, pos, src, s, e);
  pos += e - s;
  out[pos++] = 13;
  out[pos++] = 10;
  return pos;
}

/** Writes `<type><n>\r\n` (an array or integer header) at `pos`; returns the position after it. */
export function writeHeader(out: Uint8Array, pos: number, type: number, n: number): number {
  out[pos++] = type;
  if (n < 0) {
    out[pos++] = 45;
    n = -n;
  }
  pos = writeDecimal(out, pos, n);
  out[pos++] = 13;
  out[pos++] = 10;
  return pos;
}

/** Size of `<type><n>\r\n`. */
export function headerSize(n: number): number {
  return 1 + (n < 0 ? 1 + digitsOf(-n) : digitsOf(n)) + 2;
}

/** Text or bytes; text is written as UTF-8. */
export type Bytes = string | Uint8Array;

function toBytes(b: Bytes): Uint8Array {
  return typeof b === "string" ? utf8.encode(b) : b;
}

/** CR and LF turned into spaces, as Redis does in error and status lines. */
function oneLine(b: Uint8Array): Uint8Array {
  if (b.indexOf(13) < 0 && b.indexOf(10) < 0) return b;
  const out = b.slice();
  for (let i = 0; i < out.length; i++) if (out[i] === 13 || out[i] === 10) out[i] = 32;
  return out;
}

/** A client's RESP version: 2 until it sends HELLO 3. */
export type RespVersion = 2 | 3;

/**
 * Builds one RESP reply from parts, then writes it once, in the client's
 * RESP version: maps, sets, nulls and verbatim strings are RESP3's own
 * types for a RESP3 client and their RESP2 forms (flat arrays, `$-1`, bulk
 * strings) otherwise, as redis-server writes them.
 *
 * @example
 * ```ts
 * import { ReplyBuilder } from "./encode.ts";
 * const reply = new ReplyBuilder().array(2).bulk("a").integer(1).finish();
 * // *2\r\n$1\r\na\r\n:1\r\n
 * ```
 */
export class ReplyBuilder {
  #parts: Uint8Array[] = [];
  #size = 0;
  /** The RESP version the reply is for. */
  readonly resp: RespVersion;

  /** A builder of a reply for a client speaking RESP `resp`. */
  constructor(resp: RespVersion = 2) {
    this.resp = resp;
  }

  /** Appends raw bytes. */
  raw(b: Uint8Array): this {
    this.#parts.push(b);
    this.#size += b.length;
    return this;
  }

  /** `+<text>` (CR/LF become spaces). */
  simple(text: Bytes): this {
    return this.#line(43, toBytes(text));
  }

  /** `-<text>` (CR/LF become spaces); the text includes the code, e.g. `ERR ...`. */
  error(text: Bytes): this {
    return this.#line(45, toBytes(text));
  }

  /** `:<n>`. */
  integer(n: number): this {
    return this.#line(58, utf8.encode(String(n)));
  }

  /** `$<len>` and the bytes, or the null for null. */
  bulk(b: Bytes | null): this {
    if (b === null) return this.null();
    const data = toBytes(b);
    const out = new Uint8Array(bulkSize(data.length));
    writeBulk(out, 0, data, 0, data.length);
    return this.raw(out);
  }

  /** `*<n>`: n values follow. */
  array(n: number): this {
    const out = new Uint8Array(headerSize(n));
    writeHeader(out, 0, RESP_ARRAY, n);
    return this.raw(out);
  }

  /** A map of n pairs: `%<n>` (RESP3) or `*<2n>` (RESP2); n keys and values follow. */
  map(n: number): this {
    if (this.resp === 2) return this.array(2 * n);
    return this.#header(37, n);
  }

  /** A set: `~<n>` (RESP3) or `*<n>` (RESP2); n values follow. */
  set(n: number): this {
    return this.resp === 2 ? this.array(n) : this.#header(126, n);
  }

  /** The null: `_` (RESP3) or `$-1` (RESP2). */
  null(): this {
    return this.raw(this.resp === 2 ? NULL_BULK : NULL3);
  }

  /** A verbatim text (`=<len>\r\ntxt:...`, RESP3) or a bulk string (RESP2). */
  verbatim(text: Bytes): this {
    if (this.resp === 2) return this.bulk(text);
    const data = toBytes(text);
    const out = new Uint8Array(bulkSize(data.length + 4));
    let pos = writeHeader(out, 0, 61, data.length + 4);
    out.set(TXT, pos);
    out.set(data, pos + 4);
    pos += data.length + 4;
    out[pos++] = 13;
    out[pos] = 10;
    return this.raw(out);
  }

  #header(type: number, n: number): this {
    const out = new Uint8Array(headerSize(n));
    writeHeader(out, 0, type, n);
    return this.raw(out);
  }

  /** The reply. */
  finish(): Uint8Array {
    if (this.#parts.length === 1) return this.#parts[0]!;
    const out = new Uint8Array(this.#size);
    let pos = 0;
    for (const p of this.#parts) {
      out.set(p, pos);
      pos += p.length;
    }
    return out;
  }

  #line(type: number, text: Uint8Array): this {
    const body = oneLine(text);
    const out = new Uint8Array(body.length + 3);
    out[0] = type;
    out.set(body, 1);
    out[body.length + 1] = 13;
    out[body.length + 2] = 10;
    return this.raw(out);
  }
}

/** `$-1\r\n`. */
export const NULL_BULK: Uint8Array = utf8.encode("$-1\r\n");
/** `_\r\n`: RESP3's null. */
export const NULL3: Uint8Array = utf8.encode("_\r\n");
const TXT = utf8.encode("txt:");
/** `+OK\r\n`. */
export const OK: Uint8Array = utf8.encode("+OK\r\n");
/** An empty reply: nothing is written. */
export const NOTHING: Uint8Array = new Uint8Array(0);

/** `-<text>\r\n`: an error reply (text starts with the code: `ERR ...`). */
export function errorReply(text: Bytes): Uint8Array {
  return new ReplyBuilder().error(text).finish();
}

/** A command as a RESP array of bulk strings. */
export function encodeCommand(args: readonly Bytes[]): Uint8Array {
  const b = new ReplyBuilder().array(args.length);
  for (const a of args) b.bulk(a);
  return b.finish();
}
