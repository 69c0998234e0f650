/**
 * A backend server of a pool: its address, its stats, its connections
 * (`server_connections` of them per connection set in use, opened on
 * demand, requests spread over them), and the failure count that drives
 * auto-ejection. The protocol may keep several sets of connections apart
 * (Redis: RESP2 and RESP3 connections); set 0 is the one every pool uses,
 * the others are made on a client's first request that needs them. A
 * server kept by a reload (same name and address) hands its counters,
 * failure state and connections to its successor in the next pool
 * generation.
 *
 * @module
 */
import type { Address, ServerConfig } from "../config/types.ts";
import { newServerStats, type ServerStats } from "../stats/metrics.ts";
import { Histogram } from "../stats/histogram.ts";
import type { Request } from "../net/request.ts";
import { type Backend, ServerConn, type ServerConnOptions } from "../net/server_conn.ts";
import { NO_ADDRESS } from "../net/reason.ts";
import type { EjectableServer } from "./ejection.ts";

/** The address of a server whose master no sentinel has named yet (never connected to). */
export const UNKNOWN_ADDRESS: Address = Object.freeze({ transport: "tcp", host: "", port: 0 });

/** Whether two addresses are the same socket address as written. */
export function sameAddress(a: Address, b: Address): boolean {
  if (a.transport === "unix") return b.transport === "unix" && a.path === b.path;
  return b.transport === "tcp" && a.host === b.host && a.port === b.port;
}

