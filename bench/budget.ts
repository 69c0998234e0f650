/**
 * The CPU budget of a run: the CPU per request of the load generator, of
 * the backends and of the proxy, the cores they kept busy, and the
 * throughput the machine's cores allow at those costs (the CPU ceiling).
 *
 * On a machine where the generator and the backends share the cores with
 * the proxy, no proxy can serve more than cores / (generator + backends +
 * proxy CPU per request) requests a second, however fast it is; with the
 * proxy's own cost set to 0, that is the most any proxy could reach there.
 *
 * The generator's CPU is that of the children this process has waited for
 * (cutime+cstime of /proc/self/stat) between the two marks, i.e. the whole
 * lives of the generator processes that ran, unless the generator reports
 * its own CPU over its measured interval (mcload does: it leaves out its
 * runtime's start-up); the proxy's and the backends' are read from their
 * /proc/PID/stat as in cpu.ts.
 *
 * @module
 */
import { cpuSeconds, exitedChildrenCpuSeconds } from "./cpu.ts";

/** CPU counters at one moment. */
export interface CpuMark {
  /** performance.now() (ms). */
  readonly atMs: number;
  /** CPU seconds so far of the proxy processes (null: one of them could not be read). */
  readonly proxy: number | null;
  /** CPU seconds so far of the backend processes (null: one of them could not be read). */
  readonly backends: number | null;
  /** CPU seconds so far of this process's exited children (the generators, once they end). */
  readonly exited: number | null;
}

/** Sum of the CPU seconds of `pids` so far; null when one cannot be read. */
function sumCpu(pids: readonly number[]): number | null {
  let total = 0;
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s === null) return null;
    total += s;
  }
  return total;
}

/** Reads the counters now. */
export function cpuMark(proxyPids: readonly number[], backendPids: readonly number[]): CpuMark {
  return {
    atMs: performance.now(),
    proxy: sumCpu(proxyPids),
    backends: sumCpu(backendPids),
    exited: exitedChildrenCpuSeconds(),
  };
}

/** CPU per request of each part of a run (microseconds of user+sys). */
export interface PerRequestUs {
  /** The load generator processes. */
  readonly generator: number;
  /** The backend processes (redis-servers, memcacheds). */
  readonly backends: number;
  /** The proxy's processes (0 when there is none). */
  readonly proxy: number;
}

/** The CPU budget of one run. */
export interface CpuBudget extends PerRequestUs {
  /** Wall seconds between the marks. */
  readonly wallSeconds: number;
  /** Cores in use: the CPU seconds of generator, backends and proxy / wall seconds. */
  readonly cores: number;
}

/**
 * The budget of a run between `start` and `end` that served `requests`.
 * `generatorSeconds`, when given, is the generators' own count of their CPU
 * over their measured interval, used for the generator's CPU per request
 * (the exited children's CPU, whole lives, still counts in `cores`). Null
 * when a counter is missing or nothing was served.
 */
export function cpuBudget(
  start: CpuMark,
  end: CpuMark,
  requests: number,
  generatorSeconds: number | null = null,
): CpuBudget | null {
  const d = (a: number | null, b: number | null) => a === null || b === null ? null : b - a;
  const proxy = d(start.proxy, end.proxy);
  const backends = d(start.backends, end.backends);
  const exited = d(start.exited, end.exited);
  const wallSeconds = (end.atMs - start.atMs) / 1000;
  if (proxy === null || backends === null || exited === null) return null;
  if (!(requests > 0) || !(wallSeconds > 0)) return null;
  const us = (seconds: number) => (seconds * 1e6) / requests;
  return {
    generator: us(generatorSeconds ?? exited),
    backends: us(backends),
    proxy: us(proxy),
    wallSeconds,
    cores: (exited + backends + proxy) / wallSeconds,
  };
}

/**
 * Where the processes of a run may run: `shared`, all on the same `cores`;
 * `pinned`, the generator and the backends on `loadCores` and the proxy on
 * `proxyCores` (taskset).
 */
export type Layout =
  | { readonly kind: "shared"; readonly cores: number }
  | { readonly kind: "pinned"; readonly loadCores: number; readonly proxyCores: number };

/** `cores` / `us` microseconds per request, in requests per second (Infinity for a cost of 0). */
function perSecond(cores: number, us: number): number {
  return us > 0 ? (cores * 1e6) / us : Infinity;
}

/**
 * The CPU ceiling: requests per second the cores allow at these costs per
 * request. Shared: cores / (generator + backends + proxy); pinned: the
 * lower of what the generator's and backends' cores allow and what the
 * proxy's allow. Infinity when nothing costs anything.
 */
export function cpuCeiling(us: PerRequestUs, layout: Layout): number {
  if (layout.kind === "shared") {
    return perSecond(layout.cores, us.generator + us.backends + us.proxy);
  }
  return Math.min(
    perSecond(layout.loadCores, us.generator + us.backends),
    perSecond(layout.proxyCores, us.proxy),
  );
}

/** The ceiling with the proxy's own CPU at 0: the most any proxy could serve on these cores. */
export function zeroProxyCeiling(us: PerRequestUs, layout: Layout): number {
  return cpuCeiling({ ...us, proxy: 0 }, layout);
}

/**
 * The most CPU per request (us) a proxy may spend for the ceiling to reach
 * `rps` requests per second, when the generator and the backends cost
 * `loadUs` per request; null when not even a proxy costing nothing reaches
 * it.
 */
export function proxyAllowance(rps: number, loadUs: number, layout: Layout): number | null {
  if (!(rps > 0)) return null;
  if (layout.kind === "shared") {
    const allowed = (layout.cores * 1e6) / rps - loadUs;
    return allowed >= 0 ? allowed : null;
  }
  if (perSecond(layout.loadCores, loadUs) < rps) return null;
  return (layout.proxyCores * 1e6) / rps;
}
