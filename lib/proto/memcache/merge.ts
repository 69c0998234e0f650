/**
 * Merging the replies of requests the proxy split: a multi-key retrieval
 * sent to several servers, and `flush_all` / `verbosity` sent to all.
 *
 * @module
 */
import type { Merger } from "../types.ts";
import { EMPTY, OK, serverError } from "./replies.ts";
import { valueLength } from "./response_parser.ts";
import { replyScratch } from "../reply_scratch.ts";
import { copyInto } from "../../bytes/copy.ts";

const LF = 0x0a;
const SP = 0x20;
const END = new TextEncoder().encode("END\r\n");
const VALUE_SP = new TextEncoder().encode("VALUE ");
/** A fragment reply that is not a well-formed VALUE list (never from a framed server reply). */
const MALFORMED = serverError("Protocol error: invalid response from server");

function startsWith(buf: Uint8Array, at: number, prefix: Uint8Array): boolean {
  if (buf.length - at < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

function isEnd(buf: Uint8Array, at: number): boolean {
  return buf.length - at === END.length && startsWith(buf, at, END);
}

/** The end of the VALUE block starting at `at` (header, data, CRLF), or -1. */
function blockEnd(buf: Uint8Array, at: number): number {
  const nl = buf.indexOf(LF, at);
  if (nl < 0) return -1;
  const length = valueLength(buf, at, nl - 1);
  if (length < 0) return -1;
  const end = nl + 1 + length + 2;
  return end <= buf.length ? end : -1;
}

/**
 * Whether the VALUE block at `at` in `reply` is for the key
 * `key[keyStart, keyStart + keyLength)`.
 */
function isBlockFor(
  reply: Uint8Array,
  at: number,
  key: Uint8Array,
  keyStart: number,
  keyLength: number,
): boolean {
  if (!startsWith(reply, at, VALUE_SP)) return false;
  const k = at + VALUE_SP.length;
  if (reply.length - k <= keyLength || reply[k + keyLength] !== SP) return false;
  for (let i = 0; i < keyLength; i++) if (reply[k + i] !== key[keyStart + i]) return false;
  return true;
}

/**
 * The keys of one split retrieval, kept for its merger: for key `i` (in
 * request order), `keys[3i]` is its fragment, `keys[3i+1]` and
 * `keys[3i+2]` its offset and length in `keyBytes`. Reused: taken with
 * {@link takeRetrievalSplit}, given back by its merger once it has merged
 * (a split whose merger never runs is simply collected).
 */
export class RetrievalSplit {
  /** The keys' bytes, back to back. */
  keyBytes: Uint8Array = new Uint8Array(256);
  /** Fragment, offset and length of each key, in request order. */
  keys: Int32Array = new Int32Array(48);
  /** Number of keys. */
  count = 0;
  /** Merge scratch: where each fragment's reply has been read to; each key's block. */
  #cursor = new Int32Array(8);
  #picks = new Int32Array(32);
  /** This split's merger (made once per split object, reused with it). */
  readonly merger: Merger = (replies) => {
    const reply = this.#merge(replies);
    if (free.length < MAX_FREE) free.push(this);
    return reply;
  };

  /** Makes room for `count` keys of `keyBytes` bytes in all. */
  reserve(count: number, keyBytes: number): void {
    this.count = count;
    if (this.keys.length < 3 * count) this.keys = new Int32Array(6 * count);
    if (this.keyBytes.length < keyBytes) this.keyBytes = new Uint8Array(2 * keyBytes);
    if (this.#picks.length < 2 * count) this.#picks = new Int32Array(4 * count);
  }

  #merge(replies: readonly Uint8Array[]): Uint8Array {
    const n = replies.length;
    for (let f = 0; f < n; f++) {
      const reply = replies[f]!;
      if (!startsWith(reply, 0, VALUE_SP) && !isEnd(reply, 0)) return reply;
    }
    const { keyBytes, keys, count } = this;
    if (this.#cursor.length < n) this.#cursor = new Int32Array(2 * n);
    const cursor = this.#cursor;
    cursor.fill(0, 0, n);
    const picks = this.#picks;
    let total = END.length;
    for (let i = 0; i < count; i++) {
      const f = keys[3 * i]!;
      const reply = replies[f]!;
      const at = cursor[f]!;
      if (isBlockFor(reply, at, keyBytes, keys[3 * i + 1]!, keys[3 * i + 2]!)) {
        const end = blockEnd(reply, at);
        if (end < 0) return MALFORMED;
        picks[2 * i] = at;
        picks[2 * i + 1] = end;
        cursor[f] = end;
        total += end - at;
      } else {
        picks[2 * i] = -1;
      }
    }
    // After its matched blocks a reply goes on with END (blocks for keys not
    // asked are dropped); an error line there ends a partial list: it wins.
    for (let f = 0; f < n; f++) {
      const reply = replies[f]!;
      let at = cursor[f]!;
      while (startsWith(reply, at, VALUE_SP)) {
        at = blockEnd(reply, at);
        if (at < 0) return MALFORMED;
      }
      if (!isEnd(reply, at)) return reply.subarray(at);
    }
    const out = replyScratch(total);
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const at = picks[2 * i]!;
      if (at < 0) continue;
      const reply = replies[keys[3 * i]!]!;
      const end = picks[2 * i + 1]!;
      copyInto(out, pos, reply, at, end);
      pos += end - at;
    }
    out.set(END, pos);
    return out.subarray(0, total);
  }
}

/** Split objects waiting for reuse. */
const free: RetrievalSplit[] = [];
/** At most this many wait (one per split in flight is all a busy proxy needs back). */
const MAX_FREE = 256;

/**
 * A split state for `count` keys of `keyBytes` bytes in all. Its
 * {@link RetrievalSplit.merger} merges a split `get`/`gets`/`gat`/`gats`:
 * the VALUE blocks in the order of the request's keys (a key asked twice is
 * answered twice, as memcached does), then one `END`. A fragment answered
 * with an error (or anything but a VALUE list) makes that error the reply,
 * the first one in fragment order.
 *
 * Each server answers its keys in the order asked and leaves out misses,
 * so walking the request's keys and each reply's blocks side by side
 * matches every block to its key in one pass.
 */
export function takeRetrievalSplit(count: number, keyBytes: number): RetrievalSplit {
  const split = free.pop() ?? new RetrievalSplit();
  split.reserve(count, keyBytes);
  return split;
}

/** The first reply that is not exactly `OK\r\n`, or null. */
function firstNotOk(replies: readonly Uint8Array[]): Uint8Array | null {
  for (const reply of replies) {
    if (reply.length !== OK.length || !startsWith(reply, 0, OK)) return reply;
  }
  return null;
}

/** Merges `flush_all` / `verbosity` replies: `OK` when every server said OK, else the first other reply. */
export const mergeAllOk: Merger = (replies) => firstNotOk(replies) ?? OK;

/**
 * The merger of a `noreply` `flush_all` / `verbosity`: nothing, whatever the
 * servers said. memcached keeps quiet on `noreply` even when it fails
 * (`CLIENT_ERROR flush_all not allowed` under `-F`), and a client that asked
 * for no reply does not read one: an error line here (a server down) would
 * shift every later reply of the connection. Failures still count in the
 * pool's `forward_error`.
 */
export const mergeAllOkQuiet: Merger = () => EMPTY;
