/**
 * Where the replies of a split request's parts wait for the last one: one
 * buffer per split request, taken from a small free list and given back
 * once the parts are merged. Each part arrives in its server's input
 * buffer, which is reused as soon as the part is handed over, so it must be
 * copied; copying it into a reused buffer instead of `slice()` saves a
 * typed-array allocation per part (in Deno 2.9 about half a microsecond to
 * a microsecond each, more than the rest of a small part's handling).
 *
 * @module
 */
import { copyInto } from "../bytes/copy.ts";

/** Size of a new store buffer: holds the parts of most small splits. */
const INITIAL = 2048;
/** Buffers above this size are not kept for reuse (a big MGET's parts). */
const MAX_KEPT_SIZE = 256 * 1024;
/** At most this many buffers wait on the free list. */
const MAX_FREE = 64;

const free: Uint8Array[] = [];

/**
 * The parts of one split request: each part is `bytes[start(i), end(i))`
 * once stored. Offsets, not views, are kept: the buffer may be replaced by
 * a bigger one while parts arrive.
 */
export class PartStore {
  /** Taken from the free list at the first part stored. */
  #buf: Uint8Array = EMPTY;
  #len = 0;
  /** Start and end of part i at 2i, 2i+1; -1 while part i is not stored here. */
  #at: number[];

  /** A store for `count` parts. */
  constructor(count: number) {
    this.#at = new Array<number>(2 * count).fill(-1);
  }

  /** Copies `buf[start, end)` as part `index`. */
  put(index: number, buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    const len = this.#len;
    if (len + n > this.#buf.length) {
      if (this.#buf.length === 0) this.#buf = free.pop() ?? new Uint8Array(INITIAL);
      if (len + n > this.#buf.length) this.#grow(len + n);
    }
    copyInto(this.#buf, len, buf, start, end);
    this.#at[2 * index] = len;
    this.#at[2 * index + 1] = len + n;
    this.#len = len + n;
  }

  /** Sets `parts[i]` to a view of every part stored here (valid until {@link release}). */
  views(parts: Uint8Array[]): void {
    const at = this.#at;
    const buf = this.#buf;
    for (let i = 0; i < parts.length; i++) {
      const s = at[2 * i]!;
      if (s >= 0) parts[i] = buf.subarray(s, at[2 * i + 1]!);
    }
  }

  /** Gives the buffer back for the next split; the store and its views are dead afterwards. */
  release(): void {
    const buf = this.#buf;
    this.#buf = EMPTY;
    this.#len = 0;
    keep(buf);
  }

  #grow(need: number): void {
    let cap = Math.max(INITIAL, this.#buf.length * 2);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    const old = this.#buf;
    this.#buf = next;
    keep(old);
  }
}

const EMPTY = new Uint8Array(0);

function keep(buf: Uint8Array): void {
  if (buf.length > 0 && buf.length <= MAX_KEPT_SIZE && free.length < MAX_FREE) free.push(buf);
}

/** Buffers on the free list (for tests). */
export function freeStoreBuffers(): number {
  return free.length;
}
