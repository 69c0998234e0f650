/**
 * The engine: what one event loop runs — the listeners, the current pool
 * generation and the generations being retired, with the connection
 * counters they share. The process runtime (lib/runtime/runtime.ts) decides
 * what to load; an engine is told and applies it: {@link Engine.open} the
 * first configuration, {@link Engine.reload} each next one, {@link
 * Engine.close} at shutdown. Several workers would each run one engine
 * (with their own sockets on the same addresses) under one runtime.
 *
 * A reload binds new addresses first (a failure changes nothing), builds
 * the next generation, makes it current (accepted clients go to it from
 * then on), then retires the one before pool by pool: a pool at the same
 * address takes over its clients and the connections of kept servers; a
 * pool whose protocol or AUTH settings changed leaves its clients on the
 * old generation until they leave; a removed pool stops accepting, gives its
 * clients their owed replies for up to the grace, then closes them.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { listenKey } from "../config/listen.ts";
import type { ConnectionCounters, Pool } from "../pool/pool.ts";
import { DEFAULT_CLIENT_LIMITS } from "../net/client_conn.ts";
import { sameProtocol } from "../proto/for_pool.ts";
import { VERSION } from "../version.ts";
import { Generation, type GenerationEnv } from "./generation.ts";
import { type ListenerSharing, ListenerTable } from "./listeners.ts";
import { LOG_NOTICE, type LogFn } from "../log/levels.ts";
import type { EjectionAuthority } from "../pool/ejection.ts";
import type { ConnectionQuota } from "../pool/quota.ts";

export type { LogFn };

/** How long shutdown (and a reload's drains) wait for replies owed before closing. */
export const SHUTDOWN_GRACE_MS = 3000;

/** A reload bound and built but not in force yet ({@link Engine.prepare}). */
export interface PreparedReload {
  /** The generation that a commit puts in force. */
  readonly generation: Generation;
  /** Puts it in force; resolves once the swap is done (drains go on after). */
  commit(): Promise<void>;
  /** Releases what was bound; nothing changes. */
  abort(): void;
}

/** Options of an {@link Engine}. */
export interface EngineOptions {
  /** Read chunk size in bytes (-m). @default 16384 */
  readonly chunk?: number;
  /** Where log lines go. @default nowhere */
  readonly log?: LogFn;
  /** The log level in force, read before building per-request messages. @default 5 */
  readonly logLevel?: () => number;
  /** How long a reload lets removed pools and servers deliver replies owed. @default 3000 */
  readonly graceMs?: number;
  /** How listen addresses are shared with other workers. @default one engine alone */
  readonly sharing?: ListenerSharing;
  /** Who decides ejections (several workers: the main thread). @default each pool */
  readonly ejection?: EjectionAuthority;
  /** Connection counts shared with the other workers (lib/runtime/shared_quota.ts). @default each pool its own */
  readonly quota?: ConnectionQuota;
}

/** The listeners and pool generations of one event loop. */
export class Engine {
  /** Client connections accepted and open, over every generation. */
  readonly counters: ConnectionCounters = { total_connections: 0, curr_connections: 0 };
  /** When the engine was built (ms since the epoch). */
  readonly startedAt: number = Date.now();
  readonly #env: GenerationEnv;
  readonly #log: LogFn;
  readonly #grace: number;
  readonly #listeners: ListenerTable;
  #current: Generation;
  /** Superseded pools still serving clients that keep their old settings. */
  readonly #lingering = new Set<Pool>();
  /** Drains and closes of retired pools and servers, still under way. */
  readonly #retiring = new Set<Promise<void>>();
  #state: "new" | "open" | "closed" = "new";

