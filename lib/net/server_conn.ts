/**
 * One persistent connection to a backend server. Requests from many clients
 * are appended to one output buffer and written once per turn; responses are
 * framed by the protocol's parser and matched to the requests in flight in
 * FIFO order. When that pairing can no longer be trusted (timeout, garbage,
 * an unsolicited reply, a close mid-reply) the connection is closed and every
 * request on it is answered with an error reply: it is never reused.
 *
 * A reload may rebind a connection to the same server in the next pool
 * generation (new requests then use the new settings), or drain it: no new
 * requests, the replies owed are delivered, then it closes.
 *
 * @module
 */
import type { Address } from "../config/types.ts";
import type { PoolStats, ServerStats } from "../stats/metrics.ts";
import type { Histogram } from "../stats/histogram.ts";
import {
  FRAMING_ERROR,
  NEED_MORE,
  type Protocol,
  type PushHandler,
  type ResponseParser,
} from "../proto/types.ts";
import { Fifo } from "./fifo.ts";
import { type ByteConsumer, InStream } from "./in_stream.ts";
import { OutStream } from "./out_stream.ts";
import { CLOSED_BY_SERVER, reasonOf, TIMED_OUT } from "./reason.ts";
import type { Connector } from "./tls.ts";
import { Request } from "./request.ts";
import { LOG_INFO, LOG_WARN, type LogFn } from "../log/levels.ts";

/** What a server connection reports to the server it belongs to. */
export interface Backend {
  readonly name: string;
  /** The name for logs, with the address when the name does not say it. @default `'name'` */
  readonly label?: string;
  readonly address: Address;
  readonly stats: ServerStats;
  /** Request-to-response latency of this server. */
  readonly latency: Histogram;
  /**
   * The connection is gone. `failed`: the proxy did not ask for it (an
   * error, refusal, timeout, or the server closing it, idle or not, as
   * twemproxy counts every server close); it counts towards ejection.
   * `reason`: why, as clients see it.
   */
  connClosed(conn: ServerConn, failed: boolean, reason: string): void;
  /**
   * A response to a client's request arrived: the server works. (Replies
   * to the handshake do not count: a server that answers AUTH and then
   * drops the connection is not working; twemproxy swallows them too.)
   */
  responded(): void;
}

/** Settings shared by the connections of a pool. */
export interface ServerConnOptions {
  readonly protocol: Protocol;
  /** Request timeout in ms, or null for none. */
  readonly timeout: number | null;
  /** Read chunk size (-m). */
  readonly chunk: number;
  /** Opens the socket: plain or TLS, with TCP options (lib/net/tls.ts). */
  readonly connect: Connector;
  readonly poolStats: PoolStats;
  /** Request-to-response latency seen by the pool's clients. */
  readonly poolLatency: Histogram;
  /** Called with a line for the log at the given level. */
  readonly log: LogFn;
}

/**
 * Added to a blocking command's deadline: redis-server notices a blocked
 * client's timeout on its next timer tick (every 100 ms at its default
 * `hz 10`, later when busy), so replies come a little after the timeout.
 */
export const BLOCK_SLACK = 1000;
/** Why a drained connection closed once its last reply was delivered. */
const DRAINED = "drained after a reload";

/** A connection to one backend server. */
export class ServerConn implements ByteConsumer {
  readonly readGate = null;
  /** The protocol's connection set this connection belongs to ({@link Protocol.connSets}). */
  readonly set: number;
  #backend: Backend;
  #opts: ServerConnOptions;
  #parser: ResponseParser;
  #out: OutStream;
  #in: InStream | null = null;
  #conn: Deno.Conn | null = null;
  /** Requests sent or waiting to be sent, oldest first. */
  #inflight = new Fifo<Request>(64);
  /** How many of the newest requests in #inflight are not written yet. */
  #unsent = 0;
  #unsentBytes = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #connected = false;
  #checkTimeout = () => this.#onTimer();
  /** Set by {@link drain}: resolves the drain once the connection is closed. */
  #onDrained: (() => void) | null = null;
  /**
   * Push mode (a dedicated connection of a subscribed client): every
   * response that no request waits for is handed here instead of closing
   * the connection. Null on shared connections.
   */
  onPush: PushHandler | null = null;

  /**
   * Opens a connection of connection set `set` (0 unless the protocol keeps
   * several) and queues the protocol's handshake for that set first.
   */
  constructor(backend: Backend, opts: ServerConnOptions, set = 0) {
    this.#backend = backend;
    this.#opts = opts;
    this.set = set;
    this.#parser = opts.protocol.newResponseParser();
    this.#out = new OutStream((err) => this.#close(reasonOf(err), true), null);
    this.#out.onFlush = () => this.#flushed();
    const handshake = opts.protocol.handshake(set);
    for (let step = 0; step < handshake.length; step++) {
      const bytes = handshake[step]!;
      // A handshake request: owed to nobody; its index is the step.
      this.#enqueue(Request.internal(step), bytes, 0, bytes.length);
    }
    this.#open();
  }

