/**
 * The write side of a connection: everything appended during one event-loop
 * turn is coalesced and written with one `conn.write()`, with at most one
 * write in flight (a partial write is continued before anything else). While
 * a write is pending (the peer or the kernel is slow), appends accumulate in
 * a second buffer; `pending` tells the owner how far behind the socket is so
 * it can stop producing.
 *
 * Why `conn.write()` and not a writer on `conn.writable`: the stream adds
 * promises and queue bookkeeping to every write and about 3 KiB of objects
 * to every connection; with 500 clients each getting one small reply per
 * turn that overhead showed up as 4x nutcracker's p99 in the benchmark.
 * Backpressure is the same: one write in flight, and `pending` bytes.
 *
 * An append of {@link LEND_MIN} bytes or more from a reader's lendable
 * buffer, while nothing else waits to be written, is written from that
 * buffer directly (lib/net/lent.ts): a big value is not copied on its way
 * through. Buffers of that size are freed as soon as they are written.
 *
 * @module
 */
import { borrow, free, giveBack, LEND_MIN } from "./lent.ts";
import { copyInto } from "../bytes/copy.ts";

/** Smallest buffer allocated for output. */
const MIN_CAPACITY = 4096;

/** Where bytes go: a Deno connection's `write`, which may write only part. */
export interface ByteSink {
  write(p: Uint8Array): Promise<number>;
}

/** Called once a write failed; the stream accepts no more bytes afterwards. */
export type WriteErrorHandler = (err: unknown) => void;

/** Coalescing writer for one connection. */
export class OutStream {
  #sink: ByteSink | null = null;
  /** The chunk being written and how much of it is done. */
  #chunk: Uint8Array = EMPTY;
  #done = 0;
  #buf: Uint8Array = EMPTY;
  #len = 0;
  #spare: Uint8Array | null = null;
  #inFlight = 0;
  #scheduled = false;
  #failed = false;
  #onError: WriteErrorHandler;
  #onDrain: (() => void) | null;
  #shrinkTo: number;
  #flushCb: (() => void) | null = null;
  /** Called each time appended bytes are handed to a write. */
  onFlush: (() => void) | null = null;
  #doneCb: ((n: number) => void) | null = null;
  #errorCb: ((err: unknown) => void) | null = null;
  /** The reader's buffer `#chunk` is a view of, while it is written from it (lib/net/lent.ts). */
  #lent: Uint8Array | null = null;

  /**
   * @param onError called once when a write fails
   * @param onDrain called each time everything appended has been written
   * @param shrinkTo buffers above this size are dropped once written
   */
  constructor(onError: WriteErrorHandler, onDrain: (() => void) | null, shrinkTo = 65536) {
    this.#onError = onError;
    this.#onDrain = onDrain;
    this.#shrinkTo = shrinkTo;
  }