  constructor(config: Config, options: EngineOptions = {}) {
    const log = options.log ?? (() => {});
    const logLevel = options.logLevel ?? (() => 5);
    this.#log = log;
    this.#grace = options.graceMs ?? SHUTDOWN_GRACE_MS;
    this.#env = {
      chunk: options.chunk ?? 16384,
      limits: DEFAULT_CLIENT_LIMITS,
      counters: this.counters,
      version: VERSION,
      log,
      logLevel,
      view: (key) => this.#current.poolAt(key) ?? null,
      ...(options.ejection === undefined ? {} : { ejection: options.ejection }),
      ...(options.quota === undefined ? {} : { quota: options.quota }),
    };
    this.#listeners = new ListenerTable(
      (key, conn) => this.#accept(key, conn),
      log,
      options.sharing,
    );
    this.#current = new Generation(config, this.#env);
  }

  /** The configuration in force. */
  get config(): Config {
    return this.#current.config;
  }

  /** The generation in force. */
  get generation(): Generation {
    return this.#current;
  }

  /** The pools in force, in file order. */
  get pools(): readonly Pool[] {
    return this.#current.pools;
  }

  /** The pool in force named `name`. */
  pool(name: string): Pool {
    return this.#current.pool(name);
  }

  /** The bound address of the pool in force named `name`. */
  addr(name: string): Deno.Addr {
    return this.#listeners.addr(listenKey(this.pool(name).config.listen));
  }

  /** Binds every listen address (throws a ListenError, with none left bound, when one cannot be). */
  open(): void {
    if (this.#state !== "new") throw new Error("Cannot open: the engine was opened before");
    this.#listeners.bind(this.#current.config.pools, this.#current.config.file);
    this.#state = "open";
    for (const pool of this.#current.pools) this.#started(pool);
  }

  /**
   * Resolves once every listener accepts (a `tls_ca` listener binds a
   * moment after {@link open}) and every pool with sentinels has asked them
   * once where its masters are.
   */
  async ready(): Promise<void> {
    await Promise.all([this.#listeners.ready(), ...this.#current.pools.map((p) => p.ready())]);
  }

  /**
   * Swaps `config` in (see the module comment). Throws a ListenError, with
   * nothing changed, when a new listen address cannot be bound.
   */
  async reload(config: Config): Promise<void> {
    await this.prepare(config).commit();
  }

  /**
   * The first half of a reload: binds the new addresses of `config` (not
   * accepting yet) and builds its generation, changing nothing in force.
   * Throws a ListenError when an address cannot be bound. The result is
   * committed (the swap) or aborted; with several workers the runtime
   * prepares every worker's engine before committing any, so a reload is
   * all or nothing for the process.
   */
  prepare(config: Config): PreparedReload {
    if (this.#state !== "open") throw new Error("Cannot reload: the engine is not open");
    const binding = this.#listeners.prepare(config.pools, config.file);
    const previous = this.#current;
    const next = new Generation(config, this.#env, previous);
    let done = false;
    return {
      generation: next,
      commit: async () => {
        if (done) throw new Error("Cannot commit: this reload was committed or aborted");
        done = true;
        if (this.#current !== previous || this.#state !== "open") {
          binding.release();
          for (const pool of next.pools) void pool.close();
          throw new Error("Cannot commit: another configuration was swapped in meanwhile");
        }
        binding.commit();
        await this.#swap(previous, next);
      },
      abort: () => {
        if (done) return;
        done = true;
        binding.release();
        for (const pool of next.pools) void pool.close();
      },
    };
  }

  async #swap(previous: Generation, next: Generation): Promise<void> {
    const before = new Set(previous.pools.map((p) => listenKey(p.config.listen)));
    this.#current = next;
    const keys = new Set<string>();
    for (const pool of next.pools) {
      const key = listenKey(pool.config.listen);
      keys.add(key);
      if (!before.has(key)) this.#started(pool);
      else pool.start();
    }
    for (const old of previous.pools) {
      const successor = next.poolAt(listenKey(old.config.listen));
      if (successor === undefined) {
        this.#track(old.close(this.#grace));
      } else if (sameProtocol(old.config, successor.config)) {
        this.#track(successor.takeOver(old, this.#grace));
      } else {
        this.#lingering.add(old);
        this.#track(old.closeWhenIdle().finally(() => this.#lingering.delete(old)));
      }
    }
    await this.#listeners.closeExcept(keys);
  }

  /**
   * Stops accepting, gives every client up to `graceMs` to receive the
   * replies owed, then closes every connection.
   */
  async close(graceMs = 0): Promise<void> {
    if (this.#state !== "open") {
      this.#state = "closed";
      return;
    }
    this.#state = "closed";
    await this.#listeners.closeAll();
    await Promise.all([...this.#current.pools, ...this.#lingering].map((p) => p.close(graceMs)));
    await Promise.all(this.#retiring);
  }

  #started(pool: Pool): void {
    pool.start();
    // With several workers, a unix socket or tls_ca address is worker 0's alone.
    if (!this.#listeners.has(listenKey(pool.config.listen))) return;
    this.#log(LOG_NOTICE, `pool '${pool.name}': listening on ${pool.config.listenSpec}`);
  }

  #track(p: Promise<void>): void {
    this.#retiring.add(p);
    p.finally(() => this.#retiring.delete(p));
  }

  #accept(key: string, conn: Deno.Conn): void {
    const pool = this.#current.poolAt(key);
    if (pool !== undefined) {
      pool.accept(conn);
      return;
    }
    try {
      conn.close(); // accepted just before its listener closed
    } catch {
      // already closed
    }
  }
}