  /** Whether the connection has been closed (it is never reused). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Requests queued or in flight. */
  get load(): number {
    return this.#inflight.length;
  }

  /** Sends `buf[start, end)` for `req`. */
  send(req: Request, buf: Uint8Array, start: number, end: number): void {
    if (this.#closed) {
      req.fail(this.#opts.protocol.errorReply(CLOSED_BY_SERVER));
      return;
    }
    this.#enqueue(req, buf, start, end);
  }

  /**
   * Sends a blocking command for `req` whose own timeout is `blockMs` (0:
   * none): the pool's timeout counts from the end of the command's own,
   * plus {@link BLOCK_SLACK}, so it never cuts the command short; with no
   * pool timeout, or no command timeout, the request has no deadline. (Dedicated connections only:
   * nothing is queued behind a blocking command there.)
   */
  sendBlocking(req: Request, buf: Uint8Array, start: number, end: number, blockMs: number): void {
    this.send(req, buf, start, end);
    if (this.#closed || req.deadline === 0) return;
    req.deadline = blockMs > 0 ? req.deadline + blockMs + BLOCK_SLACK : 0;
  }

  /**
   * Push mode: writes `buf[start, end)` with no request waiting for its
   * replies (they reach {@link onPush}).
   */
  write(buf: Uint8Array, start: number, end: number): void {
    if (this.#closed) return;
    const stats = this.#backend.stats;
    stats.requests++;
    stats.request_bytes += end - start;
    this.#out.append(buf, start, end);
  }

  /** Closes the connection, failing whatever is pending with `reason`. */
  close(reason: string): void {
    this.#close(reason, false);
  }

  /**
   * From now on requests come from `backend` with `opts` (the same server in
   * a new pool generation). Requests already queued keep their deadlines.
   */
  rebind(backend: Backend, opts: ServerConnOptions): void {
    this.#backend = backend;
    this.#opts = opts;
  }

  /**
   * Takes no new requests (the caller no longer sends any), delivers the
   * replies owed, then closes; after `graceMs` the rest fail with an error
   * reply (null: no limit but the requests' own timeouts). Resolves once
   * closed.
   */
  drain(graceMs: number | null): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    const owed = this.#inflight.length;
    let late = false;
    const timer = graceMs === null ? null : setTimeout(() => {
      late = true;
      this.#close(`server removed by a reload; no reply within ${graceMs} ms`, false);
    }, graceMs);
    this.#onDrained = () => {
      if (timer !== null) clearTimeout(timer);
      if (!late && owed > 0 && graceMs !== null) {
        this.#opts.log(
          LOG_INFO,
          `server ${this.#label()} connection drained after a reload: ` +
            `${owed} replies owed delivered`,
        );
      }
      resolve();
    };
    if (this.#inflight.length === 0) this.#close(DRAINED, false);
    return promise;
  }

  #enqueue(req: Request, buf: Uint8Array, start: number, end: number): void {
    const n = end - start;
    req.size = n;
    const timeout = this.#opts.timeout;
    if (timeout !== null) {
      req.deadline = performance.now() + timeout;
      if (this.#timer === null) this.#timer = setTimeout(this.#checkTimeout, timeout);
    }
    this.#inflight.push(req);
    this.#unsent++;
    this.#unsentBytes += n;
    const stats = this.#backend.stats;
    stats.requests++;
    stats.request_bytes += n;
    stats.in_queue++;
    stats.in_queue_bytes += n;
    this.#out.append(buf, start, end);
  }

  /** Everything appended so far went into a write: in_queue -> out_queue. */
  #flushed(): void {
    const stats = this.#backend.stats;
    stats.in_queue -= this.#unsent;
    stats.in_queue_bytes -= this.#unsentBytes;
    stats.out_queue += this.#unsent;
    stats.out_queue_bytes += this.#unsentBytes;
    this.#unsent = 0;
    this.#unsentBytes = 0;
  }

