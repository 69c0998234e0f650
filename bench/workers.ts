/**
 * `--workers` scaling, measured apart from the main benchmark
 * (`deno run -A bench/workers.ts [--quick] [--only ids]`): the loads of
 * issue 15's targets — GET c50 P1, MGET of 10 keys over 2 servers, GET
 * c500 — and the memcached ones — get/set 9:1 c50 unpipelined, get of 10
 * keys c50 over 2 servers — against nutmeg with 1, 2 and `auto` workers,
 * one nutcracker, and N nutcrackers on N ports (N = the CPUs, clients split
 * across them, as nutcracker users run it today). Every target gets the
 * same load generator: G processes (G = max(2, N)) started together, the
 * clients split over them (and over the target's ports): redis-benchmark
 * for Redis, bench/mcload.ts (one thread each) for memcached. Throughput is
 * the sum of what they report; CPU per request is the user+sys CPU of the
 * target's processes (all threads, /proc) over the requests served (a
 * multi-get counts once).
 *
 * Two modes: `shared` (nothing pinned: generator, backends and proxy share
 * every core) and `pinned` (`taskset`: generator and backends on CPU 0,
 * the proxy on CPU 1). In pinned mode `--workers auto` starts under the
 * proxy's affinity, so it means 1 worker there.
 *
 * Each (mode, load, target) gets a warm-up run that sizes the measured
 * runs (about RUN_SECONDS each; memcached runs are timed), then ROUNDS
 * measured runs with the order of the targets rotated each round; the table
 * shows medians. A run that fails (a target died) is logged and listed, and
 * the target started again for the next. Results go to
 * bench/results/workers_latest.json with the load average before and after
 * (not with `--only`, which runs the loads whose id contains one of the
 * comma-separated ids given, e.g. `--only mc_`).
 *
 * @module
 */
import { freePorts } from "../tests/_support/ports.ts";
import {
  type CpuBudget,
  cpuBudget,
  cpuCeiling,
  cpuMark,
  type Layout,
  proxyAllowance,
  zeroProxyCeiling,
} from "./budget.ts";
import { initClockTicks } from "./cpu.ts";
import { parseRedisCsv } from "./parse.ts";
import { type Proc, ProcRegistry, waitForProc } from "./procs.ts";
import { nutmegRunArgs, startMemcached, startRedis } from "./services.ts";
import { populateMemcached, populateRedis } from "./net.ts";
import { runMcloadProcess } from "./loads_memcached.ts";
import { KEYSPACE, MC_KEYSPACE, MC_MULTIGET_KEYS, MC_VALUE_BYTES } from "./settings.ts";

const quick = Deno.args.includes("--quick");
/** `--only a,b`: the loads whose id contains a or b. */
const only = (() => {
  const i = Deno.args.indexOf("--only");
  return i < 0 ? null : (Deno.args[i + 1] ?? "").split(",").filter((v) => v !== "");
})();
const ROUNDS = quick ? 1 : 3;
const RUN_SECONDS = quick ? 1 : 2.5;
const CPUS = navigator.hardwareConcurrency || 1;
const GENERATORS = Math.max(2, CPUS);
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

type Mode = "shared" | "pinned";
type TargetId = "nm1" | "nm2" | "nmauto" | "nc" | "ncN";
/** The pools every target serves: Redis and memcached, on 1 and 2 servers. */
const POOLS = ["one", "two", "mcone", "mctwo"] as const;
type PoolName = (typeof POOLS)[number];

interface LoadBase {
  readonly id: string;
  readonly title: string;
  readonly pool: PoolName;
  readonly clients: number;
  /** Issue 15's target for nutmeg with workers = cores over one nutcracker (throughput). */
  readonly target: number;
}

/** A Redis load: redis-benchmark, runs sized in requests. */
interface RedisLoad extends LoadBase {
  readonly kind: "redis";
  /** redis-benchmark arguments besides -h/-p/-c/-n/--csv. */
  readonly args: readonly string[];
}

