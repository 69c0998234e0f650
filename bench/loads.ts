/**
 * The loads: what each one sends, with which tool, and how one run of it
 * turns into measured rows. redis loads use redis-benchmark (request counts
 * calibrated per target so a run lasts about `runSeconds`); memcached loads
 * (loads_memcached.ts) use bench/mcload.ts or memcaslap for a fixed time.
 *
 * @module
 */
import { parseRedisCsv } from "./parse.ts";
import type { Load, RowSpec, Sample } from "./load_types.ts";
import { benchKey } from "./keys.ts";
import { memcachedLoad } from "./loads_memcached.ts";
import {
  BIG_MGET_KEYS,
  CLIENTS,
  KEYSPACE,
  MANY_CLIENTS,
  MC_MULTIGET_KEYS,
  MGET_KEYS,
  PIPELINE,
  type Settings,
} from "./settings.ts";

/** Shape of a redis-benchmark load. */
interface RedisBenchSpec {
  readonly id: string;
  readonly warmupKey: string;
  /** redis-benchmark arguments besides -h/-p/-n/--csv. */
  readonly args: readonly string[];
  /** Row per redis-benchmark test name; a single "*" row takes whatever test is printed. */
  readonly rows: readonly (RowSpec & { readonly test: string })[];
  /** Bounds of the calibrated `-n`. */
  readonly bounds: (s: Settings) => readonly [number, number];
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.round(x)));
}

function redisBenchLoad(spec: RedisBenchSpec): Load {
  return {
    id: spec.id,
    protocol: "redis",
    tool: "redis-benchmark",
    sizeUnit: "requests",
    rows: spec.rows.map(({ id, title }) => ({ id, title })),
    warmupSize: (s) => s.warmupRequests[spec.warmupKey] ?? s.minRequests,
    measuredSize(s, previous) {
      const [lo, hi] = spec.bounds(s);
      const rates = [...previous.values()].map((w) => w.throughput).filter((r) => r > 0);
      if (rates.length === 0) return lo;
      // The fastest row: a cold warm-up (JIT) underestimates the slower ones.
      return clamp(Math.max(...rates) * s.runSeconds, lo, hi);
    },
    async run(ctx, port, size) {
      const args = ["-h", "127.0.0.1", "-p", String(port), "-n", String(size), "--csv"];
      const out = await ctx.procs.run(
        `redis-benchmark ${spec.id}`,
        "redis-benchmark",
        [...args, ...spec.args],
        ctx.settings.runTimeoutSeconds * 1000,
      );
      if (out.timedOut) throw new Error(`timed out after ${ctx.settings.runTimeoutSeconds} s`);
      if (out.code !== 0) {
        throw new Error(`exit ${out.code}: ${(out.stderr + out.stdout).slice(-300)}`);
      }
      const parsed = parseRedisCsv(out.stdout);
      const samples = new Map<string, Sample>();
      for (const row of spec.rows) {
        const hit = row.test === "*" ? parsed[0] : parsed.find((p) => p.test === row.test);
        if (!hit) throw new Error(`redis-benchmark printed no ${row.test} row`);
        samples.set(row.id, { throughput: hit.rps, p50Ms: hit.p50Ms, p99Ms: hit.p99Ms, size });
      }
      return { samples, warnings: [] };
    },
  };
}

const randKey = "key:__rand_int__";

/** redis-benchmark arguments for one MGET of the first BIG_MGET_KEYS keys. */
function bigMgetCommand(): string[] {
  return ["MGET", ...Array.from({ length: BIG_MGET_KEYS }, (_, i) => benchKey(i))];
}

/** Every load, in report order; `settings` picks the memcached load generator. */
export function loadsFor(settings: Settings): Load[] {
  const tool = settings.memcachedTool;
  return [
    ...REDIS_LOADS,
    memcachedLoad(tool, {
      id: "mc_getset_c50",
      title: `memcached get/set 9:1 c${CLIENTS}`,
      division: 1,
      setShare: 0.1,
    }),
    memcachedLoad(tool, {
      id: "mc_mget10_c50",
      title: `memcached get ${MC_MULTIGET_KEYS} keys c${CLIENTS}`,
      division: MC_MULTIGET_KEYS,
      setShare: 0.1,
    }),
  ];
}

const REDIS_LOADS: readonly Load[] = [
  redisBenchLoad({
    id: "redis_c50_p1",
    warmupKey: "p1",
    args: ["-t", "set,get", "-c", String(CLIENTS), "-P", "1", "-r", String(KEYSPACE)],
    rows: [
      { id: "redis_set_c50_p1", title: `redis SET c${CLIENTS} P1`, test: "SET" },
      { id: "redis_get_c50_p1", title: `redis GET c${CLIENTS} P1`, test: "GET" },
    ],
    bounds: (s) => [s.minRequests, s.maxRequests],
  }),
  redisBenchLoad({
    id: "redis_c50_p16",
    warmupKey: "p16",
    args: ["-t", "set,get", "-c", String(CLIENTS), "-P", String(PIPELINE), "-r", String(KEYSPACE)],
    rows: [
      { id: "redis_set_c50_p16", title: `redis SET c${CLIENTS} P${PIPELINE}`, test: "SET" },
      { id: "redis_get_c50_p16", title: `redis GET c${CLIENTS} P${PIPELINE}`, test: "GET" },
    ],
    bounds: (s) => [s.minRequests * PIPELINE, s.maxRequests],
  }),
  redisBenchLoad({
    id: "redis_mget10_c50",
    warmupKey: "mget10",
    args: [
      "-c",
      String(CLIENTS),
      "-P",
      "1",
      "-r",
      String(KEYSPACE),
      "MGET",
      ...Array.from({ length: MGET_KEYS }, () => randKey),
    ],
    rows: [{
      id: "redis_mget10_c50",
      title: `redis MGET ${MGET_KEYS} keys c${CLIENTS}`,
      test: "*",
    }],
    bounds: (s) => [s.minRequests, s.maxRequests],
  }),
  redisBenchLoad({
    id: "redis_get_c500",
    warmupKey: "c500",
    args: ["-t", "get", "-c", String(MANY_CLIENTS), "-P", "1", "-r", String(KEYSPACE)],
    rows: [{ id: "redis_get_c500", title: `redis GET c${MANY_CLIENTS} P1`, test: "GET" }],
    bounds: (s) => [Math.max(s.minRequests, MANY_CLIENTS * 4), s.maxRequests],
  }),
  redisBenchLoad({
    id: "redis_mget10k_c1",
    warmupKey: "mget10k",
    args: ["-c", "1", "-P", "1", ...bigMgetCommand()],
    rows: [{ id: "redis_mget10k_c1", title: `redis MGET ${BIG_MGET_KEYS} keys c1`, test: "*" }],
    bounds: (s) => [s.bigMgetMinReps, s.bigMgetMaxReps],
  }),
];

/** Every row of every load, in report order (the same whatever the settings). */
export function rowsOf(loads: readonly Load[]): RowSpec[] {
  return loads.flatMap((l) => l.rows);
}
