/**
 * `--workers N`: nutmeg on every core behind one address. The main thread
 * keeps what there is one of per process — the stats port, the signals,
 * the configuration in force and its reload counters — and starts N Deno
 * Workers (lib/runtime/worker_main.ts), each running an Engine with its
 * own listeners on the same addresses (SO_REUSEPORT: the kernel spreads
 * new clients over the workers) and its own server connections, so a pool
 * holds N x server_connections connections per server.
 *
 * - Stats: the main thread asks every worker for a copy of its counters
 *   and serves their sum (lib/stats/merge.ts) in twemproxy's JSON and in
 *   /metrics, with per-worker connection series.
 * - Reload (SIGUSR2, --watch): the file is checked here as `-t` does, then
 *   every worker prepares it (binds new addresses, builds its generation);
 *   only when all prepared do all commit, otherwise all abort and nothing
 *   changed.
 * - SIGINT/SIGTERM: every worker stops accepting and drains (replies owed
 *   are delivered for up to the grace), then the workers end.
 * - Ejection (auto_eject_hosts): decided once, here (lib/runtime/
 *   ejection_board.ts), from the failures every worker reports; the
 *   ejection and the return are broadcast and every worker applies them.
 * - Unix sockets and `tls_ca` listeners cannot be shared: worker 0 alone
 *   binds them (and removes the socket file at close).
 * - A worker that dies is logged and started again on the configuration in
 *   force; the other workers keep serving meanwhile.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { StatsServer } from "../stats/server.ts";
import type { ConfigStats, StatsSource } from "../stats/report.ts";
import type { MetricsSource } from "../stats/prometheus.ts";
import { type MergedPool, mergeWorkerStats, type WorkerStats } from "../stats/merge.ts";
import { VERSION } from "../version.ts";
import { type LogFn, SHUTDOWN_GRACE_MS } from "./engine.ts";
import { type Applied, Reloader, type ReloadTarget } from "./reloader.ts";
import { ConfigWatcher } from "./watch.ts";
import { RuntimeSignals } from "./process_signals.ts";
import { LOG_ERR, LOG_NOTICE, LOG_WARN } from "../log/levels.ts";
import type {
  FailureReport,
  FromWorker,
  PlacementNote,
  ServerRef,
  ToWorker,
} from "./worker_protocol.ts";
import { EjectionBoard } from "./ejection_board.ts";
import { quotaKeys, type QuotaShare, QuotaTable } from "./shared_quota.ts";
import type { RuntimeOptions } from "./runtime.ts";

/** How long the main thread waits for a worker's stats before serving the last copy. */
const STATS_WAIT_MS = 1000;

/** A request without its `seq`. */
type Request = ToWorker extends infer T ? T extends ToWorker ? Omit<T, "seq"> : never : never;

/** A reply of a worker. */
type Reply = Extract<FromWorker, { t: "reply" }>;

/**
 * The number of workers to run for `--workers` `value` (`auto`: the CPUs
 * the process may use, as Deno reports them).
 */
export function workerCount(value: number | "auto"): number {
  if (value === "auto") return Math.max(1, navigator.hardwareConcurrency || 1);
  return value;
}

/**
 * Why several workers cannot share one address here, or null when they
 * can: SO_REUSEPORT spreads clients only on Linux, and Deno needs
 * --unstable-net (set in deno.json) for it.
 */
export function reusePortUnavailable(): string | null {
  if (Deno.build.os !== "linux") {
    return `SO_REUSEPORT does not spread clients over sockets on ${Deno.build.os}`;
  }
  try {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0, reusePort: true });
    l.close();
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** Where a worker's reports about its servers go. */
interface Reports {
  failure(r: FailureReport, worker: number): void;
  recovered(r: ServerRef): void;
}

/** One worker: its Deno Worker and the requests awaiting a reply. */
class WorkerHandle {
  readonly id: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, (r: Reply) => void>();
  #seq = 0;
  #dead = false;
  /** The last counters it sent. */
  stats: WorkerStats | null = null;

  /** What the worker reports of its servers (for the main thread's ejection decisions). */
  readonly #reports: Reports;