/** A memcached load: bench/mcload.ts, runs of a given length. */
interface MemcachedLoad extends LoadBase {
  readonly kind: "memcached";
  /** Keys per get. */
  readonly division: number;
  /** Share of sets among the commands. */
  readonly setShare: number;
}

type LoadSpec = RedisLoad | MemcachedLoad;

const keys10 = Array.from({ length: 10 }, () => "key:__rand_int__");
const ALL_LOADS: readonly LoadSpec[] = [
  {
    kind: "redis",
    id: "get_c50",
    title: "GET c50 P1",
    pool: "one",
    clients: 50,
    target: 1.3,
    args: ["-t", "get"],
  },
  {
    kind: "redis",
    id: "mget10_s2",
    title: "MGET 10 keys c50, 2 servers",
    pool: "two",
    clients: 50,
    target: 1.3,
    args: ["MGET", ...keys10],
  },
  {
    kind: "redis",
    id: "get_c500",
    title: "GET c500 P1",
    pool: "one",
    clients: 500,
    target: 1.3,
    args: ["-t", "get"],
  },
  {
    kind: "memcached",
    id: "mc_getset_c50",
    title: "memcached get/set 9:1 c50",
    pool: "mcone",
    clients: 50,
    target: 1.0,
    division: 1,
    setShare: 0.1,
  },
  {
    kind: "memcached",
    id: "mc_mget10_s2",
    title: `memcached get ${MC_MULTIGET_KEYS} keys c50, 2 servers`,
    pool: "mctwo",
    clients: 50,
    target: 1.0,
    division: MC_MULTIGET_KEYS,
    setShare: 0.1,
  },
];
const LOADS = only === null
  ? ALL_LOADS
  : ALL_LOADS.filter((l) => only.some((o) => l.id.includes(o)));
if (LOADS.length === 0) {
  throw new Error(`--only ${only}: no load id contains it (${ALL_LOADS.map((l) => l.id)})`);
}

const TARGETS: readonly { id: TargetId; title: string }[] = [
  { id: "nm1", title: "nutmeg 1 worker" },
  { id: "nm2", title: "nutmeg 2 workers" },
  { id: "nmauto", title: "nutmeg auto" },
  { id: "nc", title: "nutcracker x1" },
  { id: "ncN", title: `nutcracker x${CPUS}` },
];

/** A started target: its processes and, per pool, the ports clients are split over. */
interface Running {
  readonly title: string;
  readonly pids: number[];
  readonly ports: Record<PoolName, number[]>;
  /** What became of its processes, for an error message: those that exited and their output. */
  gone(): string;
  stop(): Promise<void>;
}

function loadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** The backends: two redis-servers and two memcacheds. */
interface Backends {
  readonly redis: readonly number[];
  readonly memcached: readonly number[];
}

function yaml(ports: Record<PoolName, number>, backends: Backends): string {
  const pool = (name: PoolName, redis: boolean, servers: readonly number[]) =>
    `${name}:\n  listen: 127.0.0.1:${ports[name]}\n${redis ? "  redis: true\n" : ""}` +
    `  hash: fnv1a_64\n  distribution: ketama\n  preconnect: true\n  server_connections: 1\n` +
    `  auto_eject_hosts: false\n  servers:\n${
      servers.map((p) => `    - 127.0.0.1:${p}:1\n`).join("")
    }`;
  return pool("one", true, backends.redis.slice(0, 1)) +
    pool("two", true, backends.redis.slice(0, 2)) +
    pool("mcone", false, backends.memcached.slice(0, 1)) +
    pool("mctwo", false, backends.memcached.slice(0, 2));
}

const procs = new ProcRegistry();
/** The runs that failed, as `load target: why`. */
const failures: string[] = [];
const dir = await Deno.makeTempDir({ prefix: "nutmeg-bench-workers-" });

