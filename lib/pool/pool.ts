/**
 * A server pool: its clients, its servers, and the placement of keys on
 * servers (hash_tag, hash, distribution), rebuilt when servers are ejected
 * or come back. A pool is one generation of the pool a configuration file
 * names: it does not own its listening socket (the runtime does, for the
 * life of the process, and hands it accepted clients), so a reload can build
 * the next generation and let it {@link Pool.takeOver} the clients, servers
 * and counters of the one before without closing a connection.
 *
 * @module
 */
import type { Address, PoolConfig, ServerConfig } from "../config/types.ts";
import { HASHES, KeyHasher } from "../hash/mod.ts";
import { DISTRIBUTIONS } from "../placement/mod.ts";
import type { Distribution } from "../placement/types.ts";
import type { Protocol } from "../proto/types.ts";
import { newPoolStats, type PoolStats } from "../stats/metrics.ts";
import { Histogram } from "../stats/histogram.ts";
import { ClientConn, type ClientLimits, type ClientPool } from "../net/client_conn.ts";
import type { Request } from "../net/request.ts";
import { Link, type LinkOwner } from "../net/dedicated_link.ts";
import type { PushHandler } from "../proto/types.ts";
import type { ServerConnOptions } from "../net/server_conn.ts";
import { type Connector, connectorOf } from "../net/tls.ts";
import { addressText, sameAddress, Server, type ServerOwner } from "./server.ts";
import { type Ejectable, type EjectionAuthority, LOCAL_EJECTION } from "./ejection.ts";
import { type MasterAddress, type MasterSource, SentinelWatcher } from "../sentinel/watcher.ts";
import { MASTER_SWITCHED } from "../net/reason.ts";
import { LOG_INFO, LOG_NOTICE } from "../log/levels.ts";
import { clientsKey, type ConnectionQuota, dedicatedKey, type QuotaSlot } from "./quota.ts";
import { listenKey } from "../config/listen.ts";

/** Process-wide connection counters, shared by the pools of one worker. */
export interface ConnectionCounters {
  total_connections: number;
  curr_connections: number;
}

/** What a pool needs from the proxy around it. */
export interface PoolEnv {
  readonly protocol: Protocol;
  /** Read chunk size (-m). */
  readonly chunk: number;
  readonly limits: ClientLimits;
  readonly counters: ConnectionCounters;
  log(level: number, message: string): void;
  /** The log level in force (checked before building per-request messages). */
  logLevel(): number;
  /** Opens server connections instead of the pool's own connector (the core unit tests). */
  readonly connect?: Connector;
  /** Who decides ejections (several workers: the main thread). @default {@link LOCAL_EJECTION} */
  readonly ejection?: EjectionAuthority;
  /** Connection counts shared with other workers (lib/pool/quota.ts). @default the pool's own */
  readonly quota?: ConnectionQuota;
}

/** The reason in the error reply to requests still owed at shutdown. */
const SHUTTING_DOWN = "Proxy is shutting down";
/** How long shutdown waits for those error replies to be written (a client may not read). */
const FLUSH_MS = 250;

/** One pool of servers behind one listen address. */
export class Pool implements ClientPool, ServerOwner, Ejectable<Server> {
  readonly name: string;
  readonly config: PoolConfig;
  readonly protocol: Protocol;
  readonly stats: PoolStats;
  readonly latency: Histogram;
  readonly servers: readonly Server[];
  readonly clients: Set<ClientConn> = new Set();
  readonly limits: ClientLimits;
  readonly chunk: number;
  readonly connOptions: ServerConnOptions;
  readonly serverConnections: number;
  readonly failureLimit: number;
  readonly autoEject: boolean;
  readonly retryTimeout: number;
  readonly followed: boolean;
  readonly #env: PoolEnv;
  /** The listen address as a key (lib/config/listen.ts). */
  readonly #listenKey: string;
  /** The process-wide count of this pool's clients, with several workers. */
  readonly #clientSlot: QuotaSlot | null;
  readonly #ejection: EjectionAuthority;
  readonly #hasher: KeyHasher;
  #dist: Distribution;
  #rebuildTimer: ReturnType<typeof setTimeout> | null = null;
  #serving = new Set<Promise<void>>();
  #allClosed: (() => void) | null = null;
  #closing: Promise<void> | null = null;
  /** Waiting for the last client to go ({@link closeWhenIdle}). */
  readonly #idle: (() => void)[] = [];
  /** Superseded by a newer generation: ejections no longer matter. */
  #retired = false;
  /** Follows the masters through the sentinels (pools with `sentinels:`). */
  readonly #watcher: SentinelWatcher | null;
  #watcherClosed: Promise<void> = Promise.resolve();