  constructor(id: number, log: LogFn, reports: Reports) {
    this.#reports = reports;
    this.id = id;
    this.#worker = new Worker(new URL("./worker_main.ts", import.meta.url).href, {
      type: "module",
      name: `nutmeg worker ${id}`,
    });
    this.#worker.onmessage = (e: MessageEvent<FromWorker>) => {
      const m = e.data;
      if (m.t === "log") {
        log(m.level, `worker ${id}: ${m.message}`);
        return;
      }
      if (m.t === "failure") {
        this.#reports.failure(m, id);
        return;
      }
      if (m.t === "recovered") {
        this.#reports.recovered(m);
        return;
      }
      if (m.stats !== undefined) this.stats = m.stats;
      const done = this.#pending.get(m.seq);
      this.#pending.delete(m.seq);
      done?.(m);
    };
    this.#worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      this.#die(e.message);
    };
    this.#worker.onmessageerror = () => this.#die("a message could not be read");
  }

  #die(why: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#worker.terminate();
    for (const [seq, done] of this.#pending) {
      done({ t: "reply", seq, error: `worker died: ${why}` });
    }
    this.#pending.clear();
    this.onDeath(this, why);
  }

  /** Called once when the worker dies of an uncaught error. */
  onDeath: (h: WorkerHandle, why: string) => void = () => {};

  /** Sends `req` and resolves with the reply (an error reply when the worker dies or `ms` pass). */
  ask(req: Request, ms = 0): Promise<Reply> {
    const seq = ++this.#seq;
    if (this.#dead) return Promise.resolve({ t: "reply", seq, error: "worker is not running" });
    return new Promise<Reply>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      this.#pending.set(seq, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      if (ms > 0) {
        timer = setTimeout(() => {
          this.#pending.delete(seq);
          resolve({ t: "reply", seq, error: "no reply in time" });
        }, ms);
      }
      this.#worker.postMessage({ ...req, seq } as ToWorker);
    });
  }

  /** Sends a placement note (no reply). */
  note(note: PlacementNote): void {
    if (!this.#dead) this.#worker.postMessage(note);
  }

  /** Ends the worker at once. */
  terminate(): void {
    this.#dead = true;
    this.#worker.terminate();
    for (const [seq, done] of this.#pending) done({ t: "reply", seq, error: "worker ended" });
    this.#pending.clear();
  }
}

/** The runtime of `--workers N` (N > 1): see the module comment. */
export class WorkerRuntime {
  readonly stats: StatsServer;
  /** The counters summed over workers, as of the last {@link refresh}. */
  readonly view: StatsSource & MetricsSource;
  readonly #opts: RuntimeOptions;
  readonly #count: number;
  readonly #workers: WorkerHandle[] = [];
  readonly #signals: RuntimeSignals;
  /** The one placement: ejections decided here for every worker. */
  readonly #board: EjectionBoard;
  /** The process-wide connection counts (client_connections, dedicated_connections). */
  readonly #quota: QuotaTable;
  /** The slot names last assigned (a reload's may name more than the configuration in force). */
  #share: QuotaShare;
  #config: Config;
  #text: string;
  #generation = 1;
  #stopping = false;
  #watcher: ConfigWatcher | null = null;
  /** Settles once {@link start} has finished; reloads asked for earlier wait for it. */
  readonly #started = Promise.withResolvers<void>();
  readonly #reloader: Reloader;
  /** What a reload is applied to: every worker, all or nothing. */
  readonly #target: ReloadTarget;
  #merged: { total_connections: number; curr_connections: number; pools: MergedPool[] } = {
    total_connections: 0,
    curr_connections: 0,
    pools: [],
  };

  /** Builds the runtime for `config` (read from `text`) with `count` workers; nothing runs yet. */
  constructor(config: Config, text: string, count: number, options: RuntimeOptions) {
    this.#opts = options;
    this.#signals = new RuntimeSignals(() => void this.reload("signal SIGUSR2"), options.log);
    this.#count = count;
    this.#board = new EjectionBoard((note) => {
      for (const w of this.#workers) w.note(note);
    });
    this.#quota = new QuotaTable(count);
    this.#share = this.#quota.assign(quotaKeys(config));
    this.#config = config;
    this.#text = text;
    const startedAt = Date.now();
    // deno-lint-ignore no-this-alias
    const self = this;
    this.#reloader = new Reloader({
      file: options.confFile,
      log: options.log,
      after: this.#started.promise,
      changed: () => this.stats.aggregate(),
    });
    this.#target = {
      get config() {
        return self.#config;
      },
      apply: (config, bytes) => this.#apply(config, bytes),
    };
    this.view = {
      startedAt,
      get counters() {
        return self.#merged;
      },
      get pools() {
        return self.#merged.pools;
      },
      get workers() {
        return self.#workers.map((w) => w.stats ?? { total_connections: 0, curr_connections: 0 });
      },
      configStats: this.#reloader.facts,
    };
    this.stats = new StatsServer(this.view, {
      host: options.statsAddr,
      port: options.statsPort,
      interval: options.statsInterval,
      version: VERSION,
      source: Deno.hostname(),
      refresh: () => this.refresh(),
    });
  }

  /** The configuration facts reported by the stats. */
  get configStats(): ConfigStats {
    return this.#reloader.stats;
  }

  /**
   * Asks every worker for its counters and sums them. Each call asks anew
   * (a poll already under way may predate what the caller waits for); the
   * replies of one worker come in order, so its copy only moves forward.
   */
  async refresh(): Promise<void> {
    const level = this.#opts.logLevel();
    await Promise.all(
      this.#workers.map((w) => w.ask({ t: "stats", logLevel: level }, STATS_WAIT_MS)),
    );
    const all = this.#workers.map((w) => w.stats).filter((s) => s !== null);
    this.#merged = mergeWorkerStats(all);
  }

  #spawn(id: number): WorkerHandle {
    const h = new WorkerHandle(id, this.#opts.log, this.#board);
    h.onDeath = (dead, why) => this.#died(dead, why);
    this.#workers[id] = h;
    return h;
  }

  #init(h: WorkerHandle): Promise<Reply> {
    const reply = h.ask({
      t: "init",
      id: h.id,
      file: this.#opts.confFile,
      text: this.#text,
      chunk: this.#opts.chunk,
      graceMs: this.#opts.graceMs ?? SHUTDOWN_GRACE_MS,
      logLevel: this.#opts.logLevel(),
      quota: this.#share,
    });
    // After the init, in order: a restarted worker places keys as the others do.
    for (const note of this.#board.inForce()) h.note(note);
    return reply;
  }

  #died(h: WorkerHandle, why: string): void {
    if (this.#stopping || this.#workers[h.id] !== h) return;
    this.#opts.log(LOG_ERR, `worker ${h.id} died: ${why}; its clients are lost; restarting it`);
    // Its clients and dedicated connections are gone: they no longer count.
    this.#quota.forget(h.id);
    const next = this.#spawn(h.id);
    void this.#init(next).then((r) => {
      if (r.error !== null) this.#opts.log(LOG_ERR, `worker ${h.id} restart failed: ${r.error}`);
      else this.#opts.log(LOG_NOTICE, `worker ${h.id} restarted`);
    });
  }

  /** Starts every worker, then the stats port (throws, with nothing left running, on failure). */
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
    for (let id = 0; id < this.#count; id++) this.#spawn(id);
    try {
      // Worker 0 first: it removes a stale unix socket file before binding.
      const first = await this.#init(this.#workers[0]!);
      if (first.error !== null) throw new Error(first.error);
      const rest = await Promise.all(this.#workers.slice(1).map((w) => this.#init(w)));
      const failed = rest.find((r) => r.error !== null);
      if (failed !== undefined) throw new Error(failed.error!);
      this.#opts.log(LOG_NOTICE, `${this.#count} workers serving every pool`);
      await this.refresh();
      this.stats.aggregate();
      this.stats.open();
      if (this.#opts.watch === true) {
        this.#watcher = new ConfigWatcher(this.#opts.confFile, () => {
          void this.reload("the file changed", true);
        });
        this.#watcher.start();
      }
    } catch (err) {
      this.#stopping = true;
      await this.#watcher?.close();
      await this.stats.close();
      await Promise.all(this.#workers.map((w) => w.ask({ t: "close", graceMs: 0 }, 2000)));
      for (const w of this.#workers) w.terminate();
      this.#board.close();
      throw err;
    }
  }

  /** Reloads the file on every worker, all or nothing; resolves true when it took effect. */
  reload(why: string, onlyIfChanged = false): Promise<boolean> {
    return this.#reloader.reload(this.#target, why, onlyIfChanged);
  }

  /** Every worker prepares `config`; all commit when all prepared, else all abort (and it throws). */
  async #apply(config: Config, bytes: Uint8Array): Promise<Applied> {
    const file = this.#opts.confFile;
    const text = new TextDecoder().decode(bytes);
    const quota = this.#share = this.#quota.assign(quotaKeys(config));
    const prepared = await Promise.all(
      this.#workers.map((w) => w.ask({ t: "prepare", file, text, quota })),
    );
    const failed = prepared.find((r) => r.error !== null);
    if (failed !== undefined) {
      await Promise.all(this.#workers.map((w) => w.ask({ t: "abort" })));
      throw failed.error;
    }
    const committed = await Promise.all(this.#workers.map((w) => w.ask({ t: "commit" })));
    const commitFailed = committed.find((r) => r.error !== null);
    if (commitFailed !== undefined) {
      this.#opts.log(
        LOG_WARN,
        `reload of '${file}': a worker did not commit: ${commitFailed.error}`,
      );
    }
    this.#config = config;
    this.#text = text;
    this.#generation++;
    this.#board.retain((pool, server) =>
      config.pools.some((p) => p.name === pool && p.servers.some((s) => s.name === server))
    );
    await this.refresh();
    return { where: ` on ${this.#count} workers`, generation: this.#generation };
  }

  /** Wires SIGINT/SIGTERM to stopping and SIGUSR2 to {@link reload}; returns the unwiring. */
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
   * Every worker stops accepting and drains for up to `grace` (default: the
   * runtime's); then they end.
   */
  async stop(grace = this.#opts.graceMs ?? SHUTDOWN_GRACE_MS): Promise<void> {
    this.#stopping = true;
    this.#signals.uninstall();
    await this.#watcher?.close();
    this.#watcher = null;
    await this.#reloader.settled;
    this.#opts.log(
      LOG_NOTICE,
      `shutting down ${this.#count} workers: finishing in-flight requests (up to ${grace} ms)`,
    );
    await this.stats.close();
    await Promise.all(
      this.#workers.map((w) => w.ask({ t: "close", graceMs: grace }, grace + 2000)),
    );
    for (const w of this.#workers) w.terminate();
    this.#board.close();
  }
}
