/**
 * A server connection dedicated to one client (Redis blocking commands,
 * transactions and subscriptions hold state on their server connection, so
 * no other client may queue on it). It is an ordinary {@link ServerConn} —
 * same handshake, parser, timeouts and stats — whose backend is this link:
 * the link passes the stats and failures on to the real server and, when
 * the connection goes, tells its client and the pool's accounting. Shared
 * connections never see any of this.
 *
 * @module
 */
import type { Address } from "../config/types.ts";
import type { Histogram } from "../stats/histogram.ts";
import type { ServerStats } from "../stats/metrics.ts";
import type { DedicatedLink, PushHandler } from "../proto/types.ts";
import { type ReplyTarget, Request } from "./request.ts";
import { type Backend, ServerConn, type ServerConnOptions } from "./server_conn.ts";

/** What a link needs of the client it belongs to. */
export interface LinkOwner extends ReplyTarget {
  /** Queues a new request owed to the client, in request order, and returns it. */
  newRequest(target: ReplyTarget): Request;
  /** The client's next requests wait for `req`'s reply (a blocking command). */
  hold(req: Request): void;
  /** `req`, a blocking command, has its reply: the client's next requests may go. */
  unhold(req: Request): void;
  /** The link's connection is gone. */
  linkClosed(link: Link): void;
}

/** Drops the replies of the protocol's own requests sent with no handler. */
const DROP: ReplyTarget = {
  complete() {},
  completeFrom() {},
};

/** Hands the reply of one protocol request to its handler. */
class ReplyTo implements ReplyTarget {
  readonly #onReply: (reply: Uint8Array) => void;
  constructor(onReply: (reply: Uint8Array) => void) {
    this.#onReply = onReply;
  }
  complete(_req: Request, reply: Uint8Array | null): void {
    if (reply !== null) this.#onReply(reply);
  }
  completeFrom(_req: Request, buf: Uint8Array, start: number, end: number): void {
    this.#onReply(buf.slice(start, end));
  }
}

/** Completes a blocking command, then lets its client's next requests go. */
class Unblock implements ReplyTarget {
  readonly #owner: LinkOwner;
  constructor(owner: LinkOwner) {
    this.#owner = owner;
  }
  complete(req: Request, reply: Uint8Array | null): void {
    this.#owner.complete(req, reply);
    this.#owner.unhold(req);
  }
  completeFrom(req: Request, buf: Uint8Array, start: number, end: number): void {
    this.#owner.completeFrom(req, buf, start, end);
    this.#owner.unhold(req);
  }
}

/** One dedicated server connection and the client it serves. */
export class Link implements DedicatedLink, Backend {
  readonly server: number;
  readonly #backend: Backend;
  readonly #owner: LinkOwner;
  readonly #conn: ServerConn;
  readonly #lost: (reason: string) => void;
  readonly #gone: () => void;
  #released = false;
  #closed = false;

  /**
   * Opens a connection of connection set `set` to `backend`, server
   * `server` of the pool, for `owner`. `pushes`: push mode (frames no
   * request waits for go there). `lost`: the server side failed it.
   * `gone`: runs once when the connection is closed, whatever the cause
   * (the pool's accounting).
   */
  constructor(
    server: number,
    backend: Backend,
    opts: ServerConnOptions,
    set: number,
    owner: LinkOwner,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
    gone: () => void,
  ) {
    this.server = server;
    this.#backend = backend;
    this.#owner = owner;
    this.#lost = lost;
    this.#gone = gone;
    this.#conn = new ServerConn(this, opts, set);
    this.#conn.onPush = pushes;
  }

  /** The server's name (Backend). */
  get name(): string {
    return this.#backend.name;
  }

  /** The server's address (Backend). */
  get address(): Address {
    return this.#backend.address;
  }

  /** The server's counters (Backend). */
  get stats(): ServerStats {
    return this.#backend.stats;
  }

  /** The server's latency (Backend). */
  get latency(): Histogram {
    return this.#backend.latency;
  }

  /** Whether the connection is gone. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a request whose reply goes to the client in order. */
  forward(buf: Uint8Array, start: number, end: number): void {
    this.#conn.send(this.#owner.newRequest(this.#owner), buf, start, end);
  }

  /** Sends a blocking command; the client's next requests wait for its reply. */
  forwardBlocking(buf: Uint8Array, start: number, end: number, blockMs: number): void {
    const req = this.#owner.newRequest(new Unblock(this.#owner));
    this.#owner.hold(req);
    this.#conn.sendBlocking(req, buf, start, end, blockMs);
  }

  /** Sends a request of the protocol's own; its reply goes to `onReply` (or is dropped). */
  send(
    buf: Uint8Array,
    start: number,
    end: number,
    onReply: ((reply: Uint8Array) => void) | null,
  ): void {
    const target = onReply === null ? DROP : new ReplyTo(onReply);
    this.#conn.send(Request.forward(target, 0, 0), buf, start, end);
  }

  /** Push mode: writes a request whose replies reach the push handler. */
  write(buf: Uint8Array, start: number, end: number): void {
    this.#conn.write(buf, start, end);
  }

  /** Delivers the replies owed, then closes. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#conn.drain(null);
  }

  /** Closes now (the client is gone); requests pending are failed and dropped. */
  close(reason: string): void {
    this.#released = true;
    this.#conn.close(reason);
  }

  /** Backend: the connection is gone. */
  connClosed(conn: ServerConn, failed: boolean, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#backend.connClosed(conn, failed, reason);
    this.#gone();
    this.#owner.linkClosed(this);
    if (!this.#released) this.#lost(reason);
  }

  /** Backend: a response arrived. */
  responded(): void {
    this.#backend.responded();
  }
}
