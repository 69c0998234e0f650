/**
 * `--workers` scaling, measured apart from the main benchmark
 * (`deno run -A bench/workers.ts [--quick]`): the loads of issue 15's
 * targets — GET c50 P1, MGET of 10 keys over 2 servers, GET c500 — against
 * nutmeg with 1, 2 and `auto` workers, one nutcracker, and N nutcrackers on
 * N ports (N = the CPUs, clients split across them, as nutcracker users run
 * it today). Every target gets the same load generator: G redis-benchmark
 * processes (G = max(2, N)) started together, the clients split over them
 * (and over the target's ports). Throughput is the sum of what they report;
 * CPU per request is the user+sys CPU of the target's processes (all
 * threads, /proc) over the requests served.
 *
 * Two modes: `shared` (nothing pinned: generator, backends and proxy share
 * every core) and `pinned` (`taskset`: generator and backends on CPU 0,
 * the proxy on CPU 1). In pinned mode `--workers auto` starts under the
 * proxy's affinity, so it means 1 worker there.
 *
 * Each (mode, load, target) gets a warm-up run that sizes the measured
 * runs (about RUN_SECONDS each), then ROUNDS measured runs with the order
 * of the targets rotated each round; the table shows medians. Results go to
 * bench/results/workers_latest.json with the load average before and after.
 *
 * @module
 */
import { freePorts } from "../tests/_support/ports.ts";
import { cpuSeconds, initClockTicks } from "./cpu.ts";
import { parseRedisCsv } from "./parse.ts";
import { ProcRegistry, waitForProc } from "./procs.ts";
import { nutmegRunArgs, startRedis } from "./services.ts";
import { populateRedis } from "./net.ts";
import { KEYSPACE } from "./settings.ts";

const quick = Deno.args.includes("--quick");
const ROUNDS = quick ? 1 : 3;
const RUN_SECONDS = quick ? 1 : 2.5;
const CPUS = navigator.hardwareConcurrency || 1;
const GENERATORS = Math.max(2, CPUS);
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

type Mode = "shared" | "pinned";
type TargetId = "nm1" | "nm2" | "nmauto" | "nc" | "ncN";
type PoolName = "one" | "two";

interface LoadSpec {
  readonly id: string;
  readonly title: string;
  readonly pool: PoolName;
  readonly clients: number;
  /** redis-benchmark arguments besides -h/-p/-c/-n/--csv. */
  readonly args: readonly string[];
}

const keys10 = Array.from({ length: 10 }, () => "key:__rand_int__");
const LOADS: readonly LoadSpec[] = [
  { id: "get_c50", title: "GET c50 P1", pool: "one", clients: 50, args: ["-t", "get"] },
  {
    id: "mget10_s2",
    title: "MGET 10 keys c50, 2 servers",
    pool: "two",
    clients: 50,
    args: ["MGET", ...keys10],
  },
  { id: "get_c500", title: "GET c500 P1", pool: "one", clients: 500, args: ["-t", "get"] },
];

const TARGETS: readonly { id: TargetId; title: string }[] = [
  { id: "nm1", title: "nutmeg 1 worker" },
  { id: "nm2", title: "nutmeg 2 workers" },
  { id: "nmauto", title: "nutmeg auto" },
  { id: "nc", title: "nutcracker x1" },
  { id: "ncN", title: `nutcracker x${CPUS}` },
];

/** A started target: its processes and, per pool, the ports clients are split over. */
interface Running {
  readonly pids: number[];
  readonly ports: Record<PoolName, number[]>;
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

function yaml(ports: Record<PoolName, number>, backends: readonly number[]): string {
  const pool = (name: PoolName, servers: readonly number[]) =>
    `${name}:\n  listen: 127.0.0.1:${ports[name]}\n  redis: true\n  hash: fnv1a_64\n` +
    `  distribution: ketama\n  preconnect: true\n  server_connections: 1\n` +
    `  auto_eject_hosts: false\n  servers:\n${
      servers.map((p) => `    - 127.0.0.1:${p}:1\n`).join("")
    }`;
  return pool("one", backends.slice(0, 1)) + pool("two", backends.slice(0, 2));
}

const procs = new ProcRegistry();
const dir = await Deno.makeTempDir({ prefix: "nutmeg-bench-workers-" });

/** Starts one proxy process for `target` (pinned to CPU 1 in pinned mode). */
async function startOne(
  name: string,
  proxy: "nutmeg" | "nutcracker",
  workers: string,
  mode: Mode,
  backends: readonly number[],
): Promise<{ pid: number; ports: Record<PoolName, number>; stop: () => Promise<void> }> {
  const [one, two, stats] = freePorts(3) as [number, number, number];
  const ports = { one, two };
  const conf = `${dir}/${name}.yml`;
  await Deno.writeTextFile(conf, yaml(ports, backends));
  const flags = ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-v", "2"];
  const base = proxy === "nutcracker"
    ? ["nutcracker", ...flags]
    : [Deno.execPath(), ...nutmegRunArgs([...flags, "--workers", workers])];
  const argv = mode === "pinned" ? ["taskset", "-c", "1", ...base] : base;
  const proc = procs.start(name, argv[0]!, argv.slice(1), { cwd: ROOT, keepChars: 16 * 1024 });
  await waitForProc(one, 30_000, proc);
  await waitForProc(two, 30_000, proc);
  return { pid: proc.pid, ports, stop: () => proc.stop() };
}

async function startTarget(
  id: TargetId,
  mode: Mode,
  backends: readonly number[],
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
    pids: parts.map((p) => p.pid),
    ports: { one: parts.map((p) => p.ports.one), two: parts.map((p) => p.ports.two) },
    stop: async () => {
      await Promise.all(parts.map((p) => p.stop()));
    },
  };
}

