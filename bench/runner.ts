/**
 * Runs the loads against the targets: a warm-up round that also calibrates
 * request counts per target, then the measured rounds, each running every
 * load on every target with the target order rotated by one per round, so
 * that drift of the machine hits all three alike.
 *
 * @module
 */
import { cpuBudget, cpuMark } from "./budget.ts";
import { cpuSeconds } from "./cpu.ts";
import type { Load, LoadContext, Sample } from "./load_types.ts";
import { sleep } from "./procs.ts";
import type { RunTable } from "./report.ts";
import { type Endpoints, type ProxyHandle, type Target, TARGETS } from "./services.ts";

/** Pause between two runs (lets sockets and CPU settle). */
const PAUSE_MS = 200;

/** Target order of a round (0 = warm-up and first round): `targets` rotated left by `round`. */
export function rotation(round: number, targets: readonly Target[] = TARGETS): Target[] {
  const n = targets.length;
  return targets.map((_, i) => targets[(i + round) % n]!);
}

/** Short text of a sample for progress lines. */
function describe(samples: ReadonlyMap<string, Sample>): string {
  return [...samples.entries()].map(([id, s]) =>
    `${id} ${Math.round(s.throughput).toLocaleString("en-US")}/s p99 ${s.p99Ms.toFixed(2)} ms` +
    (s.cpuUsPerReq === null ? "" : ` cpu ${s.cpuUsPerReq.toFixed(1)} us/req`)
  ).join(", ");
}

/** Drives all runs and collects them. */
export class Runner {
  /** Measured runs: row id -> target -> runs. */
  readonly table: RunTable = new Map();
  #ctx: LoadContext;
  #endpoints: Map<Target, Endpoints>;
  #proxies: ReadonlyMap<Target, ProxyHandle>;
  #pidOf: (target: Target, protocol: Load["protocol"]) => number | undefined;
  #backendPids: readonly number[];
  #errors: string[];
  #sizes = new Map<string, number>();
  #t0: number;
  #skipped = 0;

  /**
   * @param endpoints targets that passed the check (a target is dropped when its proxy dies)
   * @param proxies running proxies, to notice when one exits
   * @param pidOf the process serving a target's protocol, whose CPU time is measured
   * @param backendPids every backend process (their CPU is the budget's "backends")
   * @param errors where problems are appended
   * @param t0 performance.now() at the start of the benchmark (for the time budget)
   */
  constructor(
    ctx: LoadContext,
    endpoints: Map<Target, Endpoints>,
    proxies: ReadonlyMap<Target, ProxyHandle>,
    pidOf: (target: Target, protocol: Load["protocol"]) => number | undefined,
    backendPids: readonly number[],
    errors: string[],
    t0: number,
  ) {
    this.#backendPids = backendPids;
    this.#ctx = ctx;
    this.#endpoints = endpoints;
    this.#proxies = proxies;
    this.#pidOf = pidOf;
    this.#errors = errors;
    this.#t0 = t0;
  }

