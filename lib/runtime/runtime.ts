/**
 * The process runtime: what lives as long as the process, between the
 * command line and the pools. It owns the engine (listeners and pool
 * generations), the stats server and the counters reported there, the
 * signals, and the configuration generation in force. The command line
 * builds a runtime from the first configuration and waits on it; pools
 * never see the runtime, which decides and tells the engine.
 *
 * A reload (SIGUSR2, or `--watch` seeing the file change) reads the whole
 * file and checks it exactly as `-t` does; an error there, or a new listen
 * address that cannot be bound, changes nothing: it is logged with the
 * file, line, column and fix, and counted in `reload_errors`. Reloads run
 * one at a time, in the order asked.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { StatsListenError, StatsServer } from "../stats/server.ts";
import type { ConfigStats, StatsSource } from "../stats/report.ts";
import type { MetricsSource } from "../stats/prometheus.ts";
import { VERSION } from "../version.ts";
import { Engine, type LogFn, SHUTDOWN_GRACE_MS } from "./engine.ts";
import { Reloader, type ReloadTarget } from "./reloader.ts";
import { ConfigWatcher } from "./watch.ts";
import { RuntimeSignals } from "./process_signals.ts";
import { LOG_NOTICE, LOG_WARN } from "../log/levels.ts";
import { reusePortUnavailable, workerCount, WorkerRuntime } from "./workers.ts";

/** Options of a {@link Runtime}. */
export interface RuntimeOptions {
  /** The configuration file (-c), read again by each reload. */
  readonly confFile: string;
  /** The bytes the first configuration was read from (for its sha256). @default none */
  readonly configBytes?: Uint8Array;
  /** Reload when the file changes (--watch). @default false */
  readonly watch?: boolean;
  /** Read chunk size in bytes (-m). */
  readonly chunk: number;
  /** Stats port address (-a) and port (-s). */
  readonly statsAddr: string;
  readonly statsPort: number;
  /** Stats aggregation interval in ms (-i). */
  readonly statsInterval: number;
  /** Where log lines go. */
  readonly log: LogFn;
  /** The log level in force. */
  readonly logLevel: () => number;
  /**
   * Resolves when the process was asked to stop before the runtime wired
   * its own signals (the command line listens for SIGINT/SIGTERM from
   * before it writes the pid file). @default never
   */
  readonly stop?: Promise<void>;
  /** How long shutdown waits for replies owed. @default 3000 */
  readonly graceMs?: number;
  /** Worker threads (--workers): 1 runs the pools on the main thread. @default 1 */
  readonly workers?: number | "auto";
}

/** The pools, stats port and signals of a running nutmeg. */
export class Runtime {
  readonly engine: Engine;
  readonly stats: StatsServer;
  readonly #opts: RuntimeOptions;
  readonly #signals: RuntimeSignals;
  /** Settles once {@link start} has finished; reloads asked for earlier wait for it. */
  readonly #started = Promise.withResolvers<void>();
  readonly #reloader: Reloader;
  /** What a reload is applied to: this runtime's engine. */
  readonly #target: ReloadTarget;
  #watcher: ConfigWatcher | null = null;

