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
import type { Target } from "./services.ts";
import {
  BIG_MGET_KEYS,
  CLIENTS,
  KEYSPACE,
  MANY_CLIENTS,
  MC_MULTIGET_KEYS,
  MGET_KEYS,
  MGET_KEYS_LARGE,
  PIPELINE,
  POOL_SIZES,
  type PoolSize,
  type Settings,
  WRITE_KEYS,
} from "./settings.ts";

/** Shape of a redis-benchmark load. */
interface RedisBenchSpec {
  readonly id: string;
  readonly warmupKey: string;
  readonly servers: PoolSize;
  readonly targets: readonly Target[];
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
    servers: spec.servers,
    targets: spec.targets,
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
        samples.set(row.id, {
          throughput: hit.rps,
          p50Ms: hit.p50Ms,
          p99Ms: hit.p99Ms,
          size,
          requests: size,
          cpuUsPerReq: null,
        });
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

/** Targets of 1-server loads that compare with the backend itself. */
const WITH_DIRECT: readonly Target[] = ["nutmeg", "nutcracker", "direct"];
/** Targets of loads that compare the proxies only. */
const PROXIES_ONLY: readonly Target[] = ["nutmeg", "nutcracker"];
/** Targets of the PING loads: the proxies and the bare Deno server. */
const WITH_FLOOR: readonly Target[] = ["nutmeg", "nutcracker", "floor"];

/** `servers` in a row id and title. */
function poolTag(servers: PoolSize): { id: string; title: string } {
  return servers === 1
    ? { id: "", title: "" }
    : { id: `_s${servers}`, title: ` (${servers} servers)` };
}

/** One redis-benchmark load giving one row. */
function single(
  id: string,
  title: string,
  warmupKey: string,
  servers: PoolSize,
  targets: readonly Target[],
  args: readonly string[],
  bounds: (s: Settings) => readonly [number, number] = (s) => [s.minRequests, s.maxRequests],
): Load {
  const tag = poolTag(servers);
  return redisBenchLoad({
    id: id + tag.id,
    warmupKey,
    servers,
    targets,
    args,
    rows: [{ id: id + tag.id, title: title + tag.title, test: "*" }],
    bounds,
  });
}

/** Loads whose requests a proxy splits over servers: one per pool size. */
function splitLoads(servers: PoolSize): Load[] {
  const targets = servers === 1 ? WITH_DIRECT : PROXIES_ONLY;
  const c50 = ["-c", String(CLIENTS), "-P", "1", "-r", String(KEYSPACE)];
  const keys = (n: number, prefix = randKey) => Array.from({ length: n }, () => prefix);
  const pairs = (n: number) => Array.from({ length: n }, () => [randKey, "xxx"]).flat();
  return [
    single(
      "redis_mget10_c50",
      `redis MGET ${MGET_KEYS} keys c${CLIENTS}`,
      "mget10",
      servers,
      targets,
      [...c50, "MGET", ...keys(MGET_KEYS)],
    ),
    single(
      "redis_mget100_c50",
      `redis MGET ${MGET_KEYS_LARGE} keys c${CLIENTS}`,
      "mget100",
      servers,
      PROXIES_ONLY,
      [...c50, "MGET", ...keys(MGET_KEYS_LARGE)],
    ),
    // Keys that do not exist, so the other loads keep finding theirs.
    single(
      "redis_del10_c50",
      `redis DEL ${WRITE_KEYS} keys c${CLIENTS}`,
      "mget10",
      servers,
      PROXIES_ONLY,
      [...c50, "DEL", ...keys(WRITE_KEYS, "nokey:__rand_int__")],
    ),
    // The value every key already has, so the other loads read the same data.
    single(
      "redis_mset10_c50",
      `redis MSET ${WRITE_KEYS} keys c${CLIENTS}`,
      "mget10",
      servers,
      PROXIES_ONLY,
      [...c50, "MSET", ...pairs(WRITE_KEYS)],
    ),
  ];
}

/** Every load, in report order; `settings` picks the memcached load generator. */
export function loadsFor(settings: Settings): Load[] {
  const tool = settings.memcachedTool;
  const mcMget = (servers: PoolSize) => {
    const tag = poolTag(servers);
    return memcachedLoad(tool, {
      id: `mc_mget10_c50${tag.id}`,
      title: `memcached get ${MC_MULTIGET_KEYS} keys c${CLIENTS}${tag.title}`,
      division: MC_MULTIGET_KEYS,
      setShare: 0.1,
      servers,
      targets: servers === 1 ? WITH_DIRECT : PROXIES_ONLY,
    });
  };
  return [
    ...BASIC_LOADS,
    ...POOL_SIZES.flatMap(splitLoads),
    bigMget(1, WITH_DIRECT),
    bigMget(2, PROXIES_ONLY),
    memcachedLoad(tool, {
      id: "mc_getset_c50",
      title: `memcached get/set 9:1 c${CLIENTS}`,
      division: 1,
      setShare: 0.1,
      servers: 1,
      targets: WITH_DIRECT,
    }),
    ...POOL_SIZES.map(mcMget),
  ];
}

function bigMget(servers: PoolSize, targets: readonly Target[]): Load {
  return single(
    "redis_mget10k_c1",
    `redis MGET ${BIG_MGET_KEYS} keys c1`,
    "mget10k",
    servers,
    targets,
    ["-c", "1", "-P", "1", ...bigMgetCommand()],
    (s) => [s.bigMgetMinReps, s.bigMgetMaxReps],
  );
}

const P1 = ["-c", String(CLIENTS), "-P", "1", "-r", String(KEYSPACE)];
const P16 = ["-c", String(CLIENTS), "-P", String(PIPELINE), "-r", String(KEYSPACE)];
const P16_BOUNDS = (s: Settings) => [s.minRequests * PIPELINE, s.maxRequests] as const;
const C500_BOUNDS = (s: Settings) =>
  [Math.max(s.minRequests, MANY_CLIENTS * 4), s.maxRequests] as const;
const CHURN_BOUNDS = (s: Settings) => [s.minRequests, s.maxChurnRequests] as const;

/** Unsplit loads on 1-server pools, the PING floor and the connection churn. */
const BASIC_LOADS: readonly Load[] = [
  single("redis_set_c50_p1", `redis SET c${CLIENTS} P1`, "p1", 1, WITH_DIRECT, [
    ...P1,
    "-t",
    "set",
  ]),
  single("redis_get_c50_p1", `redis GET c${CLIENTS} P1`, "p1", 1, WITH_DIRECT, [
    ...P1,
    "-t",
    "get",
  ]),
  single(
    "redis_set_c50_p16",
    `redis SET c${CLIENTS} P${PIPELINE}`,
    "p16",
    1,
    WITH_DIRECT,
    [...P16, "-t", "set"],
    P16_BOUNDS,
  ),
  single(
    "redis_get_c50_p16",
    `redis GET c${CLIENTS} P${PIPELINE}`,
    "p16",
    1,
    WITH_DIRECT,
    [...P16, "-t", "get"],
    P16_BOUNDS,
  ),
  single(
    "redis_get_c500",
    `redis GET c${MANY_CLIENTS} P1`,
    "c500",
    1,
    WITH_DIRECT,
    ["-t", "get", "-c", String(MANY_CLIENTS), "-P", "1", "-r", String(KEYSPACE)],
    C500_BOUNDS,
  ),
  single("redis_ping_c50", `redis PING c${CLIENTS} P1`, "p1", 1, WITH_FLOOR, [
    "-t",
    "ping_mbulk",
    "-c",
    String(CLIENTS),
    "-P",
    "1",
  ]),
  single(
    "redis_ping_c500",
    `redis PING c${MANY_CLIENTS} P1`,
    "c500",
    1,
    WITH_FLOOR,
    ["-t", "ping_mbulk", "-c", String(MANY_CLIENTS), "-P", "1"],
    C500_BOUNDS,
  ),
  // A new connection for every request (-k 0): connect, GET, close.
  single(
    "redis_churn_c50",
    `redis connect+GET+close c${CLIENTS}`,
    "churn",
    1,
    PROXIES_ONLY,
    ["-t", "get", "-k", "0", "-c", String(CLIENTS), "-r", String(KEYSPACE)],
    CHURN_BOUNDS,
  ),
  single(
    "redis_churn_c500",
    `redis connect+GET+close c${MANY_CLIENTS}`,
    "churn",
    1,
    PROXIES_ONLY,
    ["-t", "get", "-k", "0", "-c", String(MANY_CLIENTS), "-r", String(KEYSPACE)],
    CHURN_BOUNDS,
  ),
];

/** Every row of every load, in report order (the same whatever the settings). */
export function rowsOf(loads: readonly Load[]): RowSpec[] {
  return loads.flatMap((l) => l.rows);
}
