/**
 * The memcached ASCII request parser: frames one request at a time from a
 * client's bytes, synchronously and incrementally, and checks it the way
 * memcached 1.6.18 does, so that the proxy answers bad input with
 * memcached's own reply and forwards only what a server reads the same way.
 *
 * Framing follows memcached: a command line ends at LF (a CR before it is
 * dropped); tokens are separated by spaces only; storage commands carry a
 * data block of the declared length plus CRLF. The parser keeps its place
 * between calls (it scans each byte of a line once, and waits for a data
 * block without looking at it), so a request split over many reads costs
 * linear time.
 *
 * memcached ends a command line at its first NUL byte (it reads the line as
 * a C string): so does the parser, and the forwarded bytes make the server
 * cut the line at the same place.
 *
 * A storage line memcached refuses before reading its data block (bad key,
 * flags, exptime, length or cas unique) has no data block: the bytes after
 * the line are read as the next commands, as memcached reads them. A block
 * too large for any memcached (above 1 GiB) is answered `SERVER_ERROR object
 * too large for cache` and swallowed as it streams by, never held.
 *
 * Meta commands (`mg`, `ms`, `md`, `ma`, `me`, `mn`) are framed as memcached
 * frames them: a line, and for `ms` a data block of `<datalen>` + 2 bytes
 * once the line is good enough for memcached to read it (key, datalen, at
 * most 19 tokens); the flags are the server's business. The parser notes
 * the `q` (quiet) and `b` (base64 key) flags for the protocol.
 *
 * A request starting with byte 0x80 is the binary protocol, which the proxy
 * does not serve: it gets a binary `Not supported` response, then the
 * connection closes (with a reason for the log).
 *
 * Where the proxy deliberately differs from memcached:
 * - a line of more than 2048 bytes is refused and the connection closed
 *   whatever the read sizes (memcached does so only when 2048 bytes arrive
 *   without LF), except `get`/`gets` lines, capped at 16 MiB;
 * - the binary protocol, above.
 *
 * @module
 */
import { FRAMING_ERROR, NEED_MORE, type RequestParser } from "../types.ts";
import { type CommandSpec, findCommand, Kind } from "./commands.ts";
import { dataLengthToken, isSignedToken, isUnsignedToken } from "./numbers.ts";
import {
  BAD_DELETE,
  BAD_DELTA,
  BAD_EXPTIME,
  BAD_FORMAT,
  EMPTY,
  END,
  ERROR,
  LINE_TOO_LONG,
  META_FLAGS_TOO_LONG,
  MN,
  notSupportedBinary,
  TOO_LARGE,
} from "./replies.ts";

/** Longest key memcached accepts. */
export const MAX_KEY_LENGTH = 250;
/** Longest command line (bytes before its LF) other than get/gets. */
export const MAX_LINE = 2048;
/** Longest get/gets line. */
export const MAX_GET_LINE = 16 << 20;
/** Largest data block forwarded: memcached's item size ceiling (`-I`) is 1 GiB. */
export const MAX_VALUE_LENGTH = 1 << 30;
/** memcached tokenizes at most this many tokens of a line. */
const MAX_TOKENS = 23;
/** Meta commands with this many tokens or more are refused by memcached ("options flags too long"). */
export const MAX_META_TOKENS = 20;
/** First byte of a binary protocol request. */
const BINARY_MAGIC = 0x80;
/** Size of a binary protocol header. */
const BINARY_HEADER = 24;
const FLAG_Q = 0x71;
const FLAG_B = 0x62;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const NOREPLY = new TextEncoder().encode("noreply");
const HTTP = new TextEncoder().encode("HTTP/");
/** First bytes of the commands memcached checks before its `HTTP/` test. */
const EARLY_FIRST = new Set([..."gsacidt"].map((c) => c.charCodeAt(0)));

const PHASE_LINE = 0;
const PHASE_DATA = 1;
const PHASE_SWALLOW = 2;

