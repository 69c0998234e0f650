/**
 * Accepts connections on a pool's `listen` address (TCP, TLS over TCP, or a
 * unix socket with its permission bits) and hands each to the pool; a TLS
 * connection only once its handshake is done (lib/net/tls.ts). Accept errors such
 * as running out of file descriptors are logged and retried after a pause;
 * they never stop the proxy.
 *
 * @module
 */
import type { Address } from "../config/types.ts";
import { reasonOf } from "./reason.ts";
import { LOG_ERR, LOG_WARN, type LogFn } from "../log/levels.ts";
import { acceptTls, listenOn, type ListenTls } from "./tls.ts";
import { applyBacklog, DENO_BACKLOG } from "./backlog.ts";

/** How long to wait after a failed accept (e.g. EMFILE) before trying again. */
const ACCEPT_RETRY_MS = 50;

/** A listening socket and its accept loop. */
export class Listener {
  readonly #address: Address;
  readonly #onConn: (conn: Deno.Conn) => void;
  readonly #log: LogFn;
  readonly #tls: ListenTls | null;
  readonly #reusePort: boolean;
  readonly #backlog: number;
  /** TLS connections accepted whose handshake is not done yet. */
  readonly #handshaking = new Map<Deno.TlsConn, Promise<void>>();
  #listener: Deno.Listener | null = null;
  #listening: Promise<void> = Promise.resolve();
  #loop: Promise<void> | null = null;
  #closed = false;

  constructor(
    address: Address,
    onConn: (conn: Deno.Conn) => void,
    log: LogFn,
    tls: ListenTls | null = null,
    reusePort = false,
    backlog = DENO_BACKLOG,
  ) {
    this.#reusePort = reusePort;
    this.#backlog = backlog;
    this.#address = address;
    this.#onConn = onConn;
    this.#log = log;
    this.#tls = tls;
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
      this.#listener = listenOn(a, null).listener;
      if (a.mode !== null) Deno.chmodSync(a.path, a.mode);
    } else {
      const opened = listenOn(a, this.#tls, (peer, reason) => {
        if (!this.#closed) {
          this.#log(LOG_WARN, `TLS handshake with client ${peer} failed: ${reason}`);
        }
      }, this.#reusePort);
      this.#listener = opened.listener;
      this.#listening = opened.listening;
      // A tls_ca listener is node:tls's socket, bound later: it keeps Deno's backlog.
      if (this.#tls === null || this.#tls.ca === null) {
        const why = applyBacklog(opened.listener, this.#backlog);
        if (why !== null) {
          this.#log(
            LOG_WARN,
            `listen backlog of ${a.host}:${a.port} stays ${DENO_BACKLOG}, not ${this.#backlog}: ${why}`,
          );
        }
      }
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
      if (this.#tls === null) this.#onConn(conn);
      else this.#secure(conn as Deno.TlsConn);
    }
  }

  /** Serves `conn` once its TLS handshake is done; logs and drops it otherwise. */
  #secure(conn: Deno.TlsConn): void {
    const addr = conn.remoteAddr;
    const done = acceptTls(conn).then(
      () => {
        if (this.#closed) conn.close();
        else this.#onConn(conn);
      },
      (err) => {
        if (this.#closed) return;
        this.#log(
          LOG_WARN,
          `TLS handshake with client ${addr.hostname}:${addr.port} failed: ${reasonOf(err)}`,
        );
      },
    ).finally(() => this.#handshaking.delete(conn));
    this.#handshaking.set(conn, done);
  }

  /**
   * Resolves once the socket accepts connections (at once, except for a
   * `tls_ca` listener, which node:tls binds a moment after {@link open});
   * rejects when that bind failed.
   */
  ready(): Promise<void> {
    return this.#listening;
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
    const handshakes = [...this.#handshaking.values()];
    for (const conn of this.#handshaking.keys()) {
      try {
        conn.close();
      } catch {
        // closed by the failed handshake
      }
    }
    await Promise.all(handshakes);
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