  /**
   * Builds the pool for `config`. With `previous` (the generation this one
   * replaces at the same listen address) the pool's counters and latency,
   * and those of every server kept (same name and address), are the same
   * objects as before, so stats carry over; nothing of `previous` changes
   * until {@link takeOver}.
   */
  constructor(config: PoolConfig, env: PoolEnv, previous: Pool | null = null) {
    this.name = config.name;
    this.config = config;
    this.stats = previous?.stats ?? newPoolStats();
    this.latency = previous?.latency ?? new Histogram();
    this.protocol = env.protocol;
    this.limits = env.limits;
    this.chunk = env.chunk;
    this.#env = env;
    this.#listenKey = listenKey(config.listen);
    this.#clientSlot = env.quota?.slot(clientsKey(this.#listenKey)) ?? null;
    this.serverConnections = config.serverConnections;
    this.failureLimit = config.serverFailureLimit;
    this.autoEject = config.autoEjectHosts;
    this.retryTimeout = config.serverRetryTimeout;
    this.#ejection = env.ejection ?? LOCAL_EJECTION;
    this.followed = config.sentinels.length > 0;
    this.connOptions = {
      protocol: env.protocol,
      timeout: config.timeout,
      chunk: env.chunk,
      connect: env.connect ?? connectorOf(config),
      poolStats: this.stats,
      poolLatency: this.latency,
      log: (level, message) => env.log(level, `pool '${config.name}': ${message}`),
    };
    this.servers = config.servers.map((s, i) => new Server(i, s, this, previous?.keptServer(s)));
    this.#hasher = new KeyHasher(HASHES[config.hash], config.hashTag);
    this.#dist = this.#build();
    this.#watcher = config.sentinels.length === 0 ? null : new SentinelWatcher({
      sentinels: config.sentinels,
      auth: config.sentinelAuth,
      masters: this.servers.map((s) => s.name),
      onMaster: (name, at, source, via) => this.#onMaster(name, at, source, via),
      log: (level, message) => this.log(level, message),
    });
  }

  /** Number of servers. */
  get serverCount(): number {
    return this.servers.length;
  }

  /** Opens server connections now when the pool asks for preconnect. */
  start(): void {
    this.#watcher?.start();
    if (this.config.preconnect) { for (const s of this.servers) s.preconnect(); }
  }

  /**
   * Settles once the pool knows where its servers are: at once, or for a
   * pool with sentinels after the first round of asking them (whatever its
   * outcome; see lib/sentinel/watcher.ts).
   */
  ready(): Promise<void> {
    return this.#watcher?.firstRound ?? Promise.resolve();
  }

  /** A sentinel says where master `name` is: a switch when it is elsewhere than we thought. */
  #onMaster(name: string, at: MasterAddress, source: MasterSource, via: string): void {
    const server = this.servers.find((s) => s.name === name);
    if (server === undefined || this.#retired) return;
    const before = server.addressKnown ? addressText(server.address) : null;
    const address: Address = { transport: "tcp", host: at.host, port: at.port };
    if (!server.moveTo(address, MASTER_SWITCHED)) return;
    if (before === null) {
      this.log(
        LOG_NOTICE,
        `server '${name}': sentinel ${via} says the master is at ${addressText(address)}`,
      );
    } else {
      this.log(
        LOG_NOTICE,
        `server '${name}' switched from ${before} to ${addressText(address)} ` +
          `(${source === "asked" ? "asked" : "+switch-master from"} sentinel ${via}; ` +
          `switch ${server.switches})`,
      );
    }
    if (server.retryAt !== 0) {
      // Ejected at its old address: the new one gets a fresh start.
      server.retryAt = 0;
      this.#dist = this.#build();
    }
  }

  /** The server of this pool a successor keeps for `config` (same name and address), if any. */
  keptServer(config: Pick<ServerConfig, "name" | "address">): Server | undefined {
    const s = this.servers.find((s) => s.name === config.name);
    if (s === undefined) return undefined;
    // A sentinel-followed master is the same master by name, wherever it moved.
    if (config.address === null || this.#watcher !== null) return s;
    return sameAddress(s.address, config.address) ? s : undefined;
  }

  /**
   * Makes this pool the successor of `previous` (built with it): every
   * client of `previous` is served here from its next request on (requests
   * already sent complete where they were sent), the connections of kept
   * servers are used here, and the connections of servers this pool does
   * not have (or beyond its server_connections) are drained: replies owed
   * are delivered, then they close, waiting at most `graceMs`. Resolves once
   * every drained connection is closed.
   */
  takeOver(previous: Pool, graceMs: number): Promise<void> {
    previous.#retire();
    const draining: Promise<void>[] = [];
    const kept = new Set<Server>();
    for (const s of this.servers) {
      const old = previous.keptServer(s);
      if (old === undefined) continue;
      kept.add(old);
      for (const conn of s.takeConnections(old)) draining.push(conn.drain(graceMs));
    }
    for (const old of previous.servers) {
      if (kept.has(old)) continue;
      for (const conn of old.releaseConnections()) draining.push(conn.drain(graceMs));
    }
    for (const client of previous.clients) {
      client.moveTo(this);
      this.clients.add(client);
    }
    previous.clients.clear();
    for (const p of previous.#serving) {
      this.#serving.add(p);
      p.finally(() => this.#serving.delete(p));
    }
    return Promise.all([...draining, previous.#watcherClosed]).then(() => {});
  }

  #retire(): void {
    if (!this.#retired && this.#watcher !== null) this.#watcherClosed = this.#watcher.close();
    this.#retired = true;
    if (this.#rebuildTimer !== null) clearTimeout(this.#rebuildTimer);
    this.#rebuildTimer = null;
  }

  /**
   * Lets clients receive the replies owed for requests already read for up
   * to `graceMs`, then closes every client and server connection. (The
   * runtime stops accepting for the pool first.)
   */
  close(graceMs = 0): Promise<void> {
    this.#closing ??= this.#close(graceMs);
    return this.#closing;
  }

  /**
   * Closes once the last client has gone: the fate of a generation whose
   * successor has other protocol or AUTH settings, so that its clients keep
   * the settings they were accepted under.
   */
  closeWhenIdle(): Promise<void> {
    this.#retire();
    if (this.clients.size === 0) return this.close();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#idle.push(resolve);
    return promise.then(() => this.close());
  }

  async #close(graceMs: number): Promise<void> {
    this.#retire();
    if (graceMs > 0 && this.clients.size > 0) {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#allClosed = resolve;
      for (const c of [...this.clients]) c.closeAfterReplies();
      const timer = setTimeout(resolve, graceMs);
      await promise;
      clearTimeout(timer);
      this.#allClosed = null;
    }
    if (this.clients.size > 0) {
      // What is still owed gets the protocol's error reply, so the client
      // knows which requests may not have been applied; then it closes.
      const { promise, resolve } = Promise.withResolvers<void>();
      this.#allClosed = resolve;
      const reply = this.protocol.errorReply(SHUTTING_DOWN);
      for (const c of [...this.clients]) c.failOwed(reply);
      const timer = this.clients.size > 0 ? setTimeout(resolve, FLUSH_MS) : undefined;
      if (this.clients.size > 0) await promise;
      clearTimeout(timer);
      this.#allClosed = null;
    }
    for (const c of [...this.clients]) c.close();
    for (const s of this.servers) s.close(SHUTTING_DOWN);
    if (this.#rebuildTimer !== null) clearTimeout(this.#rebuildTimer);
    this.#rebuildTimer = null;
    await Promise.all([...this.#serving, this.#watcherClosed]);
  }

  /** The log level in force. */
  logLevel(): number {
    return this.#env.logLevel();
  }

  /** Logs with the pool's name. */
  log(level: number, message: string): void {
    this.#env.log(level, `pool '${this.name}': ${message}`);
  }

  // ---- routing ----------------------------------------------------------

  /** Server index owning the key `buf[start, end)`, or -1 when no server is live. */
  serverOf(buf: Uint8Array, start: number, end: number): number {
    if (this.servers.length === 1 && !this.autoEject) return 0;
    return this.#dist.pick(this.#hasher.hash(buf, start, end));
  }

  /**
   * Opens a connection to server `index` dedicated to `owner`, unless the
   * server already has `dedicated_connections` of them (then: why not).
   */
  dedicate(
    index: number,
    set: number,
    owner: LinkOwner,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
  ): Link | string {
    const server = this.servers[index];
    if (server === undefined) return "no server is live";
    const stats = server.stats;
    const limit = this.config.dedicatedConnections;
    const slot = this.#env.quota?.slot(dedicatedKey(this.#listenKey, server.name)) ?? null;
    if (slot === null ? stats.dedicated_connections >= limit : !slot.take(limit)) {
      return `server '${server.name}' has ${limit} dedicated connections already ` +
        `(dedicated_connections: ${limit} in pool '${this.name}'); raise dedicated_connections, ` +
        `or have fewer clients blocked, subscribed or in a transaction at once`;
    }
    stats.dedicated_connections++;
    return new Link(index, server, this.connOptions, set, owner, pushes, lost, () => {
      stats.dedicated_connections--;
      slot?.give();
    });
  }

  /** Queues a request on server `index`, on a connection of connection set `set`. */
  send(index: number, req: Request, buf: Uint8Array, start: number, end: number, set = 0): void {
    this.servers[index]!.send(req, buf, start, end, set);
  }

  // ---- clients ----------------------------------------------------------

  /** Serves a client accepted on the pool's listen address. */
  accept(conn: Deno.Conn): void {
    const limit = this.config.clientConnections;
    const slot = this.#clientSlot;
    if (
      slot === null
        ? limit > 0 && this.clients.size >= limit
        : !slot.take(limit > 0 ? limit : Infinity)
    ) {
      this.log(LOG_INFO, `client connections limit ${limit} reached; refusing`);
      refuse(conn, this.protocol.errorReply("max number of clients reached"));
      return;
    }
    // TLS connections have no setNoDelay (lib/net/tls.ts).
    if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
    const client = new ClientConn(this, conn);
    this.log(LOG_INFO, `accepted client ${client.peer}`);
    this.clients.add(client);
    this.stats.client_connections++;
    this.#env.counters.total_connections++;
    this.#env.counters.curr_connections++;
    const serving = client.serve();
    this.#serving.add(serving);
    serving.finally(() => this.#serving.delete(serving));
  }

  /** Called by a client connection once it is closed. */
  clientClosed(client: ClientConn): void {
    if (!this.clients.delete(client)) return;
    this.#clientSlot?.give();
    this.log(LOG_INFO, `closed client ${client.peer}`);
    this.stats.client_connections--;
    this.#env.counters.curr_connections--;
    if (this.clients.size === 0) {
      this.#allClosed?.();
      for (const idle of this.#idle.splice(0)) idle();
    }
  }

  // ---- ejection ---------------------------------------------------------

  /** A server failed once: its ejection authority counts and decides. */
  failure(server: Server): void {
    this.#ejection.failure(this, server);
  }

  /** A server responded after failures. */
  recovered(server: Server): void {
    this.#ejection.recovered(this, server);
  }

  /**
   * Takes `server` out of the ring from `at` until `until` (ms since the
   * epoch; Infinity: until {@link readmit}), as its ejection authority
   * decided; `counted`: this pool's server_ejects counts it.
   */
  eject(server: Server, at: number, until: number, counted: boolean, failures: number): void {
    if (server.retryAt !== 0 || this.#retired) return;
    server.retryAt = until;
    server.stats.server_ejected_at = at * 1000;
    if (counted) this.stats.server_ejects++;
    this.log(
      LOG_NOTICE,
      `server ${server.label} ejected after ${failures} failures; ` +
        `retry in ${this.config.serverRetryTimeout} ms`,
    );
    this.#dist = this.#build();
  }

  /** Puts an ejected `server` back in the ring (its authority says the retry timeout is over). */
  readmit(server: Server): void {
    if (server.retryAt === 0 || this.#retired) return;
    server.retryAt = 0;
    this.log(LOG_NOTICE, `server ${server.label} back in the ring after retry timeout`);
    this.#dist = this.#build();
  }

  /** Builds the distribution over live servers and schedules the next rebuild. */
  #build(): Distribution {
    const now = Date.now();
    let next = 0;
    const timed = this.#ejection.poolTimesReturn;
    const live = this.servers.map((s) => {
      if (s.retryAt === 0) return true;
      if (!timed) return false;
      if (s.retryAt <= now) {
        s.retryAt = 0;
        this.log(LOG_NOTICE, `server ${s.label} back in the ring after retry timeout`);
        return true;
      }
      if (next === 0 || s.retryAt < next) next = s.retryAt;
      return false;
    });
    if (this.#rebuildTimer !== null) clearTimeout(this.#rebuildTimer);
    this.#rebuildTimer = null;
    if (next !== 0) {
      this.#rebuildTimer = setTimeout(() => {
        this.#rebuildTimer = null;
        this.#dist = this.#build();
      }, Math.max(0, next - now));
    }
    return DISTRIBUTIONS[this.config.distribution](
      this.servers.map((s) => ({ name: s.name, weight: s.weight })),
      live,
    );
  }
}

/** Writes `reply` to a connection we will not serve, then closes it. */
function refuse(conn: Deno.Conn, reply: Uint8Array): void {
  conn.write(reply).catch(() => {}).finally(() => {
    try {
      conn.close();
    } catch {
      // already closed
    }
  });
}