/**
 * Parses memcached ASCII requests. After `parse()` returns an offset, the
 * getters describe the request until the next call: either `reply` (the
 * proxy answers it, e.g. an error) or `command` with its tokens.
 *
 * @example
 * ```ts
 * import { MemcacheRequestParser } from "./request_parser.ts";
 * const buf = new TextEncoder().encode("get a b\r\n");
 * const p = new MemcacheRequestParser();
 * console.assert(p.parse(buf, 0, buf.length) === buf.length);
 * console.assert(p.command?.name === "get" && p.tokenCount === 3);
 * ```
 */
/** Shared empty token array of parsers that have not parsed anything yet. */
const NO_TOKENS = new Int32Array(0);

export class MemcacheRequestParser implements RequestParser {
  #needed = 0;
  #error: Uint8Array | null = null;
  #reason: string | null = null;
  #command: CommandSpec | null = null;
  #reply: Uint8Array | null = null;
  #noreply = false;
  /** Token offsets relative to the request start: start, end, start, end, ... */
  // Token offsets, allocated on the first request (idle clients cost none).
  #tokens: Int32Array = NO_TOKENS;
  #tokenCount = 0;
  #firstKey = 1;
  #argToken = -1;
  #dataStart = 0;
  #total = 0;
  #phase = PHASE_LINE;
  /** Bytes of the current line already searched for LF. */
  #scan = 0;
  /** Whether the current line was found to be a get/gets allowed to be long. */
  #longGet = false;
  /** Bytes of a refused data block still to swallow. */
  #swallow = 0;
  /** Meta commands: token index of the one `q` flag, or -1 (none, or several). */
  #quietToken = -1;
  /** Meta commands: whether a `b` flag says the key is base64. */
  #base64 = false;

  /** After NEED_MORE: at least this many bytes from `start` are needed. */
  get needed(): number {
    return this.#needed;
  }

  /** After FRAMING_ERROR: the reply to send before closing (may be empty). */
  get error(): Uint8Array | null {
    return this.#error;
  }

  /** After FRAMING_ERROR: why the connection closes, for the log (null: no reason given). */
  get reason(): string | null {
    return this.#reason;
  }

  /** The command of the request just parsed; null when `reply` answers it. */
  get command(): CommandSpec | null {
    return this.#command;
  }

  /** The reply the proxy gives itself (an error, or nothing for a quiet one), or null. */
  get reply(): Uint8Array | null {
    return this.#reply;
  }

  /** Whether the request ends in `noreply` (the last token). */
  get noreply(): boolean {
    return this.#noreply;
  }

  /**
   * The tokens of the command line, as offsets relative to the request
   * start: token `i` is `[tokens[2i], tokens[2i+1])`. Reused across requests.
   */
  get tokens(): Int32Array {
    return this.#tokens;
  }

  /** Number of tokens, the command name included. */
  get tokenCount(): number {
    return this.#tokenCount;
  }

  /** Index of the token holding the (first) key. */
  get firstKey(): number {
    return this.#firstKey;
  }

  /** Index of the level (verbosity), delay (flush_all) or exptime (gat) token, or -1. */
  get argToken(): number {
    return this.#argToken;
  }

  /**
   * Meta commands: index of the token holding the request's only `q` flag,
   * or -1. With two or more, memcached answers `CLIENT_ERROR duplicate
   * flag` whatever the quiet mode says, so the request needs no filter.
   */
  get quietToken(): number {
    return this.#quietToken;
  }

  /** Meta commands: whether the key is base64 (a `b` flag; `me`: the third token is `b`). */
  get base64(): boolean {
    return this.#base64;
  }

  /** Offset of the data block from the request start; the request length when there is none. */
  get dataStart(): number {
    return this.#dataStart;
  }

