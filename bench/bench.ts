/**
 * `deno task bench [--quick]`: nutmeg vs nutcracker vs direct access.
 *
 * Starts 4 redis-servers and 4 memcacheds on free 127.0.0.1 ports (every
 * key on every one), starts nutcracker and nutmeg with the same generated
 * pools of 1, 2 and 4 servers, and the Deno floor; runs the loads of
 * bench/loads.ts against them (rounds with rotated order, medians, CPU per
 * request from /proc), measures the proxies' resident memory at rest, under
 * load and with many idle connections, prints a table, and writes bench/results/<time>.json,
 * latest.json and latest.svg. Every process it starts is stopped at the
 * end, on error and on Ctrl-C.
 *
 * @module
 */
import { initClockTicks } from "./cpu.ts";
import { loadsFor } from "./loads.ts";
import { type IdleResult, idleTest, rssKb, RssSampler, statusKb } from "./memory.ts";
import { checkMemcached, checkRedis, populateMemcached, populateRedis } from "./net.ts";
import { fileLimit, ProcRegistry, sleep } from "./procs.ts";
import {
  type BenchReport,
  bigMgetSummary,
  formatReport,
  memoryRatios,
  type ProxyMemory,
  rowReport,
  writeJson,
} from "./report.ts";
import { Runner } from "./runner.ts";
import {
  type BackendPorts,
  directEndpoints,
  type Endpoints,
  PROXIES,
  type ProxyHandle,
  type ProxyName,
  startFloor,
  startMemcached,
  startProxy,
  startRedis,
  type Target,
  TARGETS,
  versionOf,
} from "./services.ts";
import { BACKENDS, parseArgs, POOL_SIZES, type Settings, USAGE } from "./settings.ts";
import { ratioChart } from "./svg.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const RESULTS_DIR = `${ROOT}/bench/results`;
const RAISED_ENV = "NUTMEG_BENCH_FD_RAISED";
/** File descriptors kept free besides the idle connections (backends, listeners, runtime). */
const FD_MARGIN = 512;

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}

/**
 * When the open-file limit is too low for the idle-connections test, runs
 * this script again under `sh -c 'ulimit -n N; exec deno ...'` and returns
 * its exit code; null when no re-run is needed (or it was already tried).
 */
