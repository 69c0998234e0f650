/**
 * The memcached ASCII response parser: frames one server response at a
 * time, synchronously and incrementally.
 *
 * A response is one line (`STORED`, `NOT_STORED`, `EXISTS`, `NOT_FOUND`,
 * `DELETED`, `TOUCHED`, `OK`, `END`, an incr/decr result, `VERSION ...`,
 * `ERROR`, `CLIENT_ERROR ...`, `SERVER_ERROR ...`) or a list of
 * `VALUE <key> <flags> <bytes> [<cas>]` blocks, each followed by its
 * binary-safe data and CRLF, closed by `END` (an error line may close it
 * instead); `stats` replies are `STAT ...` lines closed by `END`, and
 * `stats cachedump` replies `ITEM ...` lines closed by `END`; `RESET`.
 * Meta replies: `HD`, `EN`, `NF`, `NS`, `EX` (each alone or followed by
 * flags), `MN`, `ME <key> ...`, and `VA <size> <flags>*` followed by its data
 * block and CRLF (one item, no `END`). Lines must end in CRLF. Anything else
 * means the connection can no longer be trusted: {@link FRAMING_ERROR}.
 *
 * @module
 */
import { FRAMING_ERROR, NEED_MORE, type ResponseParser } from "../types.ts";
import { MAX_LENGTH_FIELD, parseDecimal } from "./numbers.ts";

/** Longest response line accepted (memcached's own lines stay under 1 KiB). */
export const MAX_RESPONSE_LINE = 8192;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const ZERO = 0x30;
const NINE = 0x39;

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const VALUE = ascii("VALUE");
const END = ascii("END");
const STORED = ascii("STORED");
const NOT_STORED = ascii("NOT_STORED");
const NOT_FOUND = ascii("NOT_FOUND");
const EXISTS = ascii("EXISTS");
const DELETED = ascii("DELETED");
const TOUCHED = ascii("TOUCHED");
const OK = ascii("OK");
const VERSION = ascii("VERSION");
const ERROR = ascii("ERROR");
const CLIENT_ERROR = ascii("CLIENT_ERROR");
const SERVER_ERROR = ascii("SERVER_ERROR");
const RESET = ascii("RESET");
const STAT_SP = ascii("STAT ");
const ITEM_SP = ascii("ITEM ");

/** Whether `buf[start, end)` starts with `prefix`. */
function startsWith(buf: Uint8Array, start: number, end: number, prefix: Uint8Array): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[start + i] !== prefix[i]) return false;
  return true;
}

/** Whether `buf[start, end)` is the meta code `a b`, alone or followed by a space and flags. */
function isMetaCode(buf: Uint8Array, start: number, end: number, a: number, b: number): boolean {
  return buf[start] === a && buf[start + 1] === b &&
    (end - start === 2 || (end - start > 2 && buf[start + 2] === SP));
}

/**
 * The data length of a meta `VA <size> <flags>*` line `buf[start, end)`, or
 * -1 when the line is not one.
 */
export function metaValueLength(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 4 || buf[start] !== 0x56 || buf[start + 1] !== 0x41 || buf[start + 2] !== SP) {
    return -1;
  }
  let i = start + 3;
  while (i < end && buf[i] !== SP) i++;
  return parseDecimal(buf, start + 3, i, MAX_LENGTH_FIELD);
}

/** Whether `buf[start, end)` is exactly `word`. */
function isWord(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  if (end - start !== word.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[start + i] !== word[i]) return false;
  return true;
}

/** Whether `buf[start, end)` is `word`, alone or followed by a space and more. */
function startsWithWord(buf: Uint8Array, start: number, end: number, word: Uint8Array): boolean {
  const n = word.length;
  if (end - start < n || (end - start > n && buf[start + n] !== SP)) return false;
  for (let i = 0; i < n; i++) if (buf[start + i] !== word[i]) return false;
  return true;
}

const LIST_NONE = 0;
const LIST_VALUE = 1;
const LIST_STAT = 2;
const LIST_ITEM = 3;

/** What a line outside a VALUE list is: 0 a reply, 1 an error reply, -1 garbage. */
const LINE_REPLY = 0;
const LINE_ERROR = 1;
const LINE_GARBAGE = -1;