  /** Looks for one request in `buf[start, end)`. */
  parse(buf: Uint8Array, start: number, end: number): number {
    if (this.#phase !== PHASE_LINE) {
      return this.#phase === PHASE_DATA ? this.#data(start, end) : this.#swallowData(start, end);
    }
    if (buf[start] === BINARY_MAGIC && this.#scan === 0) return this.#binary(buf, start, end);
    let nl = -1;
    for (let i = start + this.#scan; i < end; i++) {
      if (buf[i] === LF) {
        nl = i;
        break;
      }
    }
    if (nl < 0) {
      const have = end - start;
      this.#scan = have;
      if (have > MAX_LINE && !this.#mayBeLong(buf, start, have)) {
        return this.#framing(LINE_TOO_LONG);
      }
      this.#needed = have + 1;
      return NEED_MORE;
    }
    const lineLength = nl - start;
    if (lineLength > MAX_LINE && !this.#mayBeLong(buf, start, lineLength)) {
      return this.#framing(LINE_TOO_LONG);
    }
    this.#scan = 0;
    this.#longGet = false;
    this.#needed = 0;
    const contentEnd = lineLength > 1 && buf[nl - 1] === CR ? nl - 1 : nl;
    return this.#line(buf, start, contentEnd, nl + 1, end);
  }

  /** Forgets partial state (after a framing error). */
  #reset(): void {
    this.#phase = PHASE_LINE;
    this.#scan = 0;
    this.#longGet = false;
    this.#needed = 0;
    this.#swallow = 0;
    this.#error = null;
    this.#reason = null;
  }

