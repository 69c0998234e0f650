/**
 * Support for tests and tools: a scripted backend on a loopback port. For
 * each chunk it reads on a connection it asks a handler what bytes to send
 * back and whether to close. Tests use it only for faults a real server will
 * not produce on demand (garbage, half replies, unsolicited replies);
 * everything else is tested against real redis-server and memcached. The
 * fixture generators use it to see which backend nutcracker sent each key to.
 *
 * @module
 */

/** What the backend does for the n-th chunk a connection received. */
export interface FakeAction {
  /** Bytes to send (may be partial replies or garbage); a string is sent as UTF-8. */
  readonly send?: string | Uint8Array;
  /** Close the connection after sending. */
  readonly close?: boolean;
}

/** Decides, for each chunk read on one connection, what to do. */
export type ChunkHandler = (chunk: Uint8Array, index: number) => FakeAction;

/** Where a fake backend listens, and what to do with a handler's errors. */
export interface FakeBackendOptions {
  /** A 127.0.0.0/8 address. @default "127.0.0.1" */
  readonly hostname?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** Told of an error thrown by a handler (the connection is then closed). @default ignore */
  readonly onError?: (err: unknown) => void;
}

const enc = new TextEncoder();

/** A fake backend listening on a loopback address; `await using` closes it. */
export class FakeBackend implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.TcpListener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  readonly #onError: (err: unknown) => void;
  /** Makes the handler of a new connection (replaced by {@link FakeBackend.raw}). */
  #newHandler: () => ChunkHandler;
  /** Connections accepted so far. */
  accepted = 0;

  /** `script(chunk, index)` is called for each chunk (decoded as UTF-8) read on a connection. */
  constructor(script: (chunk: string, index: number) => FakeAction, options?: FakeBackendOptions) {
    const dec = new TextDecoder();
    const handler: ChunkHandler = (chunk, i) => script(dec.decode(chunk), i);
    this.#onError = options?.onError ?? (() => {});
    const hostname = options?.hostname ?? "127.0.0.1";
    if (!hostname.startsWith("127.")) {
      throw new RangeError(`Cannot listen on ${hostname}: not a loopback address`);
    }
    this.#listener = Deno.listen({ hostname, port: options?.port ?? 0 });
    this.port = this.#listener.addr.port;
    this.#newHandler = () => handler;
    this.#loop = this.#accept();
  }

  /**
   * A backend whose connections each get their own handler from
   * `connection()` (so a handler can keep state across chunks) and see raw bytes.
   */
  static raw(connection: () => ChunkHandler, options?: FakeBackendOptions): FakeBackend {
    const backend = new FakeBackend(() => ({}), options);
    backend.#newHandler = connection;
    return backend;
  }

  async #accept(): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.accepted++;
      this.#conns.add(conn);
      const t = this.#serve(conn, this.#newHandler());
      this.#tasks.add(t);
      t.finally(() => this.#tasks.delete(t));
    }
  }

  async #serve(conn: Deno.Conn, handler: ChunkHandler): Promise<void> {
    const buf = new Uint8Array(65536);
    try {
      for (let i = 0;; i++) {
        const n = await conn.read(buf);
        if (n === null) break;
        let action: FakeAction;
        try {
          action = handler(buf.subarray(0, n), i);
        } catch (err) {
          this.#onError(err);
          break;
        }
        if (action.send !== undefined) {
          const out = typeof action.send === "string" ? enc.encode(action.send) : action.send;
          for (let off = 0; off < out.length;) off += await conn.write(out.subarray(off));
        }
        if (action.close) break;
      }
    } catch {
      // reset
    } finally {
      this.#conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed
      }
    }
  }

  /** Closes the listener and every connection, and waits for them. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    await this.#loop;
    await Promise.all(this.#tasks);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