/** Starts one proxy process for `target` (pinned to CPU 1 in pinned mode). */
async function startOne(
  name: string,
  proxy: "nutmeg" | "nutcracker",
  workers: string,
  mode: Mode,
  backends: Backends,
): Promise<{ proc: Proc; ports: Record<PoolName, number> }> {
  const free = freePorts(POOLS.length + 1);
  const ports = Object.fromEntries(POOLS.map((p, i) => [p, free[i]!])) as Record<PoolName, number>;
  const stats = free[POOLS.length]!;
  const conf = `${dir}/${name}.yml`;
  await Deno.writeTextFile(conf, yaml(ports, backends));
  const flags = ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-v", "2"];
  const base = proxy === "nutcracker"
    ? ["nutcracker", ...flags]
    : [Deno.execPath(), ...nutmegRunArgs([...flags, "--workers", workers])];
  const argv = mode === "pinned" ? ["taskset", "-c", "1", ...base] : base;
  const proc = procs.start(name, argv[0]!, argv.slice(1), { cwd: ROOT, keepChars: 16 * 1024 });
  for (const p of POOLS) await waitForProc(ports[p], 30_000, proc);
  return { proc, ports };
}

async function startTarget(
  id: TargetId,
  mode: Mode,
  backends: Backends,
): Promise<Running> {
  const parts: Awaited<ReturnType<typeof startOne>>[] = [];
  if (id === "ncN") {
    for (let i = 0; i < CPUS; i++) {
      parts.push(await startOne(`${mode}_nc${i}`, "nutcracker", "", mode, backends));
    }
  } else if (id === "nc") {
    parts.push(await startOne(`${mode}_nc`, "nutcracker", "", mode, backends));
  } else {
    const workers = id === "nm1" ? "1" : id === "nm2" ? "2" : "auto";
    parts.push(await startOne(`${mode}_${id}`, "nutmeg", workers, mode, backends));
  }
  return {
    title: TARGETS.find((t) => t.id === id)!.title,
    pids: parts.map((p) => p.proc.pid),
    gone: () =>
      parts.filter((p) => p.proc.exited).map((p) =>
        `process ${p.proc.pid} exited; its last output: ${p.proc.tail.slice(-600)}`
      ).join("; ") || "its processes are running",
    ports: Object.fromEntries(
      POOLS.map((pool) => [pool, parts.map((p) => p.ports[pool])]),
    ) as Record<
      PoolName,
      number[]
    >,
    stop: async () => {
      await Promise.all(parts.map((p) => p.proc.stop()));
    },
  };
}

interface Sample {
  readonly rps: number;
  readonly cpuUsPerReq: number;
  readonly p99Ms: number;
  /** CPU per request of generator, backends and proxy, and the cores in use (null: not read). */
  readonly budget: CpuBudget | null;
}

/** Where the processes run in `mode` (the ceiling's arithmetic). */
function layoutOf(mode: Mode): Layout {
  return mode === "pinned"
    ? { kind: "pinned", loadCores: 1, proxyCores: 1 }
    : { kind: "shared", cores: CPUS };
}

/** The clients of generator `g` of GENERATORS. */
function clientsOf(load: LoadSpec, g: number): number {
  return Math.floor(load.clients / GENERATORS) + (g < load.clients % GENERATORS ? 1 : 0);
}

/**
 * One run: GENERATORS generators at once, `size` requests each (Redis) or
 * for `size` seconds (memcached).
 */
async function runOnce(
  load: LoadSpec,
  target: Running,
  mode: Mode,
  size: number,
  backendPids: readonly number[],
): Promise<Sample> {
  const before = cpuMark(target.pids, backendPids);
  let run: Served;
  try {
    run = load.kind === "redis"
      ? await runRedis(load, target.ports[load.pool], mode, size)
      : await runMemcached(load, target.ports[load.pool], mode, size);
  } catch (err) {
    throw new Error(`${mode} ${load.title} against ${target.title}: ${target.gone()}`, {
      cause: err,
    });
  }
  const after = cpuMark(target.pids, backendPids);
  const budget = cpuBudget(before, after, run.requests, run.generatorCpuSeconds);
  return { rps: run.rps, cpuUsPerReq: budget?.proxy ?? NaN, p99Ms: run.p99Ms, budget };
}

/** What the generators of one run report together. */
interface Served {
  readonly rps: number;
  readonly requests: number;
  readonly p99Ms: number;
  /**
   * The generators' own count of their CPU seconds over their measured
   * intervals (mcload), or null: their whole lives count (redis-benchmark).
   */
  readonly generatorCpuSeconds: number | null;
}

