/**
 * Mergers: the one reply a client gets for a request split over servers
 * (MGET, DEL, UNLINK, EXISTS, TOUCH, MSET) or sent to all of them (DBSIZE,
 * SCRIPT LOAD/EXISTS/FLUSH). The parts are whole RESP replies in fragment
 * order; a part may be an error reply (a server's, or the proxy's for a
 * part it could not forward), and then the merged reply is the first such
 * error. Every merger costs time linear in the parts' bytes: sizes are
 * computed first and the reply written once.
 *
 * @module
 */
import type { Merger } from "../types.ts";
import { errorReply, headerSize, OK, writeHeader } from "./encode.ts";
import type { MergerName } from "./policy.ts";
import { replyScratch } from "../reply_scratch.ts";
import { copyInto } from "../../bytes/copy.ts";
import { RESP_ARRAY, RESP_BULK } from "./type_bytes.ts";

const MINUS = 45;

/** `!`: RESP3's blob error. */
const BLOB_ERROR = 33;

/** The first error reply (`-...`, or RESP3's blob error `!...`) among the parts, or null. */
function firstError(replies: readonly Uint8Array[]): Uint8Array | null {
  for (const r of replies) if (r.length > 0 && (r[0] === MINUS || r[0] === BLOB_ERROR)) return r;
  return null;
}

/** The error for a part that is not the reply the command gives. */
function unexpected(command: string): Uint8Array {
  return errorReply(`ERR unexpected reply from a server to split '${command}'`);
}

/**
 * Reads the integer of a `<type><n>\r\n` line at `pos`: returns it and sets
 * `end` to the offset after the line, or returns NaN when malformed.
 */
function readHeader(r: Uint8Array, pos: number, type: number, at: { end: number }): number {
  if (pos >= r.length || r[pos] !== type) return NaN;
  let i = pos + 1;
  let neg = false;
  if (i < r.length && r[i] === MINUS) {
    neg = true;
    i++;
  }
  const digitsStart = i;
  let n = 0;
  while (i < r.length && r[i] >= 48 && r[i] <= 57) {
    n = n * 10 + (r[i] - 48);
    i++;
  }
  if (i === digitsStart || i > digitsStart + 19 || i + 1 >= r.length) return NaN;
  if (r[i] !== 13 || r[i + 1] !== 10) return NaN;
  at.end = i + 2;
  return neg ? -n : n;
}

/** skipValue's scratch (it calls nothing that could use it meanwhile). */
const SKIP_AT = { end: 0 };

/**
 * The offset just past the whole value starting at `pos` in `r`, or -1 when
 * it is malformed or runs past the end. RESP2 and the RESP3 types a server
 * sends a RESP3 connection (null, boolean, double, big number, verbatim
 * string, blob error, map, set, push, attribute); streamed strings and
 * aggregates, which redis-server never sends, are refused. Iterative:
 * nesting depth does not use the call stack.
 */
export function skipValue(r: Uint8Array, pos: number): number {
  let pending = 1;
  const at = SKIP_AT;
  while (pending > 0) {
    if (pos >= r.length) return -1;
    const t = r[pos];
    if (t === RESP_BULK || t === 61 || t === BLOB_ERROR) { // $ = !
      const n = readHeader(r, pos, t, at);
      if (Number.isNaN(n)) return -1;
      pos = at.end;
      if (n >= 0) {
        pos += n + 2;
        if (pos > r.length || r[pos - 2] !== 13 || r[pos - 1] !== 10) return -1;
      } else if (t !== RESP_BULK) return -1;
    } else if (t === RESP_ARRAY || t === 126 || t === 62 || t === 37 || t === 124) { // * ~ > % |
      const n = readHeader(r, pos, t, at);
      if (Number.isNaN(n) || (n < 0 && t !== RESP_ARRAY)) return -1;
      pos = at.end;
      if (n > 0) pending += t === 37 || t === 124 ? 2 * n : n;
      // An attribute is not a value: the value it annotates follows.
      if (t === 124) pending++;
    } else if (t === 43 || t === 45 || t === 58 || t === 95 || t === 35 || t === 44 || t === 40) {
      const cr = r.indexOf(13, pos + 1);
      if (cr < 0 || cr + 1 >= r.length || r[cr + 1] !== 10) return -1;
      pos = cr + 2;
    } else {
      return -1;
    }
    pending--;
  }
  return pos;
}

/**
 * Merges MGET parts: each an array of the values of the keys sent to that
 * part, in order. `partOfKey[i]` is the part of the request's i-th key and
 * `keysOfPart[p]` the number of keys part p was sent. The reply is the
 * array of every key's value in the request's key order.
 */
