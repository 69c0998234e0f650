/**
 * One client connection: reads requests, hands each to the protocol (which
 * answers it locally or routes it through this object, the
 * {@link RequestSink}), and writes replies back strictly in request order,
 * whatever server each went to and whenever it finished.
 *
 * Backpressure: reading stops while the client owes too many replies or its
 * unsent reply bytes pass a bound, so a client that sends and never reads
 * cannot grow the proxy; it resumes below half of each bound.
 *
 * @module
 */
import type { PoolStats } from "../stats/metrics.ts";
import type { Histogram } from "../stats/histogram.ts";
import {
  type ClientState,
  type DedicatedLink,
  type DeferredReply,
  ForwardFlags,
  type Fragment,
  FRAMING_ERROR,
  type Merger,
  NEED_MORE,
  type Protocol,
  type PushHandler,
  type ReplyFilter,
  type RequestParser,
  type RequestSink,
} from "../proto/types.ts";
import type { Link, LinkOwner } from "./dedicated_link.ts";
import { Fifo } from "./fifo.ts";
import { type ByteConsumer, InStream } from "./in_stream.ts";
import { OutStream } from "./out_stream.ts";
import { NO_SERVER, reasonOf } from "./reason.ts";
import { type ReplyTarget, Request } from "./request.ts";
import { LOG_INFO, LOG_VERB } from "../log/levels.ts";

/** Per-client bounds. */
export interface ClientLimits {
  /** Stop reading while this many replies are owed. */
  readonly maxPending: number;
  /** Stop reading while this many reply bytes are not yet written. */
  readonly maxOutBytes: number;
}

/** Defaults for {@link ClientLimits}. */
export const DEFAULT_CLIENT_LIMITS: ClientLimits = { maxPending: 256, maxOutBytes: 1 << 20 };

/** What a client connection needs of its pool. */
export interface ClientPool {
  readonly protocol: Protocol;
  readonly stats: PoolStats;
  /** Request-to-response latency seen by clients. */
  readonly latency: Histogram;
  readonly serverCount: number;
  readonly limits: ClientLimits;
  /** Read chunk size (-m). */
  readonly chunk: number;
  /** Server index owning the key `buf[start, end)`, or -1 when none is live. */
  serverOf(buf: Uint8Array, start: number, end: number): number;
  /**
   * Queues `buf[start, end)` for server `index` on behalf of `req`, on a
   * connection of connection set `set` ({@link ClientState.connSet}).
   */
  send(index: number, req: Request, buf: Uint8Array, start: number, end: number, set: number): void;
  /**
   * Opens a connection to server `index` of connection set `set` dedicated
   * to `owner` (see {@link RequestSink.dedicate}), or returns why not.
   */
  dedicate(
    index: number,
    set: number,
    owner: LinkOwner,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
  ): Link | string;
  /** The connection is gone. */
  clientClosed(client: ClientConn): void;
  log(level: number, message: string): void;
  /** The log level in force (checked before building per-request messages). */
  logLevel(): number;
}

/** A client connection of a pool. */
export class ClientConn implements ByteConsumer, RequestSink, ReplyTarget, LinkOwner {
  #pool: ClientPool;
  readonly #conn: Deno.Conn;
  readonly #protocol: Protocol;
  readonly #parser: RequestParser;
  readonly #state: ClientState;
  readonly #in: InStream;
  readonly #out: OutStream;
  /** Requests owed a reply, in request order. */
  readonly #queue = new Fifo<Request>(4);
  #gate: Promise<void> | null = null;
  #openGate: (() => void) | null = null;
  /** QUIT or a framing error: no more requests; close once replies are out. */
  #closing = false;
  /**
   * No request is handled now: closing, closed, or held (a blocking
   * command is in flight). One flag, so the request loop checks one field.
   */
  #halted = false;
  /** The blocking command the client's next requests wait for, or null. */
  #held: Request | null = null;
  /** The client's dedicated server connections (made on first use). */
  #links: Set<Link> | null = null;
  /** performance.now() when the current chunk was read: one clock read per chunk. */
  #now = 0;
  #closed = false;
  readonly #peer: string;

