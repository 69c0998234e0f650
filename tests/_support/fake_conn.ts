/**
 * Test support for the core's unit tests: a fake `Deno.Conn`, a plain object
 * whose reads and writes the test drives (in the manner of denoland/std's
 * `http/_mock_conn.ts`), so lib/net and lib/pool run without a socket or a
 * server: the test delivers bytes or EOF to the reader, and decides how much
 * each write takes and when it completes.
 *
 * @module
 */
import { concat, latin1 } from "./bytes.ts";

/** A `Deno.Conn` driven by the test. */
export class FakeConn {
  /** Every write's bytes, in order (a partial write records only what it took). */
  readonly writes: Uint8Array[] = [];
  /** Write at most this many bytes per call (partial writes). @default Infinity */
  maxWrite = Infinity;
  /** While true, writes stay pending until {@link releaseWrites}. */
  holdWrites = false;
  /** Whether close() was called. */
  closed = false;
  readonly remoteAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 40000 };
  readonly localAddr: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 6379 };
  #incoming: Uint8Array[] = [];
  #eof = false;
  #readError: Error | null = null;
  #reader:
    | { p: Uint8Array; resolve: (n: number | null) => void; reject: (e: Error) => void }
    | null = null;
  #held: (() => void)[] = [];
  #writeError: Error | null = null;
  /** How many read() calls were made. */
  reads = 0;

  /** Bytes the peer sends (a string as latin1); a pending read gets them at once. */
  deliver(data: Uint8Array | string): void {
    const bytes = typeof data === "string" ? Uint8Array.from(data, (c) => c.charCodeAt(0)) : data;
    this.#incoming.push(bytes.slice());
    this.#serveRead();
  }

  /** The peer closes its side: reads return null once the bytes delivered are read. */
  end(): void {
    this.#eof = true;
    this.#serveRead();
  }

  /** The next read (or the pending one) fails with `err`, as on a reset. */
  failRead(err: Error = new Deno.errors.ConnectionReset("reset by the test")): void {
    this.#readError = err;
    this.#serveRead();
  }

  /** The next writes fail with `err`. */
  failWrites(err: Error = new Deno.errors.BrokenPipe("broken by the test")): void {
    this.#writeError = err;
  }

  /** Completes the writes held by {@link holdWrites} (which is cleared). */
  releaseWrites(): void {
    this.holdWrites = false;
    for (const done of this.#held.splice(0)) done();
  }

  /** Whether a read is waiting for bytes. */
  get reading(): boolean {
    return this.#reader !== null;
  }

  /** Writes waiting for {@link releaseWrites}. */
  get heldWrites(): number {
    return this.#held.length;
  }

  /** Everything written so far, as latin1 text. */
  get written(): string {
    return latin1(concat(this.writes));
  }

  read(p: Uint8Array): Promise<number | null> {
    this.reads++;
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    const { promise, resolve, reject } = Promise.withResolvers<number | null>();
    this.#reader = { p, resolve, reject };
    this.#serveRead();
    return promise;
  }

  #serveRead(): void {
    const r = this.#reader;
    if (r === null) return;
    if (this.#readError !== null) {
      this.#reader = null;
      r.reject(this.#readError);
      return;
    }
    const head = this.#incoming[0];
    if (head !== undefined) {
      this.#reader = null;
      const n = Math.min(head.length, r.p.length);
      r.p.set(head.subarray(0, n));
      if (n === head.length) this.#incoming.shift();
      else this.#incoming[0] = head.subarray(n);
      r.resolve(n);
      return;
    }
    if (this.#eof || this.closed) {
      this.#reader = null;
      r.resolve(null);
    }
  }

  write(p: Uint8Array): Promise<number> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    if (this.#writeError !== null) return Promise.reject(this.#writeError);
    const n = Math.min(p.length, this.maxWrite);
    if (!this.holdWrites) {
      this.writes.push(p.slice(0, n));
      return Promise.resolve(n);
    }
    // A held write takes its bytes when it completes, as the kernel may: a
    // writer that reuses the buffer meanwhile is caught.
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#held.push(() => {
      this.writes.push(p.slice(0, n));
      resolve(n);
    });
    return promise;
  }

  close(): void {
    if (this.closed) throw new Deno.errors.BadResource("closed twice");
    this.closed = true;
    // A pending read ends (as Deno ends it when the resource closes).
    this.#serveRead();
  }

  closeWrite(): Promise<void> {
    return Promise.resolve();
  }

  setNoDelay(_noDelay?: boolean): void {}

  setKeepAlive(_keepAlive?: boolean): void {}

  ref(): void {}

  unref(): void {}

  /** This object as the `Deno.Conn` (and `Deno.TcpConn`) it stands for. */
  get conn(): Deno.TcpConn {
    return this as unknown as Deno.TcpConn;
  }
}

/**
 * Lets queued promise callbacks and microtasks run (the streams' flushes,
 * the read loops), without a timer: `rounds` turns of the microtask queue.
 */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
