/**
 * The read side of a connection: reads straight into one reused, growable
 * buffer. Each chunk is handed to a synchronous consumer that parses as many
 * whole messages as it can and leaves the partial tail in place; one await
 * per read, none per message.
 *
 * Why `conn.read()` and not a BYOB reader on `conn.readable`: in Deno 2.9 the
 * readable side closes the whole socket resource when it reaches EOF, so a
 * client that half-closes (sends its requests, then shuts down its write
 * side) could never receive the replies it is owed. `conn.read()` into a
 * caller-owned buffer has the same cost as the BYOB reader (no copy, no
 * default reader, no per-chunk allocation) and keeps the write side open.
 *
 * A buffer of {@link LEND_MIN} bytes or more may be lent to writers
 * (lib/net/lent.ts): once one is, the stream reads on in a new buffer and
 * never writes into the lent one again.
 *
 * @module
 */
import { borrowed, giveBack, LEND_MIN, lendable } from "./lent.ts";

/** Parses what has been read. Implemented by client and server connections. */
export interface ByteConsumer {
  /**
   * Consumes `input.buf[input.start, input.end)`, advancing `input.start`
   * past whole messages and setting `input.want` to the total length the
   * message at `input.start` needs (0 when unknown).
   */
  consume(input: InStream): void;
  /** While non-null, reading waits for it (backpressure from the consumer). */
  readonly readGate: Promise<void> | null;
}

/**
 * Initial read buffer size: small, so that idle connections stay light (a
 * pending read costs about 6 KiB in Deno besides its buffer). The buffer
 * doubles up to the chunk size while reads keep filling it.
 */
const INITIAL_CAPACITY = 512;
/** Free space below which the buffer is compacted or grown before a read. */
const MIN_READ = 512;
/** During a burst, reads grow up to this many chunks (-m). */
const MAX_BURST_CHUNKS = 16;

/**
 * The last buffer of a burst, given up when its stream went quiet, kept for
 * the next stream of this thread that grows past one chunk (one buffer,
 * below {@link LEND_MIN}).
 * A new buffer is zero-filled: on a 10,000-key MGET (a 230 KB request and
 * 45 KB replies, each grown from 16 KiB again) zeroing them was 8% of
 * nutmeg's CPU. Streams never keep views of a buffer they left, so another
 * stream may read into it.
 */
let spare: Uint8Array | null = null;

/** What the stream reads from: a Deno connection's `read`. */
export interface ByteSource {
  read(p: Uint8Array): Promise<number | null>;
}

/** A connection's input buffer and read loop. */
export class InStream {
  /** The buffer; valid bytes are `[start, end)`. */
  buf: Uint8Array;
  /** First byte not yet consumed. */
  start = 0;
  /** End of the bytes read. */
  end = 0;
  /** Total bytes from `start` the consumer needs before it can make progress (0 = any). */
  want = 0;
  #chunk: number;
  #maxIdle: number;
  #readSize: number;
  #source: ByteSource;
  #cancelled = false;
  #lastFull = false;
  /** Whether `buf` is registered as lendable (lib/net/lent.ts). */
  #lendable = false;

  /**
   * @param source the connection
   * @param chunk largest read in the steady state (nutcracker's `-m`)
   */
  constructor(source: ByteSource, chunk: number) {
    this.#source = source;
    this.#chunk = chunk;
    this.#maxIdle = Math.max(chunk, INITIAL_CAPACITY);
    this.#readSize = Math.min(INITIAL_CAPACITY, chunk);
    // #readSize is the buffer size in the steady state: it doubles up to
    // `chunk` while reads keep filling the buffer.
    this.buf = new Uint8Array(this.#readSize);
  }

  /**
   * Reads until EOF, feeding `consumer`. Resolves at EOF or after
   * {@link cancel}, rejects on a read error (reset, or the connection closed
   * under a pending read).
   */
  async run(consumer: ByteConsumer): Promise<void> {
    while (true) {
      const gate = consumer.readGate;
      if (gate !== null) {
        await gate;
        // Bytes that arrived while paused are parsed before reading more.
        if (this.end > this.start && this.end - this.start >= this.want) consumer.consume(this);
        continue;
      }
      if (this.#cancelled) return;
      this.#prepare();
      const space = this.buf.length - this.end;
      // Most reads start on an empty buffer: read into it whole, no view to make.
      const n = await this.#source.read(this.end === 0 ? this.buf : this.buf.subarray(this.end));
      if (n === null || this.#cancelled) return;
      this.end += n;
      // A full read suggests more is coming: read bigger next time (up to
      // 16 chunks during a burst, so a 10,000-key MGET takes a few reads);
      // a read far from full brings the size back towards one chunk.
      this.#lastFull = n === space;
      if (n === space) {
        if (this.#readSize < this.#chunk * MAX_BURST_CHUNKS) this.#readSize *= 2;
      } else if (n < space >> 2 && this.#readSize > this.#chunk) {
        this.#readSize >>= 1;
      }
      if (this.end - this.start >= this.want) consumer.consume(this);
    }
  }

  /** Stops the loop; the owner closes the connection, which ends a pending read. */
  cancel(): void {
    this.#cancelled = true;
  }

  /** Makes room for the next read: compact, grow for a big message, shrink after one. */
  #prepare(): void {
    const used = this.end - this.start;
    if (this.#lendable && borrowed(this.buf)) {
      // A writer is sending from this buffer: read on in a new one.
      const next = new Uint8Array(used + Math.max(this.#readSize, MIN_READ, this.want - used));
      next.set(this.buf.subarray(this.start, this.end));
      this.#replace(next);
      this.start = 0;
      this.end = used;
      return;
    }
    if (used === 0) {
      this.start = this.end = 0;
      // Quiet again after a burst: back to one chunk, so an idle connection
      // does not keep a burst-sized buffer.
      if (!this.#lastFull && this.#readSize > this.#chunk) this.#readSize = this.#chunk;
      if (this.buf.length > this.#maxIdle && this.want <= this.#maxIdle) {
        const big = this.buf;
        this.#replace(new Uint8Array(Math.min(this.#readSize, this.#maxIdle)));
        if (big.length < LEND_MIN && (spare === null || spare.length < big.length)) spare = big;
        return;
      }
    }
    // Free space wanted after `end`: enough for the message being read, and
    // a full read (a partial message must not shrink the reads).
    const need = Math.max(this.#readSize, MIN_READ, this.want - used);
    const cap = Math.max(this.buf.length, this.#readSize);
    if (cap === this.buf.length && this.buf.length - this.end >= need) return;
    if (cap === this.buf.length && cap - used >= need) {
      this.buf.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = used;
      return;
    }
    let next = cap;
    while (next - used < need) next *= 2;
    // A big message of known length: room for exactly it (a 500 MB value
    // takes 500 MB, not 512 MiB).
    if (need >= LEND_MIN && need === this.want - used) next = this.want;
    let grown: Uint8Array;
    if (spare !== null && next > this.#maxIdle && spare.length >= next && next < LEND_MIN) {
      grown = spare;
      spare = null;
    } else grown = new Uint8Array(next);
    grown.set(this.buf.subarray(this.start, this.end));
    this.#replace(grown);
    this.start = 0;
    this.end = used;
  }

  /**
   * Reads into `next` from now on. A big buffer left behind is freed at once
   * (or by its last writer), not at some later garbage collection.
   */
  #replace(next: Uint8Array): void {
    if (this.#lendable) giveBack(this.buf);
    this.buf = next;
    this.#lendable = next.length >= LEND_MIN;
    if (this.#lendable) lendable(next);
  }
}
