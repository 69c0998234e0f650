/**
 * Bytes of the memcached load generator: building requests without
 * allocating, and telling from a reply's bytes whether it is complete, an
 * error, and how many values it holds.
 *
 * @module
 */
import { mcKey } from "./keys.ts";

const enc = new TextEncoder();
const CR = 13, LF = 10, SP = 32;
const END = enc.encode("END\r\n");
const STORED = enc.encode("STORED\r\n");
const VALUE = enc.encode("VALUE ");
const ERRORS = ["ERROR", "CLIENT_ERROR", "SERVER_ERROR"].map((e) => enc.encode(e));

/** Whether `buf` holds `word` at `pos` (within `len`). */
function startsAt(buf: Uint8Array, len: number, pos: number, word: Uint8Array): boolean {
  if (pos + word.length > len) return false;
  for (let k = 0; k < word.length; k++) if (buf[pos + k] !== word[k]) return false;
  return true;
}

/** Whether `buf[0, len)` ends with `tail`. */
function endsWith(buf: Uint8Array, len: number, tail: Uint8Array): boolean {
  return len >= tail.length && startsAt(buf, len, len - tail.length, tail);
}

/**
 * State of the reply in `buf[0, len)`: "more" (incomplete), "ok" (a get's
 * values then END, or STORED for a set) or "error" (an error line, or a set
 * answered with anything but STORED).
 */
export function replyState(buf: Uint8Array, len: number, isGet: boolean): "more" | "ok" | "error" {
  if (len < 2 || buf[len - 2] !== CR || buf[len - 1] !== LF) return "more";
  if (!isGet) return len === STORED.length && endsWith(buf, len, STORED) ? "ok" : "error";
  if (endsWith(buf, len, END) && (len === END.length || buf[len - END.length - 1] === LF)) {
    return "ok";
  }
  return ERRORS.some((e) => startsAt(buf, len, 0, e)) ? "error" : "more";
}

/** Values in a complete get reply: "VALUE <key> <flags> <bytes>\r\n<data>\r\n" blocks, then END. */
export function countValues(buf: Uint8Array, len: number): number {
  let n = 0;
  let pos = 0;
  while (startsAt(buf, len, pos, VALUE)) {
    let eol = pos;
    while (eol < len && buf[eol] !== LF) eol++;
    // The data length is the last token of the header line (before CR LF).
    let bytes = 0;
    let scale = 1;
    for (let k = eol - 2; k > pos && buf[k] !== SP; k--) {
      bytes += (buf[k]! - 0x30) * scale;
      scale *= 10;
    }
    pos = eol + 1 + bytes + 2;
    n++;
  }
  return n;
}

/** Bytes of every key, back to back (all keys have the same length). */
export interface KeyTable {
  /** The keys' bytes. */
  readonly bytes: Uint8Array;
  /** Bytes per key. */
  readonly width: number;
  /** Number of keys. */
  readonly count: number;
}

/** The first `count` memcached benchmark keys as bytes. */
export function keyTable(count: number): KeyTable {
  const width = mcKey(0).length;
  const bytes = new Uint8Array(width * count);
  for (let i = 0; i < count; i++) enc.encodeInto(mcKey(i), bytes.subarray(i * width));
  return { bytes, width, count };
}

/** Appends key `index` at `len`; returns the new length. */
function putKey(out: Uint8Array, len: number, keys: KeyTable, index: number): number {
  const from = index * keys.width;
  for (let k = 0; k < keys.width; k++) out[len + k] = keys.bytes[from + k]!;
  return len + keys.width;
}

/** Fixed parts of the requests. */
export interface Templates {
  /** "get". */
  readonly get: Uint8Array;
  /** "set ". */
  readonly set: Uint8Array;
  /** " 0 0 <bytes>\r\n" + value + "\r\n". */
  readonly setTail: Uint8Array;
}

/** Request templates for values of `valueBytes` bytes of "v". */
export function templates(valueBytes: number): Templates {
  return {
    get: enc.encode("get"),
    set: enc.encode("set "),
    setTail: enc.encode(` 0 0 ${valueBytes}\r\n${"v".repeat(valueBytes)}\r\n`),
  };
}

/** Mix of the requests. */
export interface Mix {
  /** Share of sets. */
  readonly setShare: number;
  /** Keys per get. */
  readonly division: number;
}

/**
 * Writes the next request into `out` (big enough for a get of `division`
 * keys and for a set); returns its length and the number of keys a get asks
 * for (0 for a set). `random` returns numbers in [0, 1).
 */
export function buildRequest(
  mix: Mix,
  out: Uint8Array,
  keys: KeyTable,
  t: Templates,
  random: () => number = Math.random,
): [number, number] {
  const pick = () => Math.floor(random() * keys.count);
  if (random() < mix.setShare) {
    out.set(t.set, 0);
    let len = putKey(out, t.set.length, keys, pick());
    out.set(t.setTail, len);
    len += t.setTail.length;
    return [len, 0];
  }
  out.set(t.get, 0);
  let len = t.get.length;
  for (let k = 0; k < mix.division; k++) {
    out[len++] = SP;
    len = putKey(out, len, keys, pick());
  }
  out[len++] = CR;
  out[len++] = LF;
  return [len, mix.division];
}