export function mergeMget(
  partOfKey: ArrayLike<number>,
  keysOfPart: ArrayLike<number>,
): Merger {
  const runs: number[] = [];
  for (let i = 0; i < partOfKey.length; i++) {
    const p = partOfKey[i]!;
    if (runs.length > 0 && runs[runs.length - 2] === p) runs[runs.length - 1]!++;
    else runs.push(p, 1);
  }
  return mergeMgetRuns(runs, partOfKey.length, keysOfPart);
}

/**
 * {@link mergeMget} with the keys' layout as runs: `runs[2j]` is a part and
 * `runs[2j + 1]` how many consecutive keys of the request went to it. Each
 * run's values are consecutive in its part's reply, so they are copied in
 * one piece.
 */
export function mergeMgetRuns(
  runs: ArrayLike<number>,
  nkeys: number,
  keysOfPart: ArrayLike<number>,
): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    const cursor = new Array<number>(replies.length);
    const at = { end: 0 };
    let total = headerSize(nkeys);
    for (let p = 0; p < replies.length; p++) {
      const r = replies[p]!;
      const n = readHeader(r, 0, RESP_ARRAY, at);
      if (n !== keysOfPart[p]) return unexpected("mget");
      cursor[p] = at.end;
      total += r.length - at.end;
    }
    const out = replyScratch(total);
    let pos = writeHeader(out, 0, RESP_ARRAY, nkeys);
    for (let j = 0; j < runs.length; j += 2) {
      const p = runs[j]!;
      const r = replies[p]!;
      const s = cursor[p]!;
      const e = skipValues(r, s, runs[j + 1]!);
      const n = e - s;
      if (e < 0 || pos + n > total) return unexpected("mget");
      copyInto(out, pos, r, s, e);
      pos += n;
      cursor[p] = e;
    }
    if (pos !== total) return unexpected("mget");
    return out.subarray(0, total);
  };
}

/**
 * The offset past `count` whole values from `pos` in `r`, or -1 (see
 * {@link skipValue}). Bulk strings, which MGET replies hold, are stepped
 * over here without a call.
 */
function skipValues(r: Uint8Array, pos: number, count: number): number {
  const len = r.length;
  for (let k = 0; k < count; k++) {
    if (r[pos] === RESP_BULK && pos + 1 < len) {
      let i = pos + 1;
      let c = r[i]!;
      if (c >= 48 && c <= 57) {
        // `$<digits>\r\n<data>\r\n`; anything else goes the long way.
        let n = 0;
        while (c >= 48 && c <= 57 && i - pos <= 10) {
          n = n * 10 + (c - 48);
          c = r[++i]!;
        }
        const end = i + 2 + n + 2;
        if (c === 13 && r[i + 1] === 10 && end <= len && r[end - 2] === 13 && r[end - 1] === 10) {
          pos = end;
          continue;
        }
      }
    }
    pos = skipValue(r, pos);
    if (pos < 0) return -1;
  }
  return pos;
}

/** Merges integer parts into their sum (DEL, UNLINK, EXISTS, TOUCH, DBSIZE). */
export function mergeSum(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    const at = { end: 0 };
    let sum = 0;
    for (const r of replies) {
      const n = readHeader(r, 0, 58, at);
      if (Number.isNaN(n) || at.end !== r.length) return unexpected(command);
      sum += n;
    }
    const size = headerSize(sum);
    const out = replyScratch(size);
    writeHeader(out, 0, 58, sum);
    return out.subarray(0, size);
  };
}

/** `+OK` only when every part said `+OK` (MSET, SCRIPT FLUSH). */
export function mergeAllOk(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    for (const r of replies) {
      if (r.length !== 5 || r[0] !== 43 || r[1] !== 79 || r[2] !== 75) return unexpected(command);
    }
    return OK;
  };
}

/** The first part, when every part is the same reply (SCRIPT LOAD: the same SHA1 everywhere). */
export function mergeSame(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    const first = replies[0];
    if (first === undefined) return unexpected(command);
    for (const r of replies) {
      if (r.length !== first.length) return unexpected(command);
      for (let i = 0; i < r.length; i++) if (r[i] !== first[i]) return unexpected(command);
    }
    return first;
  };
}

/**
 * Arrays of 0/1 integers merged element by element: 1 only where every
 * part said 1 (SCRIPT EXISTS: a script is usable only when every server
 * has it).
 */
export function mergeAllOnes(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    const at = { end: 0 };
    let n = -1;
    const cursor = new Float64Array(replies.length);
    for (let p = 0; p < replies.length; p++) {
      const r = replies[p]!;
      const len = readHeader(r, 0, RESP_ARRAY, at);
      if (Number.isNaN(len) || (n >= 0 && len !== n)) return unexpected(command);
      n = len;
      cursor[p] = at.end;
    }
    if (n < 0) return unexpected(command);
    const ones = new Uint8Array(n).fill(1);
    for (let p = 0; p < replies.length; p++) {
      const r = replies[p]!;
      let pos = cursor[p]!;
      for (let i = 0; i < n; i++) {
        const v = readHeader(r, pos, 58, at);
        if (v !== 0 && v !== 1) return unexpected(command);
        if (v === 0) ones[i] = 0;
        pos = at.end;
      }
      if (pos !== r.length) return unexpected(command);
    }
    const out = new Uint8Array(headerSize(n) + 4 * n);
    let pos = writeHeader(out, 0, RESP_ARRAY, n);
    for (let i = 0; i < n; i++) {
      out[pos++] = 58;
      out[pos++] = 48 + ones[i]!;
      out[pos++] = 13;
      out[pos++] = 10;
    }
    return out;
  };
}