async function rerunWithMoreFiles(settings: Settings): Promise<number | null> {
  const limit = fileLimit();
  const need = settings.idleConnections + FD_MARGIN;
  if (!limit || limit.soft >= need || Deno.env.get(RAISED_ENV)) return null;
  const raise = `ulimit -n ${need} 2>/dev/null || ulimit -n ${limit.hard} 2>/dev/null; exec "$@"`;
  const child = new Deno.Command("sh", {
    args: ["-c", raise, "sh", Deno.execPath(), "run", "-A", import.meta.filename!, ...Deno.args],
    env: { [RAISED_ENV]: "1" },
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // Ctrl-C reaches the child too; it stops its processes, then we exit with it.
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  const { code } = await child.status;
  Deno.removeSignalListener("SIGINT", ignore);
  return code;
}

/** Idle connections that fit under the current open-file limit. */
function idleCount(settings: Settings, errors: string[]): number {
  const soft = fileLimit()?.soft ?? Number.MAX_SAFE_INTEGER;
  const n = Math.max(0, Math.min(settings.idleConnections, soft - FD_MARGIN));
  if (n < settings.idleConnections) {
    errors.push(
      `open-file limit ${soft} allows only ${n} of ${settings.idleConnections} idle connections ` +
        `(raise it, e.g. ulimit -n ${settings.idleConnections + FD_MARGIN})`,
    );
  }
  return n;
}

async function hostInfo(): Promise<Record<string, string | number>> {
  const first = (s: string, re: RegExp) => re.exec(s)?.[1] ?? s;
  const [redis, memcached, nutcracker, nutmeg, commit] = await Promise.all([
    versionOf("redis-server", ["--version"]),
    versionOf("memcached", ["-V"]),
    versionOf("nutcracker", ["-V"]),
    versionOf(Deno.execPath(), ["run", "-A", `${ROOT}/main.ts`, "-V"]),
    versionOf("git", ["-C", ROOT, "describe", "--always", "--dirty"]),
  ]);
  return {
    cpus: navigator.hardwareConcurrency,
    os: `${Deno.build.os} ${Deno.osRelease()} ${Deno.build.arch}`,
    deno: Deno.version.deno,
    redis: first(redis, /v=(\S+)/),
    memcached: first(memcached, /memcached (\S+)/),
    nutcracker: first(nutcracker, /nutcracker-(\S+)/),
    nutmeg: first(nutmeg, /nutmeg-(\S+)/),
    commit,
  };
}

/** Starts both proxies; a proxy that does not start is noted and left out. */
async function startProxies(
  procs: ProcRegistry,
  dir: string,
  backends: BackendPorts,
  errors: string[],
): Promise<Map<Target, ProxyHandle>> {
  const proxies = new Map<Target, ProxyHandle>();
  for (const name of PROXIES) {
    try {
      proxies.set(name, await startProxy(procs, name, dir, backends, ROOT));
    } catch (err) {
      errors.push(`${name} did not start: ${message(err)}`);
    }
  }
  return proxies;
}

/** Targets whose redis and memcached pools all answer; the others are noted and left out. */
async function checkedEndpoints(
  backends: BackendPorts,
  proxies: ReadonlyMap<Target, ProxyHandle>,
  floorPort: number | null,
  errors: string[],
): Promise<Map<Target, Endpoints>> {
  const out = new Map<Target, Endpoints>();
  for (const target of TARGETS) {
    if (target === "floor") {
      if (floorPort !== null) out.set(target, { redis: { 1: floorPort }, memcached: {} });
      continue;
    }
    const ep = target === "direct" ? directEndpoints(backends) : proxies.get(target)?.endpoints;
    if (!ep) continue;
    try {
      for (const n of POOL_SIZES) {
        const redis = ep.redis[n];
        const memcached = ep.memcached[n];
        if (redis !== undefined) await checkRedis(redis);
        if (memcached !== undefined) await checkMemcached(memcached);
      }
      out.set(target, ep);
    } catch (err) {
      errors.push(`${target} failed the pre-check (GET / set+get): ${message(err)}`);
    }
  }
  return out;
}

/** Idle-connections test of every proxy still serving. */
/**
 * Idle-connections test of each proxy that served the loads, on a fresh
 * process of it (same pools): what a proxy that just started needs for
 * that many clients, not what the loads left in its heap.
 */
async function idleTests(
  settings: Settings,
  procs: ProcRegistry,
  tmpDir: string,
  backends: BackendPorts,
  endpoints: ReadonlyMap<Target, Endpoints>,
  errors: string[],
): Promise<Map<ProxyName, IdleResult>> {
  const count = idleCount(settings, errors);
  const out = new Map<ProxyName, IdleResult>();
  for (const name of PROXIES) {
    if (!endpoints.has(name) || count === 0) continue;
    let fresh: ProxyHandle | null = null;
    try {
      fresh = await startProxy(procs, name, tmpDir, backends, ROOT);
      const port = fresh.endpoints.redis[1]!;
      await checkRedis(port);
      console.error(`idle test: ${count} connections to a fresh ${name} ...`);
      const r = await idleTest(port, fresh.proc.pid, count, settings.idleBatch);
      if (r.error) errors.push(`idle test on ${name}: ${r.error}`);
      out.set(name, r);
    } catch (err) {
      errors.push(`idle test on ${name} failed: ${message(err)}`);
    } finally {
      await fresh?.proc.stop();
    }
  }
  return out;
}

/** Everything between starting the backends and the finished report. */
async function runBench(
  settings: Settings,
  procs: ProcRegistry,
  tmpDir: string,
): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const errors: string[] = [];
  const host = await hostInfo();
  await initClockTicks();
  const count = Array.from({ length: BACKENDS });
  const redis = await Promise.all(count.map(() => startRedis(procs)));
  const memcached = await Promise.all(count.map(() => startMemcached(procs)));
  const backends = { redis: redis.map((r) => r.port), memcached: memcached.map((m) => m.port) };
  // Every key on every backend: any pool serves every key, and direct is the same data.
  await Promise.all([
    ...backends.redis.map((p) => populateRedis(p)),
    ...backends.memcached.map((p) => populateMemcached(p)),
  ]);
  const proxies = await startProxies(procs, tmpDir, backends, errors);
  let floor: Awaited<ReturnType<typeof startFloor>> | null = null;
  try {
    floor = await startFloor(procs);
  } catch (err) {
    errors.push(`the Deno floor (bench/floor.ts) did not start: ${message(err)}`);
  }
  const endpoints = await checkedEndpoints(backends, proxies, floor?.port ?? null, errors);

  await sleep(1000);
  const pids = new Map(PROXIES.flatMap((p) => {
    const pid = proxies.get(p)?.proc.pid;
    return pid === undefined ? [] : [[p, pid] as const];
  }));
  const rest = new Map([...pids].map(([p, pid]) => [p, rssKb(pid)]));
  const sampler = new RssSampler([...pids.values()], settings.rssSampleMs);
  // Whose CPU each target's runs are charged: the proxy, the first backend, the floor.
  const pidOf = (target: Target, protocol: "redis" | "memcached"): number | undefined => {
    if (target === "direct") return (protocol === "redis" ? redis : memcached)[0]!.proc.pid;
    if (target === "floor") return floor?.proc.pid;
    return pids.get(target);
  };

  const loads = loadsFor(settings).filter((load) =>
    settings.only === undefined || settings.only.some((part) => load.id.includes(part))
  );
  if (loads.length === 0) throw new Error(`--only ${settings.only?.join(",")}: no load id matches`);
  const runner = new Runner(
    { procs, settings, tmpDir },
    endpoints,
    proxies,
    pidOf,
    [...redis, ...memcached].map((b) => b.proc.pid),
    errors,
    t0,
  );
  try {
    await runner.warmUp(loads);
    await runner.rounds(loads);
  } finally {
    sampler.stop();
  }
  const hwm = new Map([...pids].map(([p, pid]) => [p, statusKb(pid, "VmHWM")]));
  for (const p of PROXIES) await proxies.get(p)?.proc.stop();
  const idle = settings.only === undefined
    ? await idleTests(settings, procs, tmpDir, backends, endpoints, errors)
    : new Map();
  const memoryOf = (p: ProxyName): ProxyMemory => {
    const pid = pids.get(p) ?? null;
    return {
      pid,
      restKb: rest.get(p) ?? null,
      peakKb: pid === null ? null : sampler.peak(pid),
      hwmKb: hwm.get(p) ?? null,
      idle: idle.get(p) ?? null,
    };
  };
  const memory = { nutmeg: memoryOf("nutmeg"), nutcracker: memoryOf("nutcracker") };
  const rows = loads.flatMap((load) =>
    load.rows.map((row) => rowReport(load, row.id, row.title, runner.table, Number(host.cpus)))
  );
  return {
    schema: "nutmeg-bench/2",
    mode: settings.mode,
    startedAt,
    durationSeconds: Math.round((performance.now() - t0) / 100) / 10,
    host,
    settings,
    targets: TARGETS,
    rows,
    bigMget: bigMgetSummary(
      rows.find((r) => r.id === "redis_mget10k_c1"),
      rows.find((r) => r.id === "redis_mget10k_c1_s2"),
    ),
    memory: { ...memory, ratios: memoryRatios(memory) },
    errors,
  };
}

/** Runs `deno fmt` on written files so that `deno task check` passes once they are committed. */
async function formatFiles(paths: readonly string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", ...paths],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) console.error(`deno fmt failed: ${new TextDecoder().decode(out.stderr)}`);
}

async function main(): Promise<number> {
  let settings: Settings;
  try {
    const parsed = parseArgs(Deno.args);
    if (parsed === "help") {
      console.log(USAGE);
      return 0;
    }
    settings = parsed;
  } catch (err) {
    console.error(message(err));
    return 2;
  }
  const rerun = await rerunWithMoreFiles(settings);
  if (rerun !== null) return rerun;

  const procs = new ProcRegistry();
  const tmpDir = await Deno.makeTempDir({ prefix: "nutmeg-bench-" });
  let cleaned: Promise<void> | null = null;
  const cleanup = () =>
    cleaned ??= procs.stopAll().then(() =>
      Deno.remove(tmpDir, { recursive: true }).catch(() => {})
    );
  const onSignal = () => {
    console.error("\ninterrupted: stopping every process the benchmark started ...");
    cleanup().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    const report = await runBench(settings, procs, tmpDir);
    console.log(formatReport(report));
    if (settings.only !== undefined) {
      // A partial run is for profiling one load: it does not replace the results.
      const partial = await Deno.makeTempFile({ prefix: "nutmeg-bench-", suffix: ".json" });
      await Deno.writeTextFile(partial, JSON.stringify(report, null, 2) + "\n");
      console.log(`\nwrote ${partial} (a partial run: bench/results left as it was)`);
      return 0;
    }
    const path = await writeJson(report, RESULTS_DIR);
    const svg = `${RESULTS_DIR}/latest.svg`;
    await Deno.writeTextFile(svg, ratioChart(report));
    await formatFiles([path, `${RESULTS_DIR}/latest.json`, svg]);
    console.log(`\nwrote ${path}, ${RESULTS_DIR}/latest.json and latest.svg`);
    return 0;
  } catch (err) {
    console.error(`benchmark failed: ${err instanceof Error ? err.stack ?? err.message : err}`);
    return 1;
  } finally {
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}

if (import.meta.main) Deno.exit(await main());