interface Sample {
  readonly rps: number;
  readonly cpuUsPerReq: number;
  readonly p99Ms: number;
}

/** One run: GENERATORS redis-benchmarks at once, `perGenerator` requests each. */
async function runOnce(
  load: LoadSpec,
  target: Running,
  mode: Mode,
  perGenerator: number,
): Promise<Sample> {
  const ports = target.ports[load.pool];
  const cpu = () => target.pids.reduce((t, pid) => t + (cpuSeconds(pid) ?? 0), 0);
  const before = cpu();
  const runs = Array.from({ length: GENERATORS }, (_, g) => {
    const clients = Math.floor(load.clients / GENERATORS) + (g < load.clients % GENERATORS ? 1 : 0);
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
  const after = cpu();
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
  const requests = perGenerator * GENERATORS;
  return { rps, cpuUsPerReq: ((after - before) / requests) * 1e6, p99Ms: p99 };
}

interface Cell {
  readonly rps: number;
  readonly cpuUsPerReq: number;
  readonly p99Ms: number;
  readonly runs: Sample[];
}

type Results = Record<Mode, Record<string, Partial<Record<TargetId, Cell>>>>;

async function measure(mode: Mode, backends: readonly number[]): Promise<Results[Mode]> {
  const running = new Map<TargetId, Running>();
  const out: Results[Mode] = {};
  try {
    for (const t of TARGETS) running.set(t.id, await startTarget(t.id, mode, backends));
    for (const load of LOADS) {
      const size = new Map<TargetId, number>();
      const samples = new Map<TargetId, Sample[]>();
      for (const t of TARGETS) {
        // Warm-up: sizes the measured runs to about RUN_SECONDS.
        const warm = await runOnce(load, running.get(t.id)!, mode, quick ? 5000 : 20_000);
        const n = Math.round((warm.rps * RUN_SECONDS) / GENERATORS);
        size.set(t.id, Math.max(5000, Math.min(1_000_000, n)));
        samples.set(t.id, []);
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < TARGETS.length; i++) {
          const t = TARGETS[(i + round) % TARGETS.length]!;
          const s = await runOnce(load, running.get(t.id)!, mode, size.get(t.id)!);
          samples.get(t.id)!.push(s);
          console.error(
            `${mode} ${load.title} ${t.title} round ${round + 1}: ${Math.round(s.rps)} req/s, ` +
              `${s.cpuUsPerReq.toFixed(1)} us/req`,
          );
        }
      }
      out[load.id] = {};
      for (const t of TARGETS) {
        const runs = samples.get(t.id)!;
        out[load.id]![t.id] = {
          rps: median(runs.map((r) => r.rps)),
          cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
          p99Ms: median(runs.map((r) => r.p99Ms)),
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
    lines.push(
      `| ${load.title} | ${
        TARGETS.map((t) => Math.round(c(t.id).rps).toLocaleString("en")).join(" | ")
      } | ` +
        `${(c("nmauto").rps / c("nc").rps).toFixed(2)}x | ${
          (c("nmauto").rps / c("ncN").rps).toFixed(2)
        }x | ` +
        `${TARGETS.map((t) => c(t.id).cpuUsPerReq.toFixed(1)).join(" / ")} | ` +
        `${(c("nm2").cpuUsPerReq / c("nm1").cpuUsPerReq).toFixed(2)}x |`,
    );
  }
  return lines.join("\n");
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
  const backends = [await startRedis(procs), await startRedis(procs)];
  for (const b of backends) await populateRedis(b.port);
  const ports = backends.map((b) => b.port);
  const results = {} as Results;
  for (const mode of ["shared", "pinned"] as const) {
    const pin = mode === "pinned" ? "0" : `0-${CPUS - 1}`;
    for (const b of backends) {
      await new Deno.Command("taskset", {
        args: ["-a", "-p", "-c", pin, String(b.proc.pid)],
        stdout: "null",
      }).output();
    }
    results[mode] = await measure(mode, ports);
  }
  const loadAfter = loadAverage();
  const report = [
    `load average before ${loadBefore}, after ${loadAfter}, 1-minute peak ${loadPeak}; ` +
    `${CPUS} CPUs; ` +
    `${GENERATORS} redis-benchmark processes per run; ${ROUNDS} rounds (median)`,
    "",
    table("shared", results.shared),
    "",
    table("pinned", results.pinned),
  ].join("\n");
  console.log(report);
  await Deno.writeTextFile(
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
      },
      null,
      2,
    ) + "\n",
  );
} finally {
  clearInterval(loadSampler);
  await procs.stopAll();
  await Deno.remove(dir, { recursive: true });
}
