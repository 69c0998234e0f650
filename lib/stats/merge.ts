/**
 * One stats view over several workers: each worker sends a plain copy of
 * its counters and latency histograms ({@link WorkerStats}, structured
 * clone friendly) and the main thread sums them into one source for the
 * twemproxy JSON and the Prometheus text. Counters and gauges are summed,
 * `server_ejected_at` is the latest; histograms are summed bucket by bucket.
 *
 * @module
 */
import { Histogram } from "./histogram.ts";
import {
  ALL_SERVER_METRICS,
  type MetricDef,
  POOL_METRICS,
  type PoolStats,
  type ServerStats,
} from "./metrics.ts";

/** A histogram as plain data. */
export interface HistogramData {
  readonly counts: Float64Array;
  readonly count: number;
  readonly sum: number;
}

/** A plain copy of one worker's counters. */
export interface WorkerStats {
  readonly total_connections: number;
  readonly curr_connections: number;
  readonly pools: readonly {
    readonly name: string;
    readonly stats: PoolStats;
    readonly latency: HistogramData;
    readonly servers: readonly {
      readonly name: string;
      readonly stats: ServerStats;
      readonly latency: HistogramData;
    }[];
  }[];
}

/** What {@link workerStatsOf} copies: an engine's counters and pools. */
export interface WorkerStatsSource {
  readonly counters: { readonly total_connections: number; readonly curr_connections: number };
  readonly pools: readonly {
    readonly name: string;
    readonly stats: PoolStats;
    readonly latency: Histogram;
    readonly servers: readonly {
      readonly name: string;
      readonly stats: ServerStats;
      readonly latency: Histogram;
    }[];
  }[];
}

function histogramData(h: Histogram): HistogramData {
  return { counts: h.counts.slice(), count: h.count, sum: h.sum };
}

/** Copies the counters of `src` now, as plain data a worker can post. */
export function workerStatsOf(src: WorkerStatsSource): WorkerStats {
  return {
    total_connections: src.counters.total_connections,
    curr_connections: src.counters.curr_connections,
    pools: src.pools.map((p) => ({
      name: p.name,
      stats: { ...p.stats },
      latency: histogramData(p.latency),
      servers: p.servers.map((s) => ({
        name: s.name,
        stats: { ...s.stats },
        latency: histogramData(s.latency),
      })),
    })),
  };
}

/** A merged pool or server: its summed stats and histogram. */
interface Merged<S> {
  readonly name: string;
  readonly stats: S;
  readonly latency: Histogram;
}

/** A merged pool. */
export interface MergedPool extends Merged<PoolStats> {
  readonly servers: Merged<ServerStats>[];
}

function addInto(h: Histogram, d: HistogramData): void {
  for (let i = 0; i < h.counts.length && i < d.counts.length; i++) h.counts[i]! += d.counts[i]!;
  h.count += d.count;
  h.sum += d.sum;
}

function addStats(
  defs: readonly MetricDef[],
  into: Record<string, number>,
  from: Readonly<Record<string, number>>,
): void {
  for (const d of defs) {
    const v = from[d.name] ?? 0;
    into[d.name] = d.kind === "timestamp"
      ? Math.max(into[d.name] ?? 0, v)
      : (into[d.name] ?? 0) + v;
  }
}

/**
 * Sums the copies of every worker: pools and servers matched by name, in
 * the order first seen (worker 0's, which is the file's order).
 */
export function mergeWorkerStats(all: readonly WorkerStats[]): {
  total_connections: number;
  curr_connections: number;
  pools: MergedPool[];
} {
  let total = 0;
  let curr = 0;
  const pools = new Map<string, MergedPool & { byName: Map<string, Merged<ServerStats>> }>();
  for (const w of all) {
    total += w.total_connections;
    curr += w.curr_connections;
    for (const p of w.pools) {
      let mp = pools.get(p.name);
      if (mp === undefined) {
        mp = {
          name: p.name,
          stats: { ...p.stats },
          latency: new Histogram(),
          servers: [],
          byName: new Map(),
        };
        for (const d of POOL_METRICS) (mp.stats as Record<string, number>)[d.name] = 0;
        pools.set(p.name, mp);
      }
      addStats(POOL_METRICS, mp.stats as Record<string, number>, p.stats);
      addInto(mp.latency, p.latency);
      for (const s of p.servers) {
        let ms = mp.byName.get(s.name);
        if (ms === undefined) {
          ms = { name: s.name, stats: { ...s.stats }, latency: new Histogram() };
          for (const d of ALL_SERVER_METRICS) (ms.stats as Record<string, number>)[d.name] = 0;
          mp.byName.set(s.name, ms);
          mp.servers.push(ms);
        }
        addStats(ALL_SERVER_METRICS, ms.stats as Record<string, number>, s.stats);
        addInto(ms.latency, s.latency);
      }
    }
  }
  return {
    total_connections: total,
    curr_connections: curr,
    pools: [...pools.values()].map(({ name, stats, latency, servers }) => ({
      name,
      stats,
      latency,
      servers,
    })),
  };
}