/** GENERATORS redis-benchmarks at once, `perGenerator` requests each. */
async function runRedis(
  load: RedisLoad,
  ports: readonly number[],
  mode: Mode,
  perGenerator: number,
): Promise<Served> {
  const runs = Array.from({ length: GENERATORS }, (_, g) => {
    const clients = clientsOf(load, g);
    const args = [
      "-h",
      "127.0.0.1",
      "-p",
      String(ports[g % ports.length]),
      "-c",
      String(clients),
      "-n",
      String(perGenerator),
      "-P",
      "1",
      "-r",
      String(KEYSPACE),
      "--csv",
      ...load.args,
    ];
    const argv = mode === "pinned" ? ["taskset", "-c", "0", "redis-benchmark", ...args] : [
      "redis-benchmark",
      ...args,
    ];
    return procs.run(`redis-benchmark ${load.id}`, argv[0]!, argv.slice(1), 120_000);
  });
  const outs = await Promise.all(runs);
  let rps = 0;
  let p99 = 0;
  for (const out of outs) {
    if (out.code !== 0) {
      throw new Error(`redis-benchmark: ${(out.stderr + out.stdout).slice(-300)}`);
    }
    const row = parseRedisCsv(out.stdout)[0];
    if (row === undefined) throw new Error(`redis-benchmark printed no row: ${out.stdout}`);
    rps += row.rps;
    p99 = Math.max(p99, row.p99Ms);
  }
  return { rps, requests: perGenerator * GENERATORS, p99Ms: p99, generatorCpuSeconds: null };
}

/** GENERATORS bench/mcload.ts processes (one thread each) at once, for `seconds`. */
async function runMemcached(
  load: MemcachedLoad,
  ports: readonly number[],
  mode: Mode,
  seconds: number,
): Promise<Served> {
  const outs = await Promise.all(Array.from({ length: GENERATORS }, (_, g) =>
    runMcloadProcess(
      procs,
      `mcload ${load.id}`,
      {
        port: ports[g % ports.length]!,
        seconds,
        clients: clientsOf(load, g),
        workers: 1,
        division: load.division,
        setShare: load.setShare,
        keys: MC_KEYSPACE,
        valueBytes: MC_VALUE_BYTES,
      },
      (seconds + 60) * 1000,
      mode === "pinned" ? ["taskset", "-c", "0"] : [],
    )));
  for (const { warnings } of outs) {
    for (const w of warnings) console.error(`mcload ${load.id}: ${w}`);
  }
  return {
    rps: outs.reduce((n, o) => n + o.summary.commandsPerSec, 0),
    requests: outs.reduce((n, o) => n + o.summary.commands, 0),
    p99Ms: Math.max(...outs.map((o) => o.summary.p99Ms)),
    generatorCpuSeconds: outs.some((o) => o.summary.cpuSeconds === null)
      ? null
      : outs.reduce((n, o) => n + o.summary.cpuSeconds!, 0),
  };
}

interface Cell {
  readonly rps: number;
  readonly cpuUsPerReq: number;
  readonly p99Ms: number;
  /** Medians of the runs' generator and backend CPU per request (us), cores in use. */
  readonly generatorUs: number;
  readonly backendsUs: number;
  readonly cores: number;
  /** The CPU ceiling (requests/s) at the medians' costs. */
  readonly ceiling: number;
  readonly runs: Sample[];
}

type Results = Record<Mode, Record<string, Partial<Record<TargetId, Cell>>>>;

