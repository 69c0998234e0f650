/**
 * The process runtime: what lives as long as the process, between the
 * command line and the pools. It owns the engine (listeners and pool
 * generations), the stats server and the counters reported there, the
 * signals, and the configuration generation in force. The command line
 * builds a runtime from the first configuration and waits on it; pools
 * never see the runtime, which decides and tells the engine.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { StatsServer } from "../stats/server.ts";
import { VERSION } from "../version.ts";
import { Engine, type LogFn, SHUTDOWN_GRACE_MS } from "./engine.ts";
import { LOG_NOTICE } from "../log/levels.ts";

/** Options of a {@link Runtime}. */
export interface RuntimeOptions {
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
  /** How long shutdown waits for replies owed. @default 3000 */
  readonly graceMs?: number;
}

/** The pools, stats port and signals of a running nutmeg. */
export class Runtime {
  readonly engine: Engine;
  readonly stats: StatsServer;
  readonly #opts: RuntimeOptions;
  readonly #stopped = Promise.withResolvers<void>();
  #signals: (() => void) | null = null;

  /** Builds the runtime for the first configuration `config`; nothing is bound yet. */
  constructor(config: Config, options: RuntimeOptions) {
    this.#opts = options;
    this.engine = new Engine(config, {
      chunk: options.chunk,
      log: options.log,
      logLevel: options.logLevel,
      graceMs: options.graceMs ?? SHUTDOWN_GRACE_MS,
    });
    this.stats = new StatsServer(this.engine, {
      host: options.statsAddr,
      port: options.statsPort,
      interval: options.statsInterval,
      version: VERSION,
      source: Deno.hostname(),
    });
  }

  /** Binds every listener and the stats port (throws, with nothing left open, when one cannot be). */
  async start(): Promise<void> {
    this.engine.open();
    try {
      await this.engine.ready();
      this.stats.open();
    } catch (err) {
      await this.engine.close();
      throw err;
    }
  }

  /** Wires SIGINT and SIGTERM to {@link stop}ping; returns the function that unwires them. */
  installSignals(): () => void {
    if (Deno.build.os === "windows") return () => {};
    const stop = () => this.#stopped.resolve();
    const handlers: [Deno.Signal, () => void][] = [["SIGINT", stop], ["SIGTERM", stop]];
    for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
    const dispose = () => {
      for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
      this.#signals = null;
    };
    this.#signals = dispose;
    return dispose;
  }

  /** Asks the runtime to stop (what SIGINT and SIGTERM do). */
  requestStop(): void {
    this.#stopped.resolve();
  }

  /** Resolves once a stop was asked for. */
  get stopRequested(): Promise<void> {
    return this.#stopped.promise;
  }

  /**
   * Stops: no more accepting, replies owed delivered for up to the grace,
   * every connection closed, the stats port closed, the signals unwired.
   */
  async stop(): Promise<void> {
    const grace = this.#opts.graceMs ?? SHUTDOWN_GRACE_MS;
    this.#signals?.();
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
  const runtime = new Runtime(config, options);
  await runtime.start();
  const dispose = runtime.installSignals();
  try {
    onReady?.();
    await runtime.stopRequested;
  } finally {
    dispose();
  }
  await runtime.stop();
  options.log(LOG_NOTICE, "done, rabbit done");
  return 0;
}