/** An address in words: `host:port` (`[v6]:port`) or the socket path. */
export function addressText(a: Address): string {
  if (a.transport === "unix") return a.path;
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** What a server needs of its pool. */
export interface ServerOwner {
  readonly connOptions: ServerConnOptions;
  readonly serverConnections: number;
  /** The server failed once (its pool's ejection authority counts and decides). */
  failure(server: Server): void;
  /** The server responded while its `failures` was non-zero. */
  recovered(server: Server): void;
  /** Whether sentinels say where this pool's servers are. */
  readonly followed: boolean;
}

/** One backend server. */
export class Server implements Backend, EjectableServer {
  readonly index: number;
  readonly name: string;
  readonly weight: number;
  readonly stats: ServerStats;
  readonly latency: Histogram;
  /**
   * Consecutive failures (server connections closed without the proxy
   * asking) since the last response to a client's request, as this event
   * loop knows them (lib/pool/ejection.ts); non-zero until that response.
   */
  failures = 0;
  /** Ejected until this time (ms since the epoch; Infinity: until told); 0 = live. */
  retryAt = 0;
  readonly #owner: ServerOwner;
  /** The connections of each connection set; sets other than 0 made on demand. */
  readonly #sets: ((ServerConn | null)[] | undefined)[];
  /** Round-robin position in each set. */
  readonly #next: number[];
  /** Where the server is; null while no sentinel has said where its master is. */
  #address: Address | null;
  /** Times a sentinel moved this server to another address (`server_switches`). */
  switches = 0;

  /**
   * `previous`: the same server (name and address) in the generation this
   * one replaces; its counters are shared and its failure state copied.
   */
  constructor(index: number, config: ServerConfig, owner: ServerOwner, previous?: Server) {
    this.index = index;
    this.name = config.name;
    // A kept server keeps the address a sentinel may have moved it to.
    this.#address = previous !== undefined ? previous.#address : config.address;
    this.weight = config.weight;
    this.#owner = owner;
    this.stats = previous?.stats ?? newServerStats();
    this.latency = previous?.latency ?? new Histogram();
    if (previous !== undefined) {
      this.failures = previous.failures;
      this.retryAt = previous.retryAt;
      this.switches = previous.switches;
    }
    const sets = Math.max(1, owner.connOptions.protocol.connSets);
    this.#sets = new Array(sets).fill(undefined);
    this.#sets[0] = this.#newSet();
    this.#next = new Array<number>(sets).fill(0);
  }

  /**
   * Where the server is. Before any sentinel answered for a `name:weight`
   * master it is {@link UNKNOWN_ADDRESS} (see {@link addressKnown}).
   */
  get address(): Address {
    return this.#address ?? UNKNOWN_ADDRESS;
  }

  /** For logs: `'name'`, and the address beside it when the name is not the address. */
  get label(): string {
    return serverLabel(this.name, this.#address);
  }

  /** False while a sentinel-followed master's address is not known. */
  get addressKnown(): boolean {
    return this.#address !== null;
  }

  /**
   * The stats fields of a sentinel-followed server (its current address and
   * `server_switches`), or null for others, whose stats stay twemproxy's.
   */
  extraStats(): Readonly<Record<string, string | number>> | null {
    if (!this.#owner.followed) return null;
    return {
      address: this.#address === null ? "unknown" : addressText(this.#address),
      server_switches: this.switches,
    };
  }

  /** Queues `buf[start, end)` for `req` on one of the server's connections of set `set`. */
  send(req: Request, buf: Uint8Array, start: number, end: number, set = 0): void {
    if (this.#address === null) {
      this.#owner.connOptions.poolStats.forward_error++;
      req.fail(this.#owner.connOptions.protocol.errorReply(NO_ADDRESS));
      return;
    }
    this.#pick(set).send(req, buf, start, end);
  }

  /**
   * Points the server at `address` (a sentinel moved its master): every
   * connection to the old address closes, failing the requests in flight
   * there with `reason` (their outcome on the old master is unknown), and
   * the next requests connect to the new address. Returns false when the
   * server is already there. The first address of a `name:weight` master is
   * not a switch.
   */
  moveTo(address: Address, reason: string): boolean {
    const old = this.#address;
    if (old !== null && sameAddress(old, address)) return false;
    this.#address = address;
    if (old !== null) this.switches++;
    this.failures = 0;
    this.close(reason);
    return true;
  }

  /** Opens every connection of set 0 now (preconnect). */
  preconnect(): void {
    if (this.#address === null) return;
    const conns = this.#sets[0]!;
    for (let i = 0; i < conns.length; i++) {
      if (conns[i] === null) conns[i] = new ServerConn(this, this.#owner.connOptions, 0);
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
    const slots = new Array<number>(this.#sets.length).fill(0);
    for (const conn of previous.releaseConnections()) {
      const set = conn.set;
      if (set >= this.#sets.length) {
        extra.push(conn);
        continue;
      }
      const conns = this.#sets[set] ??= this.#newSet();
      if (slots[set]! < conns.length) {
        conn.rebind(this, this.#owner.connOptions);
        conns[slots[set]!++] = conn;
      } else {
        extra.push(conn);
      }
    }
    return extra;
  }

  /** Empties every slot of every set; returns the connections that were open there. */
  releaseConnections(): ServerConn[] {
    const out: ServerConn[] = [];
    for (const conns of this.#sets) {
      if (conns === undefined) continue;
      for (let i = 0; i < conns.length; i++) {
        const conn = conns[i];
        if (conn != null && !conn.closed) out.push(conn);
        conns[i] = null;
      }
    }
    return out;
  }

  /** Closes every connection, failing pending requests with `reason`. */
  close(reason: string): void {
    for (const conns of this.#sets) {
      if (conns !== undefined) { for (const c of conns) c?.close(reason); }
    }
  }

  /** Requests queued or in flight on all connections. */
  get load(): number {
    let n = 0;
    for (const conns of this.#sets) {
      if (conns !== undefined) { for (const c of conns) if (c !== null) n += c.load; }
    }
    return n;
  }

  #newSet(): (ServerConn | null)[] {
    return new Array<ServerConn | null>(this.#owner.serverConnections).fill(null);
  }

  #pick(set: number): ServerConn {
    let conns = this.#sets[set];
    if (conns === undefined) {
      if (set < 0 || set >= this.#sets.length) {
        throw new RangeError(`Cannot send: connection set ${set} of ${this.#sets.length}`);
      }
      conns = this.#sets[set] = this.#newSet();
    }
    let i = 0;
    if (conns.length > 1) {
      i = this.#next[set]!;
      this.#next[set] = (i + 1) % conns.length;
    }
    let conn = conns[i];
    if (conn == null || conn.closed) {
      conn = new ServerConn(this, this.#owner.connOptions, set);
      conns[i] = conn;
    }
    return conn;
  }

  /** Called by a connection when it is gone. */
  connClosed(conn: ServerConn, failed: boolean, _reason?: string): void {
    const conns = this.#sets[conn.set];
    const i = conns === undefined ? -1 : conns.indexOf(conn);
    if (i >= 0) conns![i] = null;
    if (!failed) return;
    this.#owner.failure(this);
  }

  /** Called by a connection when a response arrived. */
  responded(): void {
    if (this.failures !== 0) this.#owner.recovered(this);
  }
}

/** `'name'`, or `'name' (address)` when the name does not already say the address. */
export function serverLabel(name: string, address: Address | null): string {
  if (address === null) return `'${name}'`;
  const text = address.transport === "unix"
    ? address.path
    : address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
  return name === text ? `'${name}'` : `'${name}' (${text})`;
}