  constructor(pool: ClientPool, conn: Deno.Conn) {
    this.#pool = pool;
    this.#conn = conn;
    this.#protocol = pool.protocol;
    this.#state = pool.protocol.newClientState();
    this.#parser = pool.protocol.newRequestParser(this.#state);
    this.#in = new InStream(conn, pool.chunk);
    this.#out = new OutStream((err) => this.#fail(err), () => this.#drained());
    this.#out.attach(conn);
    const addr = conn.remoteAddr;
    this.#peer = addr.transport === "tcp" || addr.transport === "udp"
      ? `${addr.hostname}:${addr.port}`
      : (addr as Deno.UnixAddr).path || "unix";
  }

  /** Serves the connection until it closes. Never rejects. */
  serve(): Promise<void> {
    // No async wrapper: one promise chain less per (possibly idle) connection.
    // A TLS client that hangs up without close_notify has still just hung up.
    return this.#in.run(this).then(
      () => this.#eofSeen(),
      (err) => err instanceof Deno.errors.UnexpectedEof ? this.#eofSeen() : this.#fail(err),
    );
  }

  #eofSeen(): void {
    if (this.#closed) return;
    this.#pool.stats.client_eof++;
    if (this.#links !== null && this.#links.size > 0) {
      // As redis-server: a client that hangs up while blocked or
      // subscribed is gone, and so is its dedicated connection.
      this.close();
      return;
    }
    this.#closing = true;
    this.#halted = true;
    this.#maybeClose();
  }

  /** While non-null, the read loop waits (backpressure). */
  get readGate(): Promise<void> | null {
    return this.#gate;
  }

  /**
   * Serves the next requests through `pool`, the next generation of the
   * same pool (same protocol and AUTH settings) after a reload; requests
   * already sent complete where they went.
   */
  moveTo(pool: ClientPool): void {
    this.#pool = pool;
  }

  /** The peer's address, for logs. */
  get peer(): string {
    return this.#peer;
  }

  // ---- parsing ----------------------------------------------------------

  /** Parses and dispatches every whole request in the input. */
  consume(input: InStream): void {
    const parser = this.#parser;
    const limits = this.#pool.limits;
    this.#now = performance.now();
    while (input.start < input.end) {
      if (this.#halted) {
        if (this.#held !== null && !this.#closing && !this.#closed) {
          // Blocked: later requests wait unread, as redis-server leaves a
          // blocked client's commands. Bounded: reading stops beyond this.
          if (input.end - input.start >= limits.maxOutBytes) this.#pause();
          return;
        }
        // After QUIT, a framing error or close, nothing more is handled.
        input.start = input.end;
        return;
      }
      if (this.#queue.length >= limits.maxPending || this.#out.pending >= limits.maxOutBytes) {
        this.#pause();
        return;
      }
      const start = input.start;
      const end = parser.parse(input.buf, start, input.end);
      if (end === NEED_MORE) {
        input.want = parser.needed;
        return;
      }
      input.want = 0;
      if (end === FRAMING_ERROR) {
        const reason = parser.reason;
        if (reason) this.#pool.log(LOG_INFO, `client ${this.#peer}: closing: ${reason}`);
        this.local(parser.error ?? this.#protocol.errorReply("Protocol error"));
        this.closeAfterReplies();
        input.start = input.end;
        return;
      }
      input.start = end;
      this.#protocol.handle(parser, this.#state, input.buf, start, end, this);
    }
  }

  #pause(): void {
    if (this.#gate !== null) return;
    this.#gate = new Promise((resolve) => this.#openGate = resolve);
  }

  #maybeResume(): void {
    if (this.#gate === null) return;
    const limits = this.#pool.limits;
    if (
      this.#queue.length <= limits.maxPending >> 1 && this.#out.pending <= limits.maxOutBytes >> 1
    ) {
      const open = this.#openGate!;
      this.#gate = null;
      this.#openGate = null;
      open();
    }
  }

  // ---- RequestSink ------------------------------------------------------

  /** Number of servers in the pool. */
  get serverCount(): number {
    return this.#pool.serverCount;
  }

  /** Answers from the proxy, in request order. */
  local(reply: Uint8Array): void {
    if (this.#queue.length === 0) {
      this.#out.append(reply);
      return;
    }
    this.#queue.push(Request.local(this, reply));
  }

  /** Forwards `buf[start, end)` to the server owning the key. */
  forward(
    buf: Uint8Array,
    start: number,
    end: number,
    keyStart: number,
    keyEnd: number,
    flags = 0,
    filter?: ReplyFilter,
  ): void {
    const req = Request.forward(this, flags, this.#now, filter);
    this.#queue.push(req);
    const server = this.#pool.serverOf(buf, keyStart, keyEnd);
    if (this.#pool.logLevel() >= LOG_VERB) {
      this.#pool.log(
        LOG_VERB,
        `req from ${this.#peer}: ${end - start} bytes, key '${
          new TextDecoder().decode(buf.subarray(keyStart, Math.min(keyEnd, keyStart + 64)))
        }' -> server ${server}`,
      );
    }
    if (server < 0) {
      this.#pool.stats.forward_error++;
      req.fail(this.#protocol.errorReply(NO_SERVER));
      return;
    }
    this.#pool.send(server, req, buf, start, end, this.#state.connSet);
  }

  /** Server index owning a key. */
  serverOf(buf: Uint8Array, keyStart: number, keyEnd: number): number {
    return this.#pool.serverOf(buf, keyStart, keyEnd);
  }

  /** Sends each fragment to its server; merges once all answered. */
  fanOut(fragments: readonly Fragment[], merge: Merger): void {
    const n = fragments.length;
    const parent = Request.split(this, n, merge, this.#now);
    this.#queue.push(parent);
    if (this.#pool.logLevel() >= LOG_VERB) {
      this.#pool.log(
        LOG_VERB,
        `req from ${this.#peer}: split into ${n} fragments to servers ${
          fragments.map((f) => f.server).join(",")
        }`,
      );
    }
    if (n === 0) {
      const reply = merge([]);
      this.completeFrom(parent, reply, 0, reply.length);
      return;
    }
    this.#pool.stats.fragments += n;
    const set = this.#state.connSet;
    for (let i = 0; i < n; i++) {
      const frag = fragments[i]!;
      const child = Request.fragment(parent, i);
      if (frag.server < 0 || frag.server >= this.#pool.serverCount) {
        this.#pool.stats.forward_error++;
        child.fail(this.#protocol.errorReply(NO_SERVER));
      } else {
        const bytes = frag.bytes;
        this.#pool.send(frag.server, child, bytes, frag.start ?? 0, frag.end ?? bytes.length, set);
      }
    }
  }

  /** Sends `bytes` to every server; merges the replies in pool order. */
  broadcast(bytes: Uint8Array, merge: Merger): void {
    const fragments: Fragment[] = [];
    for (let i = 0; i < this.#pool.serverCount; i++) fragments.push({ server: i, bytes });
    this.fanOut(fragments, merge);
  }

  /** Closes once every reply owed has been written. */
  closeAfterReplies(): void {
    this.#closing = true;
    this.#halted = true;
    this.#maybeClose();
  }

  /** Opens a server connection dedicated to this client. */
  dedicate(
    server: number,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
  ): DedicatedLink | string {
    const link = this.#pool.dedicate(server, this.#state.connSet, this, pushes, lost);
    if (typeof link === "string") return link;
    (this.#links ??= new Set()).add(link);
    return link;
  }

  /** Reserves a place in the reply order. */
  defer(): DeferredReply {
    const req = Request.forward(this, 0, 0);
    this.#queue.push(req);
    return { resolve: (reply) => req.fail(reply) };
  }

  /** Sends a reply after those owed so far, at any time. */
  push(reply: Uint8Array): void {
    if (this.#closed) return;
    this.local(reply);
  }

  // ---- LinkOwner --------------------------------------------------------

  /** Queues a request owed to the client (sent on a dedicated connection). */
  newRequest(target: ReplyTarget): Request {
    const req = Request.forward(target, 0, this.#now);
    this.#queue.push(req);
    return req;
  }

  /** The next requests wait for `req`. */
  hold(req: Request): void {
    this.#held = req;
    this.#halted = true;
  }

  /** `req` is answered: requests read meanwhile are handled (after this turn). */
  unhold(req: Request): void {
    if (this.#held !== req) return;
    this.#held = null;
    if (this.#closing || this.#closed) return;
    this.#halted = false;
    queueMicrotask(() => {
      if (!this.#halted && this.#in.end > this.#in.start) this.consume(this.#in);
    });
  }

  /** A dedicated connection is gone. */
  linkClosed(link: Link): void {
    this.#links?.delete(link);
  }

  // ---- ReplyTarget ------------------------------------------------------

  /** A request is done with `reply` (null: nothing to send). */
  complete(req: Request, reply: Uint8Array | null): void {
    if (this.#closed) return;
    if (this.#queue.peek() === req) {
      this.#queue.shift();
      if (reply !== null) this.#out.append(reply);
      this.#release();
    } else {
      req.reply = reply;
      req.done = true;
    }
  }

  /** A request is done with the response `buf[start, end)`. */
  completeFrom(req: Request, buf: Uint8Array, start: number, end: number): void {
    if (this.#closed) return;
    // Merged replies come only this way; the pool's latency counts each
    // once (the server connections count the unsplit ones).
    if (req.parts !== null && req.readAt > 0) {
      this.#pool.latency.record(performance.now() - req.readAt);
    }
    if (this.#queue.peek() === req) {
      this.#queue.shift();
      this.#out.append(buf, start, end);
      this.#release();
    } else {
      req.reply = buf.slice(start, end);
      req.done = true;
    }
  }

  /** Sends the replies that were waiting for an earlier one. */
  #release(): void {
    const queue = this.#queue;
    for (let head = queue.peek(); head !== undefined && head.done; head = queue.peek()) {
      queue.shift();
      if (head.reply !== null) this.#out.append(head.reply);
    }
    if (this.#gate !== null) this.#maybeResume();
    if (this.#closing) this.#maybeClose();
  }

  #drained(): void {
    if (this.#gate !== null) this.#maybeResume();
    if (this.#closing) this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#closed || this.#queue.length > 0 || this.#out.pending > 0) return;
    this.close();
  }

  #fail(err: unknown): void {
    if (this.#closed) return;
    this.#pool.stats.client_err++;
    this.#pool.log(LOG_INFO, `client ${this.#peer} error: ${reasonOf(err)}`);
    this.close();
  }

  /**
   * Answers every request still owed with `reply` (the protocol's error
   * reply; nothing for quiet requests), keeping the replies already made in
   * request order, reads no more requests and closes once all is written.
   * What the servers answer later for those requests is dropped.
   */
  failOwed(reply: Uint8Array): void {
    if (this.#closed) return;
    this.#closing = true;
    for (const req of this.#queue.drain()) {
      const r = req.done ? req.reply : (req.flags & ForwardFlags.Quiet) !== 0 ? null : reply;
      if (r !== null) this.#out.append(r);
    }
    this.#maybeClose();
  }

  /** Closes now; replies still owed are discarded when they arrive. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#halted = true;
    if (this.#links !== null) {
      for (const link of [...this.#links]) link.close("client closed");
    }
    const open = this.#openGate;
    this.#gate = null;
    this.#openGate = null;
    open?.();
    this.#out.release();
    this.#in.cancel();
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#pool.clientClosed(this);
  }
}
