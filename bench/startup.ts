/**
 * Start-up with large pools, nutmeg against nutcracker (issue 13 item 7):
 * for pools of `--servers` (1, 10,000 and 200,000 by default) ketama
 * redis servers, the time from spawning the proxy until its pool's port
 * accepts a connection, its RSS then, its peak RSS (VmHWM), and the time and
 * peak of `-t` (check the file and exit). The servers need not exist: both
 * proxies connect lazily. The median of `--rounds` runs (3), the proxies
 * alternated.
 *
 * Run: `deno run -A bench/startup.ts [--servers 1,10000] [--rounds N]`.
 *
 * @module
 */
import { freePorts } from "../tests/_support/ports.ts";
import { nutmegRunArgs } from "./services.ts";
import { statusKb } from "./memory.ts";

function option(name: string, fallback: string): string {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 && Deno.args[at + 1] !== undefined ? Deno.args[at + 1]! : fallback;
}

const SIZES = option("servers", "1,10000,200000").split(",").map(Number);
const ROUNDS = Number(option("rounds", "3"));
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const PROXIES = ["nutmeg", "nutcracker"] as const;
type ProxyName = typeof PROXIES[number];

/** A pool of `count` servers on 10.0.0.0/8 addresses, listening on `port`. */
function poolYaml(count: number, port: number): string {
  const lines = [
    "big:",
    `  listen: 127.0.0.1:${port}`,
    "  hash: fnv1a_64",
    "  distribution: ketama",
    "  redis: true",
    "  servers:",
  ];
  for (let i = 0; i < count; i++) {
    lines.push(`    - 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:6379:1 s${i}`);
  }
  return lines.join("\n") + "\n";
}

function command(proxy: ProxyName, flags: string[]): [string, string[]] {
  return proxy === "nutcracker" ? ["nutcracker", flags] : [Deno.execPath(), nutmegRunArgs(flags)];
}

interface Run {
  readonly ms: number;
  readonly rssKb: number | null;
  readonly peakKb: number | null;
}

/** Starts `proxy` on `conf` and times it until `port` accepts; then stops it. */
async function listenRun(
  proxy: ProxyName,
  conf: string,
  port: number,
  stats: number,
): Promise<Run> {
  const [cmd, args] = command(proxy, [
    "-c",
    conf,
    "-s",
    String(stats),
    "-a",
    "127.0.0.1",
    "-v",
    "2",
  ]);
  const t0 = performance.now();
  const child = new Deno.Command(cmd, { args, cwd: ROOT, stdout: "null", stderr: "null" }).spawn();
  let exited = false;
  child.status.then(() => exited = true);
  try {
    while (true) {
      if (exited) throw new Error(`${proxy} exited before listening on ${port}`);
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    const ms = performance.now() - t0;
    return { ms, rssKb: statusKb(child.pid, "VmRSS"), peakKb: statusKb(child.pid, "VmHWM") };
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    await child.status;
  }
}

/** Times `proxy -t -c conf` and reads its peak RSS from /usr/bin/time. */
async function testRun(proxy: ProxyName, conf: string): Promise<Run> {
  const [cmd, args] = command(proxy, ["-t", "-c", conf]);
  const t0 = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", cmd, ...args],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
  const peak = Number(lines[lines.length - 1]);
  return { ms, rssKb: null, peakKb: Number.isFinite(peak) ? peak : null };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function mb(kb: number | null): string {
  return kb === null ? "   -" : `${(kb / 1024).toFixed(0).padStart(4)} MB`;
}

const hasTime = await Deno.stat("/usr/bin/time").then(() => true, () => false);
const dir = await Deno.makeTempDir({ prefix: "nutmeg-startup-" });
const results: Record<string, unknown>[] = [];
try {
  console.log(
    `start-up: spawn until the pool's port accepts (median of ${ROUNDS}); RSS then, peak RSS; ` +
      `-t: time and peak${hasTime ? "" : " (no /usr/bin/time: -t not measured)"}`,
  );
  for (const size of SIZES) {
    const listen: Record<ProxyName, Run[]> = { nutmeg: [], nutcracker: [] };
    const check: Record<ProxyName, Run[]> = { nutmeg: [], nutcracker: [] };
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? PROXIES : [...PROXIES].reverse();
      for (const proxy of order) {
        const [port, stats] = freePorts(2) as [number, number];
        const conf = `${dir}/pool_${size}_${proxy}.yml`;
        await Deno.writeTextFile(conf, poolYaml(size, port));
        listen[proxy].push(await listenRun(proxy, conf, port, stats));
        if (hasTime) check[proxy].push(await testRun(proxy, conf));
      }
    }
    for (const proxy of PROXIES) {
      const ms = median(listen[proxy].map((x) => x.ms));
      const rss = median(listen[proxy].map((x) => x.rssKb ?? 0));
      const peak = median(listen[proxy].map((x) => x.peakKb ?? 0));
      const tMs = hasTime ? median(check[proxy].map((x) => x.ms)) : null;
      const tPeak = hasTime ? median(check[proxy].map((x) => x.peakKb ?? 0)) : null;
      console.log(
        `${String(size).padStart(7)} servers  ${proxy.padEnd(10)} listens after ${
          ms.toFixed(0).padStart(6)
        } ms  rss ${mb(rss)}  peak ${mb(peak)}` +
          (tMs === null ? "" : `   -t ${tMs.toFixed(0).padStart(6)} ms  peak ${mb(tPeak)}`),
      );
      results.push({
        servers: size,
        proxy,
        listenMs: ms,
        rssKb: rss,
        peakKb: peak,
        tMs,
        tPeakKb: tPeak,
      });
    }
    const [a, b] = [results.at(-2)!, results.at(-1)!];
    console.log(
      `${String(size).padStart(7)} servers  nutmeg/nutcracker: listen ${
        ((a.listenMs as number) / (b.listenMs as number)).toFixed(2)
      }x, peak ${((a.peakKb as number) / (b.peakKb as number)).toFixed(2)}x`,
    );
  }
  const stamp = new Date().toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z");
  const out = `${ROOT}bench/results/startup_${stamp}.json`;
  const load = Deno.loadavg();
  await Deno.writeTextFile(
    out,
    JSON.stringify({ rounds: ROUNDS, loadavg: load, results }, null, 2) + "\n",
  );
  console.log(`results: ${out} (load average ${load.map((x) => x.toFixed(2)).join(" ")})`);
} finally {
  await Deno.remove(dir, { recursive: true });
}