/** Classifies a single-line response `buf[start, end)` (CRLF excluded). */
function classifyLine(buf: Uint8Array, start: number, end: number): number {
  const c = buf[start];
  if (c === undefined || start >= end) return LINE_GARBAGE;
  if (c >= ZERO && c <= NINE) {
    // incr/decr result: up to 20 digits (memcached may not pad, be lenient on trailing spaces)
    let i = start;
    while (i < end && buf[i]! >= ZERO && buf[i]! <= NINE) i++;
    if (i - start > 20) return LINE_GARBAGE;
    while (i < end && buf[i] === SP) i++;
    return i === end ? LINE_REPLY : LINE_GARBAGE;
  }
  switch (c) {
    case 0x53: // S
      if (isWord(buf, start, end, STORED)) return LINE_REPLY;
      return startsWithWord(buf, start, end, SERVER_ERROR) ? LINE_ERROR : LINE_GARBAGE;
    case 0x4e: // N
      return isWord(buf, start, end, NOT_FOUND) || isWord(buf, start, end, NOT_STORED) ||
          isMetaCode(buf, start, end, 0x4e, 0x46) || isMetaCode(buf, start, end, 0x4e, 0x53)
        ? LINE_REPLY
        : LINE_GARBAGE;
    case 0x45: // E
      if (
        isWord(buf, start, end, END) || isWord(buf, start, end, EXISTS) ||
        isMetaCode(buf, start, end, 0x45, 0x4e) || isMetaCode(buf, start, end, 0x45, 0x58)
      ) {
        return LINE_REPLY;
      }
      return startsWithWord(buf, start, end, ERROR) ? LINE_ERROR : LINE_GARBAGE;
    case 0x48: // H
      return isMetaCode(buf, start, end, 0x48, 0x44) ? LINE_REPLY : LINE_GARBAGE;
    case 0x4d: // M: MN, ME <key> ...
      return (end - start === 2 && buf[start + 1] === 0x4e) ||
          (end - start > 3 && buf[start + 1] === 0x45 && buf[start + 2] === SP)
        ? LINE_REPLY
        : LINE_GARBAGE;
    case 0x52: // R
      return isWord(buf, start, end, RESET) ? LINE_REPLY : LINE_GARBAGE;
    case 0x44: // D
      return isWord(buf, start, end, DELETED) ? LINE_REPLY : LINE_GARBAGE;
    case 0x54: // T
      return isWord(buf, start, end, TOUCHED) ? LINE_REPLY : LINE_GARBAGE;
    case 0x4f: // O
      return isWord(buf, start, end, OK) ? LINE_REPLY : LINE_GARBAGE;
    case 0x56: // V
      return startsWithWord(buf, start, end, VERSION) ? LINE_REPLY : LINE_GARBAGE;
    case 0x43: // C
      return startsWithWord(buf, start, end, CLIENT_ERROR) ? LINE_ERROR : LINE_GARBAGE;
    default:
      return LINE_GARBAGE;
  }
}

/**
 * The data length declared by a `VALUE <key> <flags> <bytes> [<cas>]` line
 * `buf[start, end)` (CRLF excluded), or -1 when the line is not one.
 *
 * @example
 * ```ts
 * import { valueLength } from "./response_parser.ts";
 * const line = new TextEncoder().encode("VALUE k 0 5 42");
 * console.assert(valueLength(line, 0, line.length) === 5);
 * ```
 */
export function valueLength(buf: Uint8Array, start: number, end: number): number {
  if (end - start < 11 || buf[start + 5] !== SP) return -1;
  for (let i = 0; i < 5; i++) if (buf[start + i] !== VALUE[i]) return -1;
  let i = start + 6;
  const keyStart = i;
  while (i < end && buf[i] !== SP) i++;
  if (i === keyStart || i === end) return -1;
  const flagsStart = ++i;
  while (i < end && buf[i] !== SP) i++;
  if (i === end || parseDecimal(buf, flagsStart, i, 0xffffffff) < 0) return -1;
  const lengthStart = ++i;
  while (i < end && buf[i] !== SP) i++;
  const length = parseDecimal(buf, lengthStart, i, MAX_LENGTH_FIELD);
  if (length < 0) return -1;
  if (i < end) {
    // gets / gats: the cas unique, 1 to 20 digits
    const casStart = ++i;
    if (end - casStart < 1 || end - casStart > 20) return -1;
    for (; i < end; i++) if (buf[i]! < ZERO || buf[i]! > NINE) return -1;
  }
  return length;
}

