/**
 * The read side of a connection: `conn.readable` pulled with a BYOB reader
 * into one reused, growable buffer. Each chunk is handed to a synchronous
 * consumer that parses as many whole messages as it can and leaves the
 * partial tail in place; one await per read, none per message.
 *
 * A BYOB read transfers the buffer it is given; the bytes come back in a view
 * over a new ArrayBuffer on the same memory, which becomes the buffer.
 *
 * @module
 */

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

/** Initial read buffer size: small, so that idle connections stay light. */
const INITIAL_CAPACITY = 4096;
/** Free space below which the buffer is compacted or grown before a read. */
const MIN_READ = 1024;

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
  #reader: ReadableStreamBYOBReader;

  /**
   * @param readable the connection's readable side
   * @param chunk largest read in the steady state (nutcracker's `-m`)
   */
  constructor(readable: ReadableStream<Uint8Array>, chunk: number) {
    this.#reader = readable.getReader({ mode: "byob" });
    this.#chunk = chunk;
    this.#maxIdle = Math.max(chunk, INITIAL_CAPACITY);
    this.#readSize = Math.min(INITIAL_CAPACITY, chunk);
    // #readSize is the buffer size in the steady state: it doubles up to
    // `chunk` while reads keep filling the buffer.
    this.buf = new Uint8Array(this.#readSize);
  }

  /** Bytes read and not yet consumed. */
  get buffered(): number {
    return this.end - this.start;
  }

  /**
   * Reads until EOF, feeding `consumer`. Resolves at EOF, rejects on a read
   * error (reset). Cancelling the reader (see {@link cancel}) ends it at once.
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
      this.#prepare();
      const space = this.buf.length - this.end;
      const { value, done } = await this.#reader.read(
        new Uint8Array(this.buf.buffer, this.end, space),
      );
      if (value !== undefined) {
        this.buf = new Uint8Array(value.buffer);
        const n = value.byteLength;
        this.end += n;
        // A full read suggests more is coming: read bigger next time.
        if (n === space && this.#readSize < this.#chunk) {
          this.#readSize = Math.min(this.#readSize * 2, this.#chunk);
        }
      } else {
        this.buf = new Uint8Array(0);
        this.start = this.end = 0;
      }
      if (done) return;
      if (this.end - this.start >= this.want) consumer.consume(this);
    }
  }

  /** Stops reading: a pending read resolves as done. */
  cancel(): void {
    this.#reader.cancel().catch(() => {});
  }

  /** Makes room for the next read: compact, grow for a big message, shrink after one. */
  #prepare(): void {
    const used = this.end - this.start;
    if (used === 0) {
      this.start = this.end = 0;
      if (this.buf.length > this.#maxIdle && this.want <= this.#maxIdle) {
        this.buf = new Uint8Array(this.#readSize);
        return;
      }
    }
    // Free space wanted after `end`: enough for the message being read, and
    // at least a useful read.
    const need = Math.max(Math.min(MIN_READ, this.#readSize), this.want - used);
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
    const grown = new Uint8Array(next);
    grown.set(this.buf.subarray(this.start, this.end));
    this.buf = grown;
    this.start = 0;
    this.end = used;
  }
}
