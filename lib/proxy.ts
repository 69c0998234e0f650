/**
 * The proxy: the pools of one configuration, with their listeners, clients
 * and servers, built as one object that can be opened and closed (and, in a
 * later reload, built anew and swapped in). All mutable state lives in this
 * object, so several workers can each run their own.
 *
 * @module
 */
import meta from "../deno.json" with { type: "json" };
import type { Config, PoolConfig } from "./config/types.ts";
import type { RunOptions } from "./cli/options.ts";
import { type ConnectionCounters, Pool } from "./pool/pool.ts";
import { DEFAULT_CLIENT_LIMITS } from "./net/client_conn.ts";
import type { Protocol } from "./proto/types.ts";
import { RedisProtocol } from "./proto/redis/mod.ts";
import { MemcacheProtocol } from "./proto/memcache/mod.ts";
import { StatsServer } from "./stats/server.ts";
import { logger } from "./log/default_logger.ts";

/** nutmeg's version, from deno.json. */
export const VERSION: string = meta.version;

/**
 * What memcached pools answer to `version`: a memcached version whose ASCII
 * protocol nutmeg serves, then nutmeg's own. Clients gate features on the
 * number (memccapable fails most of its suite below 1.6).
 */
export const MEMCACHED_VERSION = `1.6.0-nutmeg-${VERSION}`;

/** A log sink: level (twemproxy's 0..11) and message. */
export type LogFn = (level: number, message: string) => void;

/** Options of a {@link Proxy}. */
export interface ProxyOptions {
  /** Read chunk size in bytes (-m). @default 16384 */
  readonly chunk?: number;
  /** Where log lines go. @default nowhere */
  readonly log?: LogFn;
  /** The log level in force, read before building per-request messages. @default 5 */
  readonly logLevel?: () => number;
}

/** The running pools of one configuration. */
export class Proxy {
  readonly config: Config;
  readonly pools: readonly Pool[];
  readonly counters: ConnectionCounters = { total_connections: 0, curr_connections: 0 };
  /** When the proxy started (ms since the epoch). */
  readonly startedAt: number = Date.now();
  #open = false;

  constructor(config: Config, options: ProxyOptions = {}) {
    this.config = config;
    const log = options.log ?? (() => {});
    const logLevel = options.logLevel ?? (() => 5);
    const chunk = options.chunk ?? 16384;
    this.pools = config.pools.map((pc) => {
      let pool: Pool | null = null;
      const protocol = makeProtocol(pc, () => pool);
      pool = new Pool(pc, {
        protocol,
        chunk,
        limits: DEFAULT_CLIENT_LIMITS,
        counters: this.counters,
        log,
        logLevel,
      });
      return pool;
    });
  }

  /** Opens every pool's listener; on failure closes those already open and throws. */
  open(): void {
    const opened: Pool[] = [];
    try {
      for (const pool of this.pools) {
        pool.open();
        opened.push(pool);
      }
    } catch (err) {
      for (const pool of opened) pool.close();
      throw err;
    }
    this.#open = true;
  }

  /** Resolves once every listener accepts (a `tls_ca` listener binds a moment after {@link open}). */
  async ready(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.ready()));
  }

  /**
   * Closes every pool: stops accepting at once, gives clients up to
   * `graceMs` to receive the replies owed, then closes all connections.
   */
  async close(graceMs = 0): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await Promise.all(this.pools.map((p) => p.close(graceMs)));
  }

  /** The pool named `name`. */
  pool(name: string): Pool {
    const p = this.pools.find((p) => p.name === name);
    if (!p) throw new RangeError(`Cannot find pool '${name}'`);
    return p;
  }
}

/** The protocol object of a pool, with what it may ask of the proxy. */
function makeProtocol(pc: PoolConfig, pool: () => Pool | null): Protocol {
  if (pc.redis) {
    return new RedisProtocol({
      auth: pc.redisAuth,
      db: pc.redisDb,
      version: VERSION,
      info: () => redisInfo(pc, pool()),
    });
  }
  return new MemcacheProtocol({
    version: MEMCACHED_VERSION,
    stats: () => memcacheStats(pool()),
  });
}

function redisInfo(pc: PoolConfig, pool: Pool | null): string {
  const lines = [
    "# Server",
    `nutmeg_version:${VERSION}`,
    `redis_version:7.0.0`,
    `redis_mode:proxy`,
    `pool:${pc.name}`,
    `servers:${pc.servers.length}`,
    `process_id:${Deno.pid}`,
    "",
    "# Clients",
    `connected_clients:${pool?.stats.client_connections ?? 0}`,
  ];
  return lines.join("\r\n") + "\r\n";
}

function memcacheStats(pool: Pool | null): [string, string | number][] {
  const out: [string, string | number][] = [
    ["pid", Deno.pid],
    ["version", MEMCACHED_VERSION],
  ];
  if (pool === null) return out;
  for (const [k, v] of Object.entries(pool.stats)) out.push([k, v]);
  return out;
}

/** How long shutdown waits for replies owed to clients before closing them. */
export const SHUTDOWN_GRACE_MS = 3000;

/**
 * Runs the proxy for `config` until SIGINT/SIGTERM: then it stops accepting,
 * lets clients receive the replies owed (up to {@link SHUTDOWN_GRACE_MS}),
 * closes every connection and resolves with the exit code 0. Throws when a
 * listener or the stats port cannot be opened. `onReady` is called once
 * every listener is up.
 */
export async function runProxy(
  config: Config,
  options: RunOptions,
  onReady?: () => void,
): Promise<number> {
  const proxy = new Proxy(config, {
    chunk: options.mbufSize,
    log: (level, message) => logger.log(level, message),
    logLevel: () => logger.level,
  });
  const stats = new StatsServer(proxy, {
    host: options.statsAddr,
    port: options.statsPort,
    interval: options.statsInterval,
    version: VERSION,
    source: Deno.hostname(),
  });
  proxy.open();
  try {
    await proxy.ready();
    stats.open();
  } catch (err) {
    await proxy.close();
    throw err;
  }
  onReady?.();
  const { promise, resolve } = Promise.withResolvers<void>();
  const stop = () => resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await promise;
  Deno.removeSignalListener("SIGINT", stop);
  Deno.removeSignalListener("SIGTERM", stop);
  logger.log(5, `shutting down: finishing in-flight requests (up to ${SHUTDOWN_GRACE_MS} ms)`);
  await stats.close();
  await proxy.close(SHUTDOWN_GRACE_MS);
  logger.log(5, "done, rabbit done");
  return 0;
}