  /** Builds the runtime for the first configuration `config`; nothing is bound yet. */
  constructor(config: Config, options: RuntimeOptions) {
    this.#opts = options;
    this.#signals = new RuntimeSignals(() => void this.reload("signal SIGUSR2"), options.log);
    void options.stop?.then(() => this.#signals.requestStop());
    this.engine = new Engine(config, {
      chunk: options.chunk,
      log: options.log,
      logLevel: options.logLevel,
      graceMs: options.graceMs ?? SHUTDOWN_GRACE_MS,
    });
    const engine = this.engine;
    this.#reloader = new Reloader({
      file: options.confFile,
      log: options.log,
      after: this.#started.promise,
      changed: () => this.stats.aggregate(),
    });
    this.#target = {
      get config() {
        return engine.config;
      },
      apply: async (config) => {
        await engine.reload(config);
        return { where: "", generation: engine.generation.number };
      },
    };
    const facts = this.#reloader.facts;
    const source: StatsSource & MetricsSource = {
      startedAt: engine.startedAt,
      counters: engine.counters,
      get pools() {
        return engine.pools;
      },
      configStats: facts,
    };
    this.stats = new StatsServer(source, {
      host: options.statsAddr,
      port: options.statsPort,
      interval: options.statsInterval,
      version: VERSION,
      source: Deno.hostname(),
    });
  }

  /** The configuration facts reported by the stats (reloads, errors, sha256, load time). */
  get configStats(): ConfigStats {
    return this.#reloader.stats;
  }

  /**
   * Binds every listener and the stats port, and starts watching the file
   * with `watch` (throws, with nothing left open, when one cannot be).
   */
  async start(): Promise<void> {
    try {
      await this.#start();
    } finally {
      this.#started.resolve();
    }
  }

  async #start(): Promise<void> {
    if (this.#opts.configBytes !== undefined) {
      await this.#reloader.first(this.#opts.configBytes);
    }
    this.engine.open();
    this.stats.aggregate();
    try {
      await this.engine.ready();
      this.#openStats();
      if (this.#opts.watch === true) {
        this.#watcher = new ConfigWatcher(this.#opts.confFile, () => {
          void this.reload("the file changed", true);
        });
        this.#watcher.start();
      }
    } catch (err) {
      await this.#watcher?.close();
      await this.stats.close();
      await this.engine.close();
      throw err;
    }
  }

  /** Opens the stats port; when one of our pools holds that address, says which. */
  #openStats(): void {
    try {
      this.stats.open();
    } catch (err) {
      if (!(err instanceof StatsListenError)) throw err;
      const pool = this.engine.pools.find((p) => {
        const a = p.config.listen;
        return a.transport === "tcp" && a.port === err.port &&
          (a.host === err.host || ["0.0.0.0", "::"].includes(a.host) ||
            ["0.0.0.0", "::"].includes(err.host));
      });
      if (pool === undefined) throw err;
      const where = `${this.#opts.confFile}:${pool.config.line}`;
      throw new StatsListenError(
        err.host,
        err.port,
        err.cause ?? err,
        `the listen address of pool '${pool.name}' (${where})`,
      );
    }
  }

  /**
   * Reloads the configuration file; resolves true when the new file took
   * effect, false when it was refused (nothing changed) or, with
   * `onlyIfChanged`, when its content is the one in force (or the one last
   * refused). Never rejects.
   */
  reload(why: string, onlyIfChanged = false): Promise<boolean> {
    return this.#reloader.reload(this.#target, why, onlyIfChanged);
  }

  /**
   * Wires SIGINT and SIGTERM to stopping and SIGUSR2 to {@link reload}
   * (never SIGUSR1: it opens Deno's inspector); returns the function that
   * unwires them.
   */
  installSignals(): () => void {
    return this.#signals.install();
  }

  /** Asks the runtime to stop (what SIGINT and SIGTERM do). */
  requestStop(): void {
    this.#signals.requestStop();
  }

  /** Resolves once a stop was asked for. */
  get stopRequested(): Promise<void> {
    return this.#signals.stopRequested;
  }

  /**
   * Stops: no more accepting, replies owed delivered for up to the grace,
   * every connection closed, the stats port closed, the signals unwired.
   */
  async stop(): Promise<void> {
    const grace = this.#opts.graceMs ?? SHUTDOWN_GRACE_MS;
    this.#signals.uninstall();
    await this.#watcher?.close();
    this.#watcher = null;
    await this.#reloader.settled;
    this.#opts.log(
      LOG_NOTICE,
      `shutting down: finishing in-flight requests (up to ${grace} ms)`,
    );
    await this.stats.close();
    await this.engine.close(grace);
  }
}

/**
 * Runs nutmeg for `config` until SIGINT/SIGTERM: then it stops accepting,
 * lets clients receive the replies owed (up to {@link SHUTDOWN_GRACE_MS}),
 * closes every connection and resolves with the exit code 0. Throws when a
 * listener or the stats port cannot be opened. `onReady` is called once
 * every listener is up.
 */
export async function runProxy(
  config: Config,
  options: RuntimeOptions,
  onReady?: () => void,
): Promise<number> {
  let count = workerCount(options.workers ?? 1);
  if (count > 1) {
    const why = reusePortUnavailable();
    if (why !== null) {
      options.log(
        LOG_WARN,
        `--workers ${options.workers}: running 1 worker, several cannot share a listen address here: ${why}`,
      );
      count = 1;
    }
  }
  const runtime = count > 1
    ? new WorkerRuntime(
      config,
      new TextDecoder().decode(options.configBytes ?? await Deno.readFile(options.confFile)),
      count,
      options,
    )
    : new Runtime(config, options);
  // Signals first: a SIGTERM (or SIGUSR2) that comes while the listeners
  // are being opened is acted on once they are, instead of killing.
  const dispose = runtime.installSignals();
  try {
    await runtime.start();
    onReady?.();
    await runtime.stopRequested;
  } finally {
    dispose();
  }
  await runtime.stop();
  options.log(LOG_NOTICE, "stopped: listeners and stats port closed, every connection closed");
  return 0;
}
