/**
 * The types the loads share: what a run measures, what a load needs and
 * gives. Apart from loads.ts so that loads_memcached.ts, the runner and the
 * report read them without importing each other.
 *
 * @module
 */
import type { CpuBudget } from "./budget.ts";
import type { ProcRegistry } from "./procs.ts";
import type { Target } from "./services.ts";
import type { PoolSize, Settings } from "./settings.ts";

/** One measured result of one run. */
export interface Sample {
  /** Operations per second (requests; a multi-key command counts once). */
  readonly throughput: number;
  /** Median latency (ms). */
  readonly p50Ms: number;
  /** 99th percentile latency (ms). */
  readonly p99Ms: number;
  /** Requests per test (redis-benchmark `-n`) or seconds (memcached loads) of the run. */
  readonly size: number;
  /** Requests (commands) served in the run: the divisor of CPU per request. */
  readonly requests: number;
  /** Microseconds of the target's user+sys CPU per request (null: not measured). */
  readonly cpuUsPerReq: number | null;
  /**
   * CPU per request of the generator, the backends and the proxy, and the
   * cores in use (set by the runner; absent or null: not measured).
   */
  readonly budget?: CpuBudget | null;
}

/** A row of the report: one measured quantity of a load. */
export interface RowSpec {
  /** Stable id (JSON key). */
  readonly id: string;
  /** Human title for the table. */
  readonly title: string;
}

/** What a load needs to run. */
export interface LoadContext {
  /** Where processes are started (and stopped at the end). */
  readonly procs: ProcRegistry;
  /** Sizes and timeouts. */
  readonly settings: Settings;
  /** Scratch directory (memcaslap configuration files). */
  readonly tmpDir: string;
}

/** What one run produced. */
export interface RunOutput {
  /** A sample per row id. */
  readonly samples: Map<string, Sample>;
  /** Things worth a look that did not stop the run (error replies, misses). */
  readonly warnings: readonly string[];
  /**
   * The generator's own count of its CPU seconds over its measured interval
   * (mcload); absent or null: its whole life counts (the child's CPU once waited for).
   */
  readonly generatorCpuSeconds?: number | null;
}

/** A load: one tool invocation per run, giving one or more rows. */
export interface Load {
  /** Stable id. */
  readonly id: string;
  /** Which protocol (and so which port of a target) it uses. */
  readonly protocol: "redis" | "memcached";
  /** The load generator. */
  readonly tool: "redis-benchmark" | "mcload" | "memcaslap";
  /** Unit of a run's size. */
  readonly sizeUnit: "requests" | "seconds";
  /** Rows it produces. */
  readonly rows: readonly RowSpec[];
  /** Servers in the pool it runs on. */
  readonly servers: PoolSize;
  /** Targets it runs against, in the order of the first round. */
  readonly targets: readonly Target[];
  /** Size of the warm-up run, which also calibrates the measured runs. */
  warmupSize(s: Settings): number;
  /**
   * Size of the next measured run, from the rows of the previous run on the
   * same target (the warm-up run at first), so that it lasts about `runSeconds`.
   */
  measuredSize(s: Settings, previous: ReadonlyMap<string, Sample>): number;
  /** Runs the load once against 127.0.0.1:`port`. */
  run(ctx: LoadContext, port: number, size: number): Promise<RunOutput>;
}
