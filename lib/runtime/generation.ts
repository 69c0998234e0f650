/**
 * A configuration generation: the pools of one loaded configuration file,
 * each built with its protocol and its servers, ready to be handed clients.
 * It owns no socket. Built after a reload, it succeeds the generation before
 * pool by pool (matched by listen address): counters carry over, and
 * clients and server connections move when {@link Engine} swaps it in.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { listenKey } from "../config/listen.ts";
import { type ConnectionCounters, Pool } from "../pool/pool.ts";
import type { ClientLimits } from "../net/client_conn.ts";
import type { PoolView } from "../proto/pool_view.ts";
import type { EjectionAuthority } from "../pool/ejection.ts";
import type { ConnectionQuota } from "../pool/quota.ts";
import { protocolFor, sameProtocol } from "../proto/for_pool.ts";

/** What the pools of a generation share with the engine running them. */
export interface GenerationEnv {
  /** Read chunk size (-m). */
  readonly chunk: number;
  readonly limits: ClientLimits;
  readonly counters: ConnectionCounters;
  /** nutmeg's version, for INFO, HELLO and `version`. */
  readonly version: string;
  log(level: number, message: string): void;
  logLevel(): number;
  /** The pool in force at a listen key, for INFO and `stats` text. */
  view(key: string): PoolView | null;
  /** Who decides ejections. @default the pool itself (lib/pool/ejection.ts) */
  readonly ejection?: EjectionAuthority;
  /** Connection counts shared with other workers. @default each pool its own */
  readonly quota?: ConnectionQuota;
}

/** The pools of one configuration. */
export class Generation {
  /** The configuration it was built from. */
  readonly config: Config;
  /** The pools, in file order. */
  readonly pools: readonly Pool[];
  /** Number of this generation: 1 for the configuration loaded at start, then +1 per reload. */
  readonly number: number;
  readonly #byKey = new Map<string, Pool>();

  /**
   * Builds the pools of `config`. With `previous`, a pool at a listen
   * address `previous` also serves shares its counters, those of the servers
   * it keeps, and (when protocol and AUTH settings are unchanged) its
   * protocol object; `previous` itself is not changed.
   */
  constructor(config: Config, env: GenerationEnv, previous: Generation | null = null) {
    this.config = config;
    this.number = (previous?.number ?? 0) + 1;
    this.pools = config.pools.map((pc) => {
      const key = listenKey(pc.listen);
      const before = previous?.poolAt(key) ?? null;
      const protocol = before !== null && sameProtocol(before.config, pc)
        ? before.protocol
        : protocolFor(pc, env.version, () => env.view(key));
      const pool = new Pool(pc, {
        protocol,
        chunk: env.chunk,
        limits: env.limits,
        counters: env.counters,
        log: (level, message) => env.log(level, message),
        logLevel: () => env.logLevel(),
        ...(env.ejection === undefined ? {} : { ejection: env.ejection }),
        ...(env.quota === undefined ? {} : { quota: env.quota }),
      }, before);
      this.#byKey.set(key, pool);
      return pool;
    });
  }

  /** The pool listening at listen key `key`, if any. */
  poolAt(key: string): Pool | undefined {
    return this.#byKey.get(key);
  }

  /** The pool named `name`. */
  pool(name: string): Pool {
    const p = this.pools.find((p) => p.name === name);
    if (!p) throw new RangeError(`Cannot find pool '${name}'`);
    return p;
  }
}