  async #open(): Promise<void> {
    const addr = this.#backend.address;
    let conn: Deno.Conn;
    try {
      conn = await this.#opts.connect(addr);
    } catch (err) {
      this.#close(reasonOf(err), true);
      return;
    }
    if (this.#closed) {
      // Timed out or shut down while connecting.
      conn.close();
      return;
    }
    this.#conn = conn;
    this.#connected = true;
    this.#backend.stats.server_connections++;
    this.#opts.log(LOG_INFO, `connected to server ${this.#label()}`);
    this.#in = new InStream(conn, this.#opts.chunk);
    this.#out.attach(conn);
    this.#in.run(this).then(
      () => this.#close(CLOSED_BY_SERVER, true, true),
      (err) => this.#close(reasonOf(err), true),
    );
  }

  /** Frames responses and hands each to the oldest request in flight. */
  consume(input: InStream): void {
    const parser = this.#parser;
    const stats = this.#backend.stats;
    const latency = this.#backend.latency;
    const poolLatency = this.#opts.poolLatency;
    const now = performance.now();
    let responded = false;
    while (input.start < input.end && !this.#closed) {
      const buf = input.buf;
      const start = input.start;
      const end = parser.parse(buf, start, input.end);
      if (end === NEED_MORE) {
        input.want = parser.needed;
        break;
      }
      input.want = 0;
      if (end === FRAMING_ERROR) {
        this.#close("Protocol error: invalid response from server", true);
        return;
      }
      const req = this.#inflight.shift();
      if (req === undefined && this.onPush !== null) {
        input.start = end;
        stats.responses++;
        stats.response_bytes += end - start;
        responded = true;
        this.onPush(buf, start, end, parser.isError);
        continue;
      }
      if (req === undefined || this.#inflight.length < this.#unsent) {
        // A reply to nothing we sent: the pairing cannot be trusted.
        if (req !== undefined) this.#inflight.push(req);
        this.#close("Protocol error: unsolicited response from server", true);
        return;
      }
      input.start = end;
      stats.responses++;
      stats.response_bytes += end - start;
      stats.out_queue--;
      stats.out_queue_bytes -= req.size;
      if (req.target === null && req.parent === null) {
        // A handshake reply: the protocol judges it.
        const failure = this.#opts.protocol.handshakeFailure(
          this.set,
          req.index,
          buf,
          start,
          end,
          parser.isError,
        );
        if (failure !== null) {
          this.#close(failure, true);
          return;
        }
        continue;
      }
      responded = true;
      if (req.readAt > 0) {
        latency.record(now - req.readAt);
        if (req.parent === null) poolLatency.record(now - req.readAt);
      }
      req.respond(buf, start, end);
    }
    if (responded) this.#backend.responded();
    if (this.#onDrained !== null && this.#inflight.length === 0) this.#close(DRAINED, false);
  }

  #onTimer(): void {
    this.#timer = null;
    const head = this.#inflight.peek();
    if (head === undefined || this.#closed) return;
    const now = performance.now();
    if (head.deadline === 0) {
      // Sent with no timeout (before a reload set one, or after one removed
      // it): it never times out; look again later if requests now have one.
      const timeout = this.#opts.timeout;
      if (timeout !== null) this.#timer = setTimeout(this.#checkTimeout, timeout);
      return;
    }
    if (head.deadline <= now) {
      this.#backend.stats.server_timedout++;
      this.#close(TIMED_OUT, true);
      return;
    }
    this.#timer = setTimeout(this.#checkTimeout, head.deadline - now);
  }

  /** The server as logs name it. */
  #label(): string {
    return this.#backend.label ?? `'${this.#backend.name}'`;
  }

  #close(reason: string, failed: boolean, eof = false): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    const stats = this.#backend.stats;
    if (eof) stats.server_eof++;
    else if (failed && reason !== TIMED_OUT) stats.server_err++;
    if (this.#connected) stats.server_connections--;
    this.#out.release();
    this.#in?.cancel();
    if (this.#conn !== null) {
      try {
        this.#conn.close();
      } catch {
        // already closed by the peer
      }
    }
    const pending = this.#inflight.drain();
    // An idle connection the server closed (its `timeout`) is routine: not logged.
    if (pending.length > 0 || (failed && !eof)) {
      this.#opts.log(
        LOG_WARN,
        `server ${this.#label()} connection closed: ${reason}` +
          (pending.length > 0 ? ` (${pending.length} requests failed)` : ""),
      );
    }
    // Queue stats: the oldest requests were written, the newest `#unsent` were not.
    const sent = pending.length - this.#unsent;
    for (let i = 0; i < pending.length; i++) {
      const req = pending[i]!;
      if (i < sent) {
        stats.out_queue--;
        stats.out_queue_bytes -= req.size;
      }
    }
    stats.in_queue -= this.#unsent;
    stats.in_queue_bytes -= this.#unsentBytes;
    this.#unsent = 0;
    this.#unsentBytes = 0;
    const reply = this.#opts.protocol.errorReply(reason);
    for (const req of pending) {
      if (req.target !== null || req.parent !== null) {
        this.#opts.poolStats.forward_error++;
        req.fail(reply);
      }
    }
    this.#backend.connClosed(this, failed, reason);
    this.#onDrained?.();
  }
}