/**
 * Parses memcached ASCII responses of one server connection.
 *
 * @example
 * ```ts
 * import { MemcacheResponseParser } from "./response_parser.ts";
 * const buf = new TextEncoder().encode("VALUE k 0 2\r\nhi\r\nEND\r\nSTORED\r\n");
 * const p = new MemcacheResponseParser();
 * console.assert(p.parse(buf, 0, buf.length) === 22);
 * console.assert(p.parse(buf, 22, buf.length) === buf.length);
 * ```
 */
export class MemcacheResponseParser implements ResponseParser {
  #needed = 0;
  #isError = false;
  /** Start of the line being read, relative to the response start. */
  #pos = 0;
  /** Bytes from the response start already searched for LF. */
  #scan = 0;
  /** Inside a VALUE, STAT or ITEM list: the list's kind, or LIST_NONE. */
  #list = LIST_NONE;
  /** The data block waited for is a meta `VA` item's: the response ends with it. */
  #metaValue = false;
  /** End (CRLF included) of the data block being waited for, or -1. */
  #dataEnd = -1;

  /** After NEED_MORE: lower bound of the total response length. */
  get needed(): number {
    return this.#needed;
  }

  /** Whether the response just framed is an error reply. */
  get isError(): boolean {
    return this.#isError;
  }

  /** Looks for one response in `buf[start, end)`. */
  parse(buf: Uint8Array, start: number, end: number): number {
    for (;;) {
      const dataEnd = this.#dataEnd;
      if (dataEnd >= 0) {
        if (end - start < dataEnd) {
          // The block, then (but for a meta item) at least `END\r\n`.
          this.#needed = this.#metaValue ? dataEnd : dataEnd + 5;
          return NEED_MORE;
        }
        if (buf[start + dataEnd - 2] !== CR || buf[start + dataEnd - 1] !== LF) {
          return this.#garbage();
        }
        if (this.#metaValue) {
          this.#reset();
          this.#isError = false;
          return start + dataEnd;
        }
        this.#pos = this.#scan = dataEnd;
        this.#dataEnd = -1;
      }
      const lineStart = start + this.#pos;
      let nl = -1;
      for (let i = start + this.#scan; i < end; i++) {
        if (buf[i] === LF) {
          nl = i;
          break;
        }
      }
      if (nl < 0) {
        if (end - lineStart > MAX_RESPONSE_LINE) return this.#garbage();
        this.#scan = end - start;
        this.#needed = this.#scan + 1;
        return NEED_MORE;
      }
      if (nl - lineStart > MAX_RESPONSE_LINE || nl === lineStart || buf[nl - 1] !== CR) {
        return this.#garbage();
      }
      const lineEnd = nl - 1;
      const next = nl + 1;
      this.#pos = this.#scan = next - start;
      const list = this.#list;
      const first = buf[lineStart];
      if (first === 0x56) {
        const length = valueLength(buf, lineStart, lineEnd);
        if (length >= 0 && (list === LIST_NONE || list === LIST_VALUE)) {
          this.#list = LIST_VALUE;
          this.#dataEnd = next - start + length + 2;
          continue;
        }
        const metaLength = list === LIST_NONE ? metaValueLength(buf, lineStart, lineEnd) : -1;
        if (metaLength >= 0) {
          this.#metaValue = true;
          this.#dataEnd = next - start + metaLength + 2;
          continue;
        }
      } else if (first === 0x53 && startsWith(buf, lineStart, lineEnd, STAT_SP)) {
        if (list !== LIST_NONE && list !== LIST_STAT) return this.#garbage();
        this.#list = LIST_STAT;
        continue;
      } else if (first === 0x49 && startsWith(buf, lineStart, lineEnd, ITEM_SP)) {
        if (list !== LIST_NONE && list !== LIST_ITEM) return this.#garbage();
        this.#list = LIST_ITEM;
        continue;
      }
      const kind = classifyLine(buf, lineStart, lineEnd);
      if (kind === LINE_GARBAGE) return this.#garbage();
      // In a list only END or an error line may follow its items.
      if (list !== LIST_NONE && kind === LINE_REPLY && !isWord(buf, lineStart, lineEnd, END)) {
        return this.#garbage();
      }
      this.#reset();
      this.#isError = kind === LINE_ERROR;
      return next;
    }
  }

  #reset(): void {
    this.#pos = 0;
    this.#scan = 0;
    this.#list = LIST_NONE;
    this.#metaValue = false;
    this.#dataEnd = -1;
    this.#needed = 0;
  }

  #garbage(): number {
    this.#reset();
    this.#isError = false;
    return FRAMING_ERROR;
  }
}