async function measure(
  mode: Mode,
  backends: Backends,
  backendPids: readonly number[],
): Promise<Results[Mode]> {
  const running = new Map<TargetId, Running>();
  const out: Results[Mode] = {};
  /**
   * One run of `load` against `id`; on a failure (the target died, a
   * generator failed) logs it, starts the target again for the next runs
   * and returns null.
   */
  const attempt = async (load: LoadSpec, id: TargetId, size: number): Promise<Sample | null> => {
    try {
      return await runOnce(load, running.get(id)!, mode, size, backendPids);
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error
        ? `: ${err.cause.message}`
        : "";
      console.error(`FAILED ${err instanceof Error ? err.message : err}${cause}; restarting it`);
      failures.push(`${load.id} ${id}: ${err instanceof Error ? err.message : err}${cause}`);
      await running.get(id)!.stop();
      running.set(id, await startTarget(id, mode, backends));
      return null;
    }
  };
  try {
    for (const t of TARGETS) running.set(t.id, await startTarget(t.id, mode, backends));
    for (const load of LOADS) {
      const size = new Map<TargetId, number>();
      const samples = new Map<TargetId, Sample[]>();
      for (const t of TARGETS) {
        samples.set(t.id, []);
        if (load.kind === "memcached") {
          // Timed runs: the warm-up only warms.
          await attempt(load, t.id, 1);
          size.set(t.id, RUN_SECONDS);
          continue;
        }
        // Warm-up: sizes the measured runs to about RUN_SECONDS.
        const warm = await attempt(load, t.id, quick ? 5000 : 20_000);
        const n = Math.round(((warm?.rps ?? 20_000) * RUN_SECONDS) / GENERATORS);
        size.set(t.id, Math.max(5000, Math.min(1_000_000, n)));
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < TARGETS.length; i++) {
          const t = TARGETS[(i + round) % TARGETS.length]!;
          const s = await attempt(load, t.id, size.get(t.id)!);
          if (s === null) continue;
          samples.get(t.id)!.push(s);
          const b = s.budget;
          console.error(
            `${mode} ${load.title} ${t.title} round ${round + 1}: ${Math.round(s.rps)} req/s, ` +
              `${s.cpuUsPerReq.toFixed(1)} us/req` +
              (b === null
                ? ""
                : ` (generator ${b.generator.toFixed(1)}, backends ${b.backends.toFixed(1)}; ` +
                  `${b.cores.toFixed(2)} cores)`),
          );
        }
      }
      out[load.id] = {};
      for (const t of TARGETS) {
        const runs = samples.get(t.id)!;
        // No successful run: NaN, shown as "failed".
        const m = (f: (r: Sample) => number | undefined) => {
          const xs = runs.flatMap((r) => f(r) ?? []).filter(Number.isFinite);
          return xs.length === 0 ? NaN : median(xs);
        };
        const cell = {
          rps: m((r) => r.rps),
          cpuUsPerReq: m((r) => r.cpuUsPerReq),
          p99Ms: m((r) => r.p99Ms),
          generatorUs: m((r) => r.budget?.generator),
          backendsUs: m((r) => r.budget?.backends),
          cores: m((r) => r.budget?.cores),
        };
        out[load.id]![t.id] = {
          ...cell,
          ceiling: cpuCeiling({
            generator: cell.generatorUs,
            backends: cell.backendsUs,
            proxy: cell.cpuUsPerReq,
          }, layoutOf(mode)),
          runs,
        };
      }
    }
  } finally {
    for (const r of running.values()) await r.stop();
  }
  return out;
}

function table(mode: Mode, results: Results[Mode]): string {
  const lines = [
    `### ${mode}${mode === "pinned" ? " (generator and backends on CPU 0, proxy on CPU 1)" : ""}`,
    "",
    `| load | ${TARGETS.map((t) => t.title).join(" | ")} | auto/nc | auto/nc x${CPUS} | ` +
    `CPU us/req ${TARGETS.map((t) => t.id).join(" / ")} | CPU 2w/1w |`,
    `| --- | ${TARGETS.map(() => "--:").join(" | ")} | --: | --: | --: | --: |`,
  ];
  for (const load of LOADS) {
    const r = results[load.id]!;
    const c = (id: TargetId) => r[id]!;
    /** `x` as text, "failed" when a target had no successful run. */
    const f = (x: number, digits: number, suffix = "") =>
      Number.isFinite(x) ? `${x.toFixed(digits)}${suffix}` : "failed";
    lines.push(
      `| ${load.title} | ${
        TARGETS.map((t) =>
          Number.isFinite(c(t.id).rps) ? Math.round(c(t.id).rps).toLocaleString("en") : "failed"
        ).join(" | ")
      } | ` +
        `${f(c("nmauto").rps / c("nc").rps, 2, "x")} | ${
          f(c("nmauto").rps / c("ncN").rps, 2, "x")
        } | ` +
        `${TARGETS.map((t) => f(c(t.id).cpuUsPerReq, 1)).join(" / ")} | ` +
        `${f(c("nm2").cpuUsPerReq / c("nm1").cpuUsPerReq, 2, "x")} |`,
    );
  }
  return lines.join("\n");
}