  /**
   * A binary protocol request: once its 24-byte header is in, a binary
   * response `Not supported` with the request's opcode and opaque, then
   * close. memcached itself would serve it; the proxy serves ASCII only.
   */
  #binary(buf: Uint8Array, start: number, end: number): number {
    if (end - start < BINARY_HEADER) {
      this.#needed = BINARY_HEADER;
      return NEED_MORE;
    }
    const reply = notSupportedBinary(buf[start + 1]!, buf.subarray(start + 12, start + 16));
    const result = this.#framing(reply);
    this.#reason = "binary protocol request (first byte 0x80): nutmeg serves the memcached " +
      "ASCII protocol only; configure the client for ASCII (pylibmc: binary=False)";
    return result;
  }

  /** Swallows a refused data block as it streams by (nothing is sent for it). */
  #swallowData(start: number, end: number): number {
    const take = Math.min(end - start, this.#swallow);
    this.#swallow -= take;
    if (this.#swallow === 0) this.#phase = PHASE_LINE;
    this.#command = null;
    this.#reply = EMPTY;
    return start + take;
  }

  /**
   * memcached lets a line grow past 2048 bytes only when, after at most 100
   * spaces, it starts with `get ` or `gets `. Lines are capped at 16 MiB.
   */
  #mayBeLong(buf: Uint8Array, start: number, length: number): boolean {
    if (length > MAX_GET_LINE) return false;
    if (this.#longGet) return true;
    let i = start;
    while (i - start <= 100 && buf[i] === SP) i++;
    if (i - start > 100) return false;
    const ok = buf[i] === 0x67 && buf[i + 1] === 0x65 && buf[i + 2] === 0x74 &&
      (buf[i + 3] === SP || (buf[i + 3] === 0x73 && buf[i + 4] === SP));
    this.#longGet = ok;
    return ok;
  }

  #framing(reply: Uint8Array): number {
    this.#reset();
    this.#error = reply;
    return FRAMING_ERROR;
  }

  /** Ends a request the proxy answers itself. */
  #local(reply: Uint8Array, end: number): number {
    this.#reply = reply;
    return end;
  }

  /**
   * Splits `buf[start, contentEnd)` into tokens, up to its first NUL byte
   * (where memcached's C string ends); returns their number.
   */
  #tokenize(buf: Uint8Array, start: number, contentEnd: number): number {
    let t = this.#tokens;
    let n = 0;
    let i = start;
    let end = contentEnd;
    while (i < end) {
      if (buf[i] === SP) {
        i++;
        continue;
      }
      const s = i;
      // One comparison per byte: NUL and space are both <= SP.
      while (i < end) {
        const d = buf[i]!;
        if (d > SP) {
          i++;
        } else if (d === SP) {
          break;
        } else if (d === 0) {
          end = i;
        } else {
          i++;
        }
      }
      if (i === s) break; // a NUL where a token would start
      if (2 * n + 2 > t.length) {
        const grown = new Int32Array(Math.max(64, t.length * 2));
        grown.set(t);
        this.#tokens = t = grown;
      }
      t[2 * n] = s - start;
      t[2 * n + 1] = i - start;
      n++;
    }
    return n;
  }

  /** Whether token `i` is a valid key: at most 250 bytes (the tokenizer stops at NUL). */
  #isKey(_buf: Uint8Array, _start: number, i: number): boolean {
    const t = this.#tokens;
    return t[2 * i + 1]! - t[2 * i]! <= MAX_KEY_LENGTH;
  }

  /** Whether token `i` is exactly `word`. */
  #is(buf: Uint8Array, start: number, i: number, word: Uint8Array): boolean {
    const t = this.#tokens;
    const s = start + t[2 * i]!;
    if (t[2 * i + 1]! - t[2 * i]! !== word.length) return false;
    for (let j = 0; j < word.length; j++) if (buf[s + j] !== word[j]) return false;
    return true;
  }

  #unsigned(buf: Uint8Array, start: number, i: number): boolean {
    const t = this.#tokens;
    return isUnsignedToken(buf, start + t[2 * i]!, start + t[2 * i + 1]!);
  }

  #signed(buf: Uint8Array, start: number, i: number): boolean {
    const t = this.#tokens;
    return isSignedToken(buf, start + t[2 * i]!, start + t[2 * i + 1]!);
  }

  /** Checks a complete command line `buf[start, contentEnd)`; the line ends at `lineEnd`. */
  #line(buf: Uint8Array, start: number, contentEnd: number, lineEnd: number, end: number): number {
    this.#command = null;
    this.#reply = null;
    this.#noreply = false;
    this.#firstKey = 1;
    this.#argToken = -1;
    this.#quietToken = -1;
    this.#base64 = false;
    this.#dataStart = lineEnd - start;
    const n = this.#tokenize(buf, start, contentEnd);
    this.#tokenCount = n;
    const t = this.#tokens;
    if (n === 0 || t[1]! - t[0]! < 2) return this.#local(ERROR, lineEnd);
    const command = findCommand(buf, start + t[0]!, start + t[1]!);
    if (command === null) return this.#unknown(buf, start, lineEnd);
    const args = n - 1;
    if (args < command.minArgs || args > command.maxArgs) return this.#local(ERROR, lineEnd);
    this.#command = command;
    const last = n - 1;
    switch (command.kind) {
      case Kind.Storage:
      case Kind.Cas:
        return this.#storage(buf, start, lineEnd, end, command.kind === Kind.Cas);
      case Kind.Retrieval:
        for (let i = 1; i < n; i++) {
          if (!this.#isKey(buf, start, i)) return this.#local(BAD_FORMAT, lineEnd);
        }
        return lineEnd;
      case Kind.RetrievalTouch:
        if (!this.#signed(buf, start, 1)) return this.#local(BAD_EXPTIME, lineEnd);
        this.#argToken = 1;
        this.#firstKey = 2;
        if (n === 2) return this.#local(END, lineEnd);
        for (let i = 2; i < n; i++) {
          if (!this.#isKey(buf, start, i)) return this.#local(BAD_FORMAT, lineEnd);
        }
        return lineEnd;
      case Kind.Delete: {
        // memcached: `delete <key> [0] [noreply]`, the legacy hold time only as 0.
        if (args >= 2) {
          const noreply = this.#noreply = this.#is(buf, start, last, NOREPLY);
          const holdIsZero = t[5]! - t[4]! === 1 && buf[start + t[4]!] === 0x30;
          const valid = args === 2 ? holdIsZero || noreply : holdIsZero && noreply;
          if (!valid) return this.#local(noreply ? EMPTY : BAD_DELETE, lineEnd);
        }
        if (!this.#isKey(buf, start, 1)) {
          return this.#local(this.#noreply ? EMPTY : BAD_FORMAT, lineEnd);
        }
        return lineEnd;
      }
      case Kind.Arithmetic:
      case Kind.Touch: {
        const noreply = this.#noreply = this.#is(buf, start, last, NOREPLY);
        if (!this.#isKey(buf, start, 1)) return this.#local(noreply ? EMPTY : BAD_FORMAT, lineEnd);
        if (command.kind === Kind.Arithmetic) {
          if (!this.#unsigned(buf, start, 2)) {
            return this.#local(noreply ? EMPTY : BAD_DELTA, lineEnd);
          }
        } else if (!this.#signed(buf, start, 2)) {
          return this.#local(noreply ? EMPTY : BAD_EXPTIME, lineEnd);
        }
        return lineEnd;
      }
      case Kind.Verbosity: {
        const noreply = this.#noreply = this.#is(buf, start, last, NOREPLY);
        if (!this.#unsigned(buf, start, 1)) {
          return this.#local(noreply ? EMPTY : BAD_FORMAT, lineEnd);
        }
        this.#argToken = 1;
        return lineEnd;
      }
      case Kind.FlushAll: {
        const noreply = this.#noreply = args > 0 && this.#is(buf, start, last, NOREPLY);
        if (args > (noreply ? 1 : 0)) {
          if (!this.#signed(buf, start, 1)) {
            return this.#local(noreply ? EMPTY : BAD_EXPTIME, lineEnd);
          }
          this.#argToken = 1;
        }
        return lineEnd;
      }
      case Kind.Stats:
        // Plain or with a sub-command: the protocol decides (merged from every server).
        return lineEnd;
      case Kind.MetaNoop:
        return this.#local(MN, lineEnd);
      case Kind.MetaDebug:
        // memcached: `me <key> [b]`, other tokens ignored.
        if (args < 1 || !this.#isKey(buf, start, 1)) return this.#local(BAD_FORMAT, lineEnd);
        this.#base64 = args >= 2 && t[5]! - t[4]! === 1 && buf[start + t[4]!] === FLAG_B;
        return lineEnd;
      case Kind.MetaGet:
      case Kind.MetaDelete:
      case Kind.MetaArithmetic:
        if (args < 1) return this.#local(ERROR, lineEnd);
        if (!this.#isKey(buf, start, 1)) return this.#local(BAD_FORMAT, lineEnd);
        this.#metaFlags(buf, start, 2);
        return lineEnd;
      case Kind.MetaSet:
        return this.#metaSet(buf, start, lineEnd, end);
      default:
        return lineEnd;
    }
  }

  /** Notes the `q` and `b` flags among tokens `from`..: a flag is a token's first byte. */
  #metaFlags(buf: Uint8Array, start: number, from: number): void {
    const t = this.#tokens;
    const n = this.#tokenCount;
    let quiet = -1;
    let quiets = 0;
    for (let i = from; i < n; i++) {
      const c = buf[start + t[2 * i]!];
      if (c === FLAG_Q) {
        quiet = i;
        quiets++;
      } else if (c === FLAG_B) {
        this.#base64 = true;
      }
    }
    // Past 19 tokens memcached refuses the line whatever its flags: nothing to strip.
    this.#quietToken = quiets === 1 && n < MAX_META_TOKENS ? quiet : -1;
  }

  /**
   * `ms <key> <datalen> <flags>*`: memcached refuses a line without key or
   * datalen, with a key over 250 bytes, 20 tokens or more, or a datalen it
   * cannot read, before reading the data block (so there is none); any
   * other error (flags) comes after the block is read or swallowed, from
   * the server.
   */
  #metaSet(buf: Uint8Array, start: number, lineEnd: number, end: number): number {
    const n = this.#tokenCount;
    if (n < 2) return this.#local(ERROR, lineEnd);
    if (!this.#isKey(buf, start, 1) || n === 2) return this.#local(BAD_FORMAT, lineEnd);
    if (n >= MAX_META_TOKENS) return this.#local(META_FLAGS_TOO_LONG, lineEnd);
    const t = this.#tokens;
    const length = dataLengthToken(buf, start + t[4]!, start + t[5]!);
    if (length < 0) return this.#local(BAD_FORMAT, lineEnd);
    this.#metaFlags(buf, start, 3);
    return this.#block(start, lineEnd, end, length, null);
  }

  /**
   * Reads the data block of `length` bytes + CRLF after the line, or
   * swallows it (replying `SERVER_ERROR object too large for cache`, or
   * nothing for `noreply`) when it is above 1 GiB.
   */
  #block(
    start: number,
    lineEnd: number,
    end: number,
    length: number,
    reply: Uint8Array | null,
  ): number {
    if (length > MAX_VALUE_LENGTH) {
      this.#command = null;
      this.#swallow = length + 2;
      this.#phase = PHASE_SWALLOW;
      return this.#local(this.#noreply ? EMPTY : TOO_LARGE, lineEnd);
    }
    this.#reply = reply;
    this.#total = lineEnd - start + length + 2;
    this.#phase = PHASE_DATA;
    return this.#data(start, end);
  }

  /** An unknown command: `ERROR`, or a silent close for what looks like HTTP. */
  #unknown(buf: Uint8Array, start: number, lineEnd: number): number {
    const t = this.#tokens;
    const first = buf[start + t[0]!]!;
    const isMeta = first === 0x6d && t[1]! - t[0]! === 2;
    if (!isMeta && !EARLY_FIRST.has(first)) {
      // memcached closes without a reply when the last token it read starts
      // with `HTTP/` (a web client talking to the cache port).
      const i = Math.min(this.#tokenCount, MAX_TOKENS) - 1;
      const s = start + t[2 * i]!;
      if (t[2 * i + 1]! - t[2 * i]! >= HTTP.length) {
        let http = true;
        for (let j = 0; j < HTTP.length; j++) {
          if (buf[s + j] !== HTTP[j]) {
            http = false;
            break;
          }
        }
        if (http) return this.#framing(EMPTY);
      }
    }
    return this.#local(ERROR, lineEnd);
  }

  /**
   * A storage command line: checks it as memcached does, then waits for its
   * data block. A refused line has no data block (memcached reads what
   * follows as commands).
   */
  #storage(buf: Uint8Array, start: number, lineEnd: number, end: number, cas: boolean): number {
    const last = this.#tokenCount - 1;
    const noreply = this.#noreply = this.#is(buf, start, last, NOREPLY);
    const t = this.#tokens;
    const length = dataLengthToken(buf, start + t[8]!, start + t[9]!);
    if (
      !this.#isKey(buf, start, 1) || !this.#unsigned(buf, start, 2) ||
      !this.#signed(buf, start, 3) || length < 0 || (cas && !this.#unsigned(buf, start, 5))
    ) {
      return this.#local(noreply ? EMPTY : BAD_FORMAT, lineEnd);
    }
    return this.#block(start, lineEnd, end, length, null);
  }

  /**
   * Waits for the data block. Whether it ends in CRLF is the server's check:
   * memcached reads the whole block either way, and its reply depends on
   * more than the block (`ms` with a bad flag says so instead).
   */
  #data(start: number, end: number): number {
    const total = this.#total;
    if (end - start < total) {
      this.#needed = total;
      return NEED_MORE;
    }
    this.#phase = PHASE_LINE;
    this.#needed = 0;
    return start + total;
  }
}