/**
 * The elements of an array reply of bulk strings (and integers), as byte
 * ranges, or null when `r` is not one.
 */
function elements(r: Uint8Array): { start: number; end: number }[] | null {
  const at = { end: 0 };
  const n = readHeader(r, 0, 42, at);
  if (Number.isNaN(n) || n < 0) return null;
  const out: { start: number; end: number }[] = [];
  let pos = at.end;
  for (let i = 0; i < n; i++) {
    const e = skipValue(r, pos);
    if (e < 0) return null;
    out.push({ start: pos, end: e });
    pos = e;
  }
  return pos === r.length ? out : null;
}

function latin1Of(r: Uint8Array, s: number, e: number): string {
  let t = "";
  for (let i = s; i < e; i++) t += String.fromCharCode(r[i]!);
  return t;
}

function arrayOf(items: readonly Uint8Array[]): Uint8Array {
  let size = headerSize(items.length);
  for (const it of items) size += it.length;
  const out = new Uint8Array(size);
  let pos = writeHeader(out, 0, 42, items.length);
  for (const it of items) {
    out.set(it, pos);
    pos += it.length;
  }
  return out;
}

/**
 * Arrays of strings merged into one with each string once, in order of
 * first appearance (PUBSUB CHANNELS: a channel lives on one server).
 */
export function mergeUnion(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    const seen = new Set<string>();
    const items: Uint8Array[] = [];
    for (const r of replies) {
      const els = elements(r);
      if (els === null) return unexpected(command);
      for (const { start, end } of els) {
        const k = latin1Of(r, start, end);
        if (seen.has(k)) continue;
        seen.add(k);
        items.push(r.subarray(start, end));
      }
    }
    return arrayOf(items);
  };
}

/**
 * Arrays of name, count pairs, the same names in the same order in every
 * part, merged with each name's counts summed (PUBSUB NUMSUB: a channel's
 * subscribers may sit on several servers only while the ring changes).
 */
export function mergePairSum(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    let names: Uint8Array[] | null = null;
    let counts: number[] = [];
    const at = { end: 0 };
    for (const r of replies) {
      const els = elements(r);
      if (els === null || els.length % 2 !== 0) return unexpected(command);
      if (names === null) {
        names = [];
        counts = new Array(els.length / 2).fill(0);
        for (let i = 0; i < els.length; i += 2) names.push(r.subarray(els[i]!.start, els[i]!.end));
      } else if (names.length !== els.length / 2) return unexpected(command);
      for (let i = 1; i < els.length; i += 2) {
        const n = readHeader(r, els[i]!.start, 58, at);
        if (Number.isNaN(n)) return unexpected(command);
        counts[(i - 1) / 2] += n;
      }
    }
    if (names === null) return unexpected(command);
    const items: Uint8Array[] = [];
    for (let i = 0; i < names.length; i++) {
      items.push(names[i]!);
      const c = new Uint8Array(headerSize(counts[i]!));
      writeHeader(c, 0, 58, counts[i]!);
      items.push(c);
    }
    return arrayOf(items);
  };
}

/**
 * The largest integer among the parts (PUBSUB NUMPAT: patterns are
 * subscribed on every server, so each counts them all).
 */
export function mergeMax(command: string): Merger {
  return (replies) => {
    const err = firstError(replies);
    if (err !== null) return err;
    const at = { end: 0 };
    let max = 0;
    for (const r of replies) {
      const n = readHeader(r, 0, 58, at);
      if (Number.isNaN(n) || at.end !== r.length) return unexpected(command);
      if (n > max) max = n;
    }
    const out = new Uint8Array(headerSize(max));
    writeHeader(out, 0, 58, max);
    return out;
  };
}

/**
 * The merger the policy names for `command`'s replies. `mget` needs the
 * keys' layout over the parts: {@link mergeMget} builds it per request.
 */
export function mergerFor(name: Exclude<MergerName, "mget" | "info">, command: string): Merger {
  switch (name) {
    case "sum":
      return mergeSum(command);
    case "allOk":
      return mergeAllOk(command);
    case "same":
      return mergeSame(command);
    case "allOnes":
      return mergeAllOnes(command);
    case "union":
      return mergeUnion(command);
    case "pairSum":
      return mergePairSum(command);
    case "max":
      return mergeMax(command);
  }
}
