/**
 * Accepts connections on a pool's `listen` address (TCP, or a unix socket
 * with its permission bits) and hands each to the pool. Accept errors such
 * as running out of file descriptors are logged and retried after a pause;
 * they never stop the proxy.
 *
 * @module
 */
import type { Address } from "../config/types.ts";
import { reasonOf } from "./reason.ts";
import { LOG_ERR, type LogFn } from "../log/levels.ts";

/** How long to wait after a failed accept (e.g. EMFILE) before trying again. */
const ACCEPT_RETRY_MS = 50;

/** A listening socket and its accept loop. */
export class Listener {
  readonly #address: Address;
  readonly #onConn: (conn: Deno.Conn) => void;
  readonly #log: LogFn;
  #listener: Deno.Listener | null = null;
  #loop: Promise<void> | null = null;
  #closed = false;

  constructor(
    address: Address,
    onConn: (conn: Deno.Conn) => void,
    log: LogFn,
  ) {
    this.#address = address;
    this.#onConn = onConn;
    this.#log = log;
  }

  /** The bound address (the real port when 0 was asked for). */
  get addr(): Deno.Addr {
    if (this.#listener === null) {
      throw new Error("Cannot read the address: the listener is not open");
    }
    return this.#listener.addr;
  }

  /** Binds the socket (throws on failure) and starts accepting. */
  open(): void {
    this.bind();
    this.start();
  }

  /**
   * Binds the socket (throws on failure) without accepting yet, so that a
   * caller binding several can undo them all before any client is taken.
   */
  bind(): void {
    const a = this.#address;
    if (a.transport === "unix") {
      removeStaleSocket(a.path);
      this.#listener = Deno.listen({ transport: "unix", path: a.path });
      if (a.mode !== null) Deno.chmodSync(a.path, a.mode);
    } else {
      this.#listener = Deno.listen({ hostname: a.host, port: a.port });
    }
  }

  /** Starts accepting on the bound socket. */
  start(): void {
    if (this.#listener === null || this.#loop !== null) return;
    this.#loop = this.#accept(this.#listener);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (this.#closed || err instanceof Deno.errors.BadResource) return;
        this.#log(LOG_ERR, `accept failed: ${reasonOf(err)}`);
        await new Promise((r) => setTimeout(r, ACCEPT_RETRY_MS));
        continue;
      }
      this.#onConn(conn);
    }
  }

  /** Stops accepting and releases the socket (and the unix socket file). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener?.close();
    } catch {
      // already closed
    }
    await this.#loop;
    if (this.#address.transport === "unix") removeStaleSocket(this.#address.path);
  }
}

function removeStaleSocket(path: string): void {
  try {
    if (Deno.lstatSync(path).isSocket) Deno.removeSync(path);
  } catch {
    // not there
  }
}