/** `x` with `digits` decimals and a suffix, "failed" when it was not measured. */
function fixed(x: number, digits: number, suffix = ""): string {
  return Number.isFinite(x) ? `${x.toFixed(digits)}${suffix}` : "failed";
}

/** Requests per second as text (thousands separated); "failed" when not measured. */
function perSec(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "failed";
}

/**
 * The CPU budget of `mode`: per load and target the CPU per request of the
 * generator, the backends and the proxy, the cores in use and the ceiling;
 * then per load the ceiling with the proxy's CPU at 0 over one nutcracker's
 * measured throughput, beside the target.
 */
function budgetTables(mode: Mode, results: Results[Mode]): string {
  const layout = layoutOf(mode);
  const how = layout.kind === "shared"
    ? `${layout.cores} cores / (generator + backends + proxy)`
    : "the lower of 1 core / (generator + backends) and 1 core / proxy";
  const lines = [
    `### ${mode}: CPU budget (us of user+sys CPU per request; ceiling = ${how})`,
    "",
    "| load | target | req/s | generator | backends | proxy | cores in use | ceiling req/s | " +
    "req/s / ceiling |",
    "| --- | --- | --: | --: | --: | --: | --: | --: | --: |",
  ];
  const bound: string[] = [
    `### ${mode}: the most any proxy could serve here (proxy CPU 0), over one nutcracker`,
    "",
    "| load | nc x1 req/s | nc x1 ceiling | generator + backends us/req (lowest) | " +
    "ceiling, proxy CPU 0 | / nc x1 req/s | / nc x1 ceiling | target | " +
    "proxy us/req allowed for it (x nc's) | measured auto/nc |",
    "| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |",
  ];
  for (const load of LOADS) {
    const r = results[load.id]!;
    for (const t of TARGETS) {
      const c = r[t.id]!;
      lines.push(
        `| ${load.title} | ${t.title} | ${perSec(c.rps)} | ${fixed(c.generatorUs, 1)} | ` +
          `${fixed(c.backendsUs, 1)} | ${fixed(c.cpuUsPerReq, 1)} | ${fixed(c.cores, 2)} | ` +
          `${perSec(c.ceiling)} | ${fixed(c.rps / c.ceiling, 2)} |`,
      );
    }
    // The cheapest generator + backends any target's runs showed: the most favourable case.
    const costs = TARGETS.map((t) => r[t.id]!).filter((c) =>
      Number.isFinite(c.generatorUs + c.backendsUs)
    ).sort((a, b) => (a.generatorUs + a.backendsUs) - (b.generatorUs + b.backendsUs));
    const best = costs[0];
    const ceiling = best === undefined ? NaN : zeroProxyCeiling(
      { generator: best.generatorUs, backends: best.backendsUs, proxy: 0 },
      layout,
    );
    const nc = r.nc!;
    const loadUs = best === undefined ? NaN : best.generatorUs + best.backendsUs;
    // What the target asks of a proxy, against nutcracker's ceiling (not its measured
    // throughput, which other processes on the machine lower).
    const allowed = proxyAllowance(load.target * nc.ceiling, loadUs, layout);
    bound.push(
      `| ${load.title} | ${perSec(nc.rps)} | ${perSec(nc.ceiling)} | ${fixed(loadUs, 1)} | ` +
        `${perSec(ceiling)} | ${fixed(ceiling / nc.rps, 2, "x")} | ` +
        `${fixed(ceiling / nc.ceiling, 2, "x")} | ${load.target.toFixed(1)}x | ` +
        (allowed === null
          ? "none: out of reach |"
          : `${allowed.toFixed(1)} (${fixed(allowed / nc.cpuUsPerReq, 2, "x")}) |`) +
        ` ${fixed(r.nmauto!.rps / nc.rps, 2, "x")} |`,
    );
  }
  return [...lines, "", ...bound].join("\n");
}