  #elapsed(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  #log(text: string): void {
    console.error(`[${this.#elapsed().toFixed(0).padStart(4)} s] ${text}`);
  }

  /** Runs `load` once on `target`; null (and an error noted) when it fails. */
  async #runOnce(
    load: Load,
    target: Target,
    size: number,
    what: string,
  ): Promise<Map<string, Sample> | null> {
    const ep = this.#endpoints.get(target);
    if (!ep) return null;
    const port = (load.protocol === "redis" ? ep.redis : ep.memcached)[load.servers];
    if (port === undefined) return null;
    const pid = this.#pidOf(target, load.protocol);
    // The target's CPU per request is its serving process's (direct: the backend's); in the
    // budget, direct has no proxy and its backend counts among the backends.
    const proxyPids = pid === undefined || target === "direct" ? [] : [pid];
    const backendPids = this.#backendPids;
    try {
      const before = cpuMark(proxyPids, backendPids);
      const cpu0 = pid === undefined ? null : cpuSeconds(pid);
      const out = await load.run(this.#ctx, port, size);
      const cpu1 = pid === undefined ? null : cpuSeconds(pid);
      const after = cpuMark(proxyPids, backendPids);
      const warnings = out.warnings;
      const samples = new Map<string, Sample>();
      for (const [id, s] of out.samples) {
        const cpuUsPerReq = cpu0 !== null && cpu1 !== null && s.requests > 0
          ? ((cpu1 - cpu0) * 1e6) / s.requests
          : null;
        const budget = cpuBudget(before, after, s.requests, out.generatorCpuSeconds ?? null);
        samples.set(id, { ...s, cpuUsPerReq, budget });
      }
      this.#log(`${what} ${load.id} ${target} size ${size}: ${describe(samples)}`);
      for (const w of warnings) this.#errors.push(`${what}: ${load.id} on ${target}: ${w}`);
      return samples;
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.#errors.push(`${what}: ${load.id} on ${target} failed: ${msg.trim()}`);
      this.#log(`${what} ${load.id} ${target}: FAILED ${msg.trim().slice(0, 200)}`);
      const proxy = this.#proxies.get(target);
      if (proxy?.proc.exited) {
        const status = await proxy.proc.status;
        this.#errors.push(
          `${target} exited (code ${status.code}); its remaining runs are skipped: ` +
            proxy.proc.tail.trim().slice(-500),
        );
        this.#endpoints.delete(target);
      }
      return null;
    } finally {
      await sleep(PAUSE_MS);
    }
  }

  /** Warm-up round: runs every load once per target and sizes the measured runs from it. */
  async warmUp(loads: readonly Load[]): Promise<void> {
    const s = this.#ctx.settings;
    if (!s.warmUp) return;
    for (const load of loads) {
      const size = load.warmupSize(s);
      if (size <= 0) continue;
      for (const target of rotation(0, load.targets)) {
        const warm = await this.#runOnce(load, target, size, "warm-up");
        this.#sizes.set(`${load.id}/${target}`, load.measuredSize(s, warm ?? new Map()));
      }
    }
  }

  /** The measured rounds; stops starting runs once the time budget is spent. */
  async rounds(loads: readonly Load[]): Promise<void> {
    const s = this.#ctx.settings;
    for (let round = 1; round <= s.rounds; round++) {
      for (const load of loads) {
        const order = rotation(round - 1, load.targets);
        for (const [position, target] of order.entries()) {
          if (this.#elapsed() > s.budgetSeconds) {
            this.#skipped++;
            continue;
          }
          const size = this.#sizes.get(`${load.id}/${target}`) ?? this.#uncalibrated(load);
          const samples = await this.#runOnce(load, target, size, `round ${round}/${s.rounds}`);
          if (!samples) continue;
          for (const [rowId, sample] of samples) {
            this.#record(rowId, target, round, position, sample);
          }
          // Re-size from this (warm) run, so later rounds last about runSeconds too.
          if (s.warmUp) this.#sizes.set(`${load.id}/${target}`, load.measuredSize(s, samples));
        }
      }
    }
    if (this.#skipped > 0) {
      this.#errors.push(
        `time budget of ${s.budgetSeconds} s spent: ${this.#skipped} runs were skipped`,
      );
    }
  }

  /** Size of a run without calibration (`--quick`): the warm-up size of request-counted loads. */
  #uncalibrated(load: Load): number {
    const s = this.#ctx.settings;
    return load.sizeUnit === "requests" ? load.warmupSize(s) : load.measuredSize(s, new Map());
  }

  #record(rowId: string, target: Target, round: number, position: number, s: Sample): void {
    let byTarget = this.table.get(rowId);
    if (!byTarget) this.table.set(rowId, byTarget = new Map());
    let runs = byTarget.get(target);
    if (!runs) byTarget.set(target, runs = []);
    runs.push({ ...s, round, position });
  }
}
