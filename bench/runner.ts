/**
 * Runs the loads against the targets: a warm-up round that also calibrates
 * request counts per target, then the measured rounds, each running every
 * load on every target with the target order rotated by one per round, so
 * that drift of the machine hits all three alike.
 *
 * @module
 */
import type { Load, LoadContext, Sample } from "./load_types.ts";
import { sleep } from "./procs.ts";
import type { RunTable } from "./report.ts";
import { type Endpoints, type ProxyHandle, type Target, TARGETS } from "./services.ts";

/** Pause between two runs (lets sockets and CPU settle). */
const PAUSE_MS = 300;

/** Target order of a round (0 = warm-up and first round): TARGETS rotated left by `round`. */
export function rotation(round: number): Target[] {
  const n = TARGETS.length;
  return TARGETS.map((_, i) => TARGETS[(i + round) % n]!);
}

/** Short text of a sample for progress lines. */
function describe(samples: ReadonlyMap<string, Sample>): string {
  return [...samples.entries()].map(([id, s]) =>
    `${id} ${Math.round(s.throughput).toLocaleString("en-US")}/s p99 ${s.p99Ms.toFixed(2)} ms`
  ).join(", ");
}

/** Drives all runs and collects them. */
export class Runner {
  /** Measured runs: row id -> target -> runs. */
  readonly table: RunTable = new Map();
  #ctx: LoadContext;
  #endpoints: Map<Target, Endpoints>;
  #proxies: ReadonlyMap<Target, ProxyHandle>;
  #errors: string[];
  #sizes = new Map<string, number>();
  #t0: number;
  #skipped = 0;

  /**
   * @param endpoints targets that passed the check (a target is dropped when its proxy dies)
   * @param proxies running proxies, to notice when one exits
   * @param errors where problems are appended
   * @param t0 performance.now() at the start of the benchmark (for the time budget)
   */
  constructor(
    ctx: LoadContext,
    endpoints: Map<Target, Endpoints>,
    proxies: ReadonlyMap<Target, ProxyHandle>,
    errors: string[],
    t0: number,
  ) {
    this.#ctx = ctx;
    this.#endpoints = endpoints;
    this.#proxies = proxies;
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
  async #runOnce(load: Load, target: Target, size: number, what: string) {
    const ep = this.#endpoints.get(target);
    if (!ep) return null;
    const port = load.protocol === "redis" ? ep.redis : ep.memcached;
    try {
      const { samples, warnings } = await load.run(this.#ctx, port, size);
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
    for (const load of loads) {
      const size = load.warmupSize(s);
      if (size <= 0) continue;
      for (const target of rotation(0)) {
        const warm = await this.#runOnce(load, target, size, "warm-up");
        this.#sizes.set(`${load.id}/${target}`, load.measuredSize(s, warm ?? new Map()));
      }
    }
  }

  /** The measured rounds; stops starting runs once the time budget is spent. */
  async rounds(loads: readonly Load[]): Promise<void> {
    const s = this.#ctx.settings;
    for (let round = 1; round <= s.rounds; round++) {
      const order = rotation(round - 1);
      for (const load of loads) {
        for (const [position, target] of order.entries()) {
          if (this.#elapsed() > s.budgetSeconds) {
            this.#skipped++;
            continue;
          }
          const size = this.#sizes.get(`${load.id}/${target}`) ?? load.measuredSize(s, new Map());
          const samples = await this.#runOnce(load, target, size, `round ${round}/${s.rounds}`);
          if (!samples) continue;
          for (const [rowId, sample] of samples) {
            this.#record(rowId, target, round, position, sample);
          }
          // Re-size from this (warm) run, so later rounds last about runSeconds too.
          this.#sizes.set(`${load.id}/${target}`, load.measuredSize(s, samples));
        }
      }
    }
    if (this.#skipped > 0) {
      this.#errors.push(
        `time budget of ${s.budgetSeconds} s spent: ${this.#skipped} runs were skipped`,
      );
    }
  }

  #record(rowId: string, target: Target, round: number, position: number, s: Sample): void {
    let byTarget = this.table.get(rowId);
    if (!byTarget) this.table.set(rowId, byTarget = new Map());
    let runs = byTarget.get(target);
    if (!runs) byTarget.set(target, runs = []);
    runs.push({ ...s, round, position });
  }
}