await initClockTicks();
const startedAt = new Date().toISOString();
const loadBefore = loadAverage();
/** The highest 1-minute load average seen while the benchmark runs (sampled every 5 s). */
let loadPeak = Number(loadBefore.split(" ")[0]) || 0;
const loadSampler = setInterval(() => {
  loadPeak = Math.max(loadPeak, Number(loadAverage().split(" ")[0]) || 0);
}, 5000);
console.error(`load average before: ${loadBefore}; ${CPUS} CPUs; ${GENERATORS} generators`);
try {
  const redises = [await startRedis(procs), await startRedis(procs)];
  const memcacheds = [await startMemcached(procs), await startMemcached(procs)];
  for (const b of redises) await populateRedis(b.port);
  for (const b of memcacheds) await populateMemcached(b.port);
  const backends = [...redises, ...memcacheds];
  const ports: Backends = {
    redis: redises.map((b) => b.port),
    memcached: memcacheds.map((b) => b.port),
  };
  const results = {} as Results;
  for (const mode of ["shared", "pinned"] as const) {
    const pin = mode === "pinned" ? "0" : `0-${CPUS - 1}`;
    for (const b of backends) {
      await new Deno.Command("taskset", {
        args: ["-a", "-p", "-c", pin, String(b.proc.pid)],
        stdout: "null",
      }).output();
    }
    results[mode] = await measure(mode, ports, backends.map((b) => b.proc.pid));
  }
  const loadAfter = loadAverage();
  const report = [
    `load average before ${loadBefore}, after ${loadAfter}, 1-minute peak ${loadPeak}; ` +
    `${CPUS} CPUs; ` +
    `${GENERATORS} generator processes per run; ${ROUNDS} rounds (median)`,
    "",
    table("shared", results.shared),
    "",
    budgetTables("shared", results.shared),
    "",
    table("pinned", results.pinned),
    "",
    budgetTables("pinned", results.pinned),
    "",
    "CPU per request is user+sys from /proc over the requests served: the generators' (the " +
    "children this script waited for, or mcload's own count over its measured interval), the " +
    "backends' (all redis-servers and memcacheds) and the proxy's. Cores in use: their CPU " +
    "seconds / wall seconds. Other processes on the machine (other benchmarks) lower " +
    "throughput and cores in use but hardly CPU per request, so the ceilings hold for a quiet " +
    "machine; req/s / ceiling near 1 means the run was CPU-bound. 'proxy us/req allowed': the " +
    "most CPU per request a proxy may spend for the ceiling to reach the target times " +
    "nutcracker x1's ceiling, with the lowest generator + backends cost; in brackets, over " +
    "nutcracker's own CPU per request.",
    ...(failures.length === 0 ? [] : ["", "Failed runs:", ...failures.map((f) => `- ${f}`)]),
  ].join("\n");
  console.log(report);
  if (only !== null) {
    console.error("--only: bench/results/workers_latest.json left as it was");
  } else {await Deno.writeTextFile(
      new URL("results/workers_latest.json", import.meta.url),
      JSON.stringify(
        {
          startedAt,
          cpus: CPUS,
          generators: GENERATORS,
          rounds: ROUNDS,
          runSeconds: RUN_SECONDS,
          loadAverage: { before: loadBefore, after: loadAfter, peak1m: loadPeak },
          targets: TARGETS,
          loads: LOADS.map(({ id, title, clients, pool }) => ({ id, title, clients, pool })),
          results,
          failures,
        },
        null,
        2,
      ) + "\n",
    );}
} finally {
  clearInterval(loadSampler);
  await procs.stopAll();
  await Deno.remove(dir, { recursive: true });
}