  /** Starts writing to `sink` (bytes appended before are kept and sent first). */
  attach(sink: ByteSink): void {
    this.#sink = sink;
    if (this.#lent !== null) this.#writeLent();
    else if (this.#len > 0) this.#schedule();
  }

  /** Bytes appended and not yet confirmed written. */
  get pending(): number {
    return this.#len + this.#inFlight;
  }

  /** Appends a copy of `src[start, end)`. */
  append(src: Uint8Array, start = 0, end = src.length): void {
    if (this.#failed) return;
    const n = end - start;
    if (n <= 0) return;
    if (n >= LEND_MIN && this.#len === 0 && this.#inFlight === 0 && borrow(src)) {
      // Nothing before it: write it from the reader's buffer, no copy.
      this.#lent = src;
      this.#chunk = src.subarray(start, end);
      this.#inFlight = n;
      if (this.#sink !== null) this.#writeLent();
      return;
    }
    this.#reserve(n);
    const buf = this.#buf;
    const len = this.#len;
    copyInto(buf, len, src, start, end);
    this.#len = len + n;
    this.#schedule();
  }

  /** Releases the writer; unsent bytes are dropped. Does not close the stream. */
  release(): void {
    if (this.#lent !== null) {
      giveBack(this.#lent);
      this.#lent = null;
    }
    this.#failed = true;
    this.#len = 0;
    if (this.#inFlight === 0) putBuffer(this.#spare);
    putBuffer(this.#buf);
    this.#buf = EMPTY;
    this.#spare = null;
    this.#chunk = EMPTY;
    this.#sink = null;
  }

  #reserve(n: number): void {
    const need = this.#len + n;
    if (need <= this.#buf.length) return;
    if (this.#buf.length === 0 && need <= MIN_CAPACITY) {
      this.#buf = takeBuffer();
      return;
    }
    let cap = Math.max(MIN_CAPACITY, this.#buf.length * 2);
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    if (this.#len > 0) next.set(this.#buf.subarray(0, this.#len));
    putBuffer(this.#buf);
    this.#buf = next;
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight > 0 || this.#sink === null) return;
    this.#scheduled = true;
    // Callbacks are made on first use: idle connections never need them.
    queueMicrotask(this.#flushCb ??= () => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const sink = this.#sink;
    if (this.#inFlight > 0 || this.#len === 0 || sink === null || this.#failed) return;
    const chunk = this.#buf.subarray(0, this.#len);
    this.#inFlight = this.#len;
    // Swap buffers: the one being written is not touched until the write ends.
    const spare = this.#spare;
    this.#spare = this.#buf;
    this.#buf = spare ?? EMPTY;
    this.#len = 0;
    this.onFlush?.();
    this.#chunk = chunk;
    this.#done = 0;
    sink.write(chunk).then(
      this.#doneCb ??= (n: number) => this.#wrote(n),
      this.#errorCb ??= (err: unknown) => this.#fail(err),
    );
  }

  /** Starts writing the lent `#chunk` (appended before the sink was attached, or just now). */
  #writeLent(): void {
    this.onFlush?.();
    this.#done = 0;
    this.#sink!.write(this.#chunk).then(
      this.#doneCb ??= (n: number) => this.#wrote(n),
      this.#errorCb ??= (err: unknown) => this.#fail(err),
    );
  }

  #wrote(n: number): void {
    const sink = this.#sink;
    if (sink === null) return; // released meanwhile
    this.#done += n;
    if (this.#done < this.#chunk.length) {
      sink.write(this.#chunk.subarray(this.#done)).then(this.#doneCb!, this.#errorCb!);
      return;
    }
    this.#chunk = EMPTY;
    this.#written();
  }

  #written(): void {
    this.#inFlight = 0;
    const lent = this.#lent;
    if (lent !== null) {
      this.#lent = null;
      giveBack(lent);
    } else {
      const written = this.#spare;
      if (written !== null && written.length > this.#shrinkTo) {
        this.#spare = null;
        if (written.length >= LEND_MIN) free(written);
      }
    }
    if (this.#len > 0) {
      this.#flush();
      return;
    }
    // Idle: keep a single buffer of modest size.
    if (this.#buf.length === 0 && this.#spare !== null) this.#buf = this.#spare;
    else if (this.#buf.length > this.#shrinkTo) {
      if (this.#buf.length >= LEND_MIN) free(this.#buf);
      this.#buf = EMPTY;
    } else putBuffer(this.#spare);
    this.#spare = null;
    // An idle connection holds no output buffer: a small one goes back to the shared pool.
    if (this.#buf.length === MIN_CAPACITY) {
      putBuffer(this.#buf);
      this.#buf = EMPTY;
    }
    this.#onDrain?.();
  }

  #fail(err: unknown): void {
    if (this.#failed) return;
    this.#inFlight = 0;
    this.release();
    this.#onError(err);
  }
}

const EMPTY = new Uint8Array(0);

/** Free output buffers of MIN_CAPACITY bytes, shared by this thread's connections. */
const pool: Uint8Array[] = [];
/** At most this many are kept (16 MiB): a burst of connections leaves no more behind. */
const POOL_MAX = 4096;

function takeBuffer(): Uint8Array {
  return pool.pop() ?? new Uint8Array(MIN_CAPACITY);
}

function putBuffer(buf: Uint8Array | null): void {
  if (buf !== null && buf.length === MIN_CAPACITY && pool.length < POOL_MAX) pool.push(buf);
}
