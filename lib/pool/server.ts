/**
 * A backend server of a pool: its address, its stats, its connections
 * (`server_connections` of them, opened on demand, requests spread over
 * them), and the failure count that drives auto-ejection. A server kept by
 * a reload (same name and address) hands its counters, failure state and
 * connections to its successor in the next pool generation.
 *
 * @module
 */
import type { Address, ServerConfig } from "../config/types.ts";
import { newServerStats, type ServerStats } from "../stats/metrics.ts";
import { Histogram } from "../stats/histogram.ts";
import type { Request } from "../net/request.ts";
import { type Backend, ServerConn, type ServerConnOptions } from "../net/server_conn.ts";
import { NO_ADDRESS } from "../net/reason.ts";

/** The address of a server whose master no sentinel has named yet (never connected to). */
export const UNKNOWN_ADDRESS: Address = Object.freeze({ transport: "tcp", host: "", port: 0 });

/** What a server needs of its pool. */
export interface ServerOwner {
  readonly connOptions: ServerConnOptions;
  readonly serverConnections: number;
  /** The server failed `server_failure_limit` times in a row (only called with auto_eject_hosts). */
  failed(server: Server): void;
  readonly failureLimit: number;
  readonly autoEject: boolean;
}

/** One backend server. */
export class Server implements Backend {
  readonly index: number;
  readonly name: string;
  readonly weight: number;
  readonly stats: ServerStats;
  readonly latency: Histogram;
  /** Consecutive failures since the last response. */
  failures = 0;
  /** Ejected until this time (ms since the epoch); 0 = live. */
  retryAt = 0;
  readonly #owner: ServerOwner;
  readonly #conns: (ServerConn | null)[];
  /** Where the server is; null while no sentinel has said where its master is. */
  #address: Address | null;
  #next = 0;

  /**
   * `previous`: the same server (name and address) in the generation this
   * one replaces; its counters are shared and its failure state copied.
   */
  constructor(index: number, config: ServerConfig, owner: ServerOwner, previous?: Server) {
    this.index = index;
    this.name = config.name;
    this.#address = config.address;
    this.weight = config.weight;
    this.#owner = owner;
    this.stats = previous?.stats ?? newServerStats();
    this.latency = previous?.latency ?? new Histogram();
    if (previous !== undefined) {
      this.failures = previous.failures;
      this.retryAt = previous.retryAt;
    }
    this.#conns = new Array<ServerConn | null>(owner.serverConnections).fill(null);
  }

  /**
   * Where the server is. It changes when a sentinel moves a master
   * ({@link moveTo}); before any sentinel answered for a `name:weight`
   * master it is {@link UNKNOWN_ADDRESS} (see {@link addressKnown}).
   */
  get address(): Address {
    return this.#address ?? UNKNOWN_ADDRESS;
  }

  /** False while a sentinel-followed master's address is not known. */
  get addressKnown(): boolean {
    return this.#address !== null;
  }

  /** Queues `buf[start, end)` for `req` on one of the server's connections. */
  send(req: Request, buf: Uint8Array, start: number, end: number): void {
    if (this.#address === null) {
      this.#owner.connOptions.poolStats.forward_error++;
      req.fail(this.#owner.connOptions.protocol.errorReply(NO_ADDRESS));
      return;
    }
    this.#pick().send(req, buf, start, end);
  }

  /** Opens every connection now (preconnect). */
  preconnect(): void {
    if (this.#address === null) return;
    for (let i = 0; i < this.#conns.length; i++) {
      if (this.#conns[i] === null) this.#conns[i] = new ServerConn(this, this.#owner.connOptions);
    }
  }

  /**
   * Takes the open connections of `previous` (the same server in the
   * generation before) into this server's slots, rebound to this server and
   * its pool's settings; returns those that do not fit (server_connections
   * went down), which the caller drains.
   */
  takeConnections(previous: Server): ServerConn[] {
    const extra: ServerConn[] = [];
    let slot = 0;
    for (const conn of previous.releaseConnections()) {
      if (slot < this.#conns.length) {
        conn.rebind(this, this.#owner.connOptions);
        this.#conns[slot++] = conn;
      } else {
        extra.push(conn);
      }
    }
    return extra;
  }

  /** Empties every slot; returns the connections that were open there. */
  releaseConnections(): ServerConn[] {
    const out: ServerConn[] = [];
    for (let i = 0; i < this.#conns.length; i++) {
      const conn = this.#conns[i];
      if (conn != null && !conn.closed) out.push(conn);
      this.#conns[i] = null;
    }
    return out;
  }

  /** Closes every connection, failing pending requests with `reason`. */
  close(reason: string): void {
    for (const conn of this.#conns) conn?.close(reason);
  }

  /** Requests queued or in flight on all connections. */
  get load(): number {
    let n = 0;
    for (const conn of this.#conns) if (conn !== null) n += conn.load;
    return n;
  }

  #pick(): ServerConn {
    const conns = this.#conns;
    let i = 0;
    if (conns.length > 1) {
      i = this.#next;
      this.#next = (i + 1) % conns.length;
    }
    let conn = conns[i];
    if (conn == null || conn.closed) {
      conn = new ServerConn(this, this.#owner.connOptions);
      conns[i] = conn;
    }
    return conn;
  }

  /** Called by a connection when it is gone. */
  connClosed(conn: ServerConn, failed: boolean): void {
    const i = this.#conns.indexOf(conn);
    if (i >= 0) this.#conns[i] = null;
    if (!failed) return;
    this.failures++;
    if (this.#owner.autoEject && this.failures >= this.#owner.failureLimit) {
      this.#owner.failed(this);
    }
  }

  /** Called by a connection when a response arrived. */
  responded(): void {
    this.failures = 0;
  }
}
