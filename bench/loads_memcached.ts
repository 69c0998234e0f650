/**
 * The memcached loads, run for a fixed time by one of two generators:
 *
 * - bench/mcload.ts (default): closed-loop clients in 2 worker threads of
 *   a separate Deno process, over the pre-populated keys `mc:...`;
 * - memcaslap (`--memcaslap`): the C tool from libmemcached-tools. Its keys
 *   start with 8 binary bytes (a counter OR-ed with 0x1010101010101010),
 *   which memcached, nutcracker and nutmeg all accept; its latencies come
 *   from a log2 histogram and it does not check values.
 *
 * A run whose error replies exceed 1% of its commands is a failed run.
 *
 * @module
 */
import type { Load, LoadContext, RunOutput, Sample } from "./load_types.ts";
import { mcloadArgs, type McloadOptions, type McloadSummary } from "./mcload.ts";
import type { ProcRegistry } from "./procs.ts";
import { parseMemcaslap } from "./parse.ts";
import type { Target } from "./services.ts";
import {
  CLIENTS,
  MC_KEY_BYTES,
  MC_KEYSPACE,
  MC_LOAD_THREADS,
  MC_VALUE_BYTES,
  type PoolSize,
  type Settings,
} from "./settings.ts";

/** Shape of a memcached load. */
export interface MemcachedSpec {
  /** Row (and load) id. */
  readonly id: string;
  /** Row title. */
  readonly title: string;
  /** Keys per get command. */
  readonly division: number;
  /** Share of set commands among all commands. */
  readonly setShare: number;
  /** Servers in the pool it runs on. */
  readonly servers: PoolSize;
  /** Targets it runs against. */
  readonly targets: readonly Target[];
}

/** Error replies above this share of the commands make the run a failure. */
const MAX_ERROR_SHARE = 0.01;

const MCLOAD = decodeURIComponent(new URL("./mcload.ts", import.meta.url).pathname);

/** Throws when too many replies were errors; else returns warnings for the few there were. */
function checkErrors(errors: number, commands: number, example: string | null): string[] {
  if (errors === 0) return [];
  const text = `${errors} of ${commands} replies were errors` +
    (example ? `, e.g. ${JSON.stringify(example.slice(0, 120))}` : "");
  if (errors > commands * MAX_ERROR_SHARE) throw new Error(text);
  return [text];
}

/**
 * memcaslap's configuration file: fixed key and value sizes and the command
 * mix. memcaslap weighs the mix by keys (a 10-key multi-get counts 10), so
 * the set proportion is converted to make `setShare` of the commands sets.
 */
export function memcaslapConfig(division: number, setShare: number): string {
  const setKeys = setShare / (setShare + (1 - setShare) * division);
  const r = (x: number) => x.toFixed(4);
  return [
    "key",
    `${MC_KEY_BYTES} ${MC_KEY_BYTES} 1`,
    "value",
    `${MC_VALUE_BYTES} ${MC_VALUE_BYTES} 1`,
    "cmd",
    `0 ${r(setKeys)}`,
    `1 ${r(1 - setKeys)}`,
    "",
  ].join("\n");
}

/** Reads mcload's JSON line; throws on anything else. */
export function parseMcload(stdout: string): McloadSummary {
  const line = stdout.trim().split("\n").pop() ?? "";
  const value: unknown = JSON.parse(line);
  if (typeof value !== "object" || value === null) throw new Error(`bad mcload output: ${line}`);
  const o = value as Record<string, unknown>;
  const nums = ["commands", "seconds", "commandsPerSec", "p50Ms", "p99Ms", "keysRequested"];
  for (const k of [...nums, "keysFound", "errors"]) {
    if (typeof o[k] !== "number") throw new Error(`mcload output lacks ${k}: ${line}`);
  }
  // Older output has no cpuSeconds: not measured.
  const cpuSeconds = typeof o.cpuSeconds === "number" ? o.cpuSeconds : null;
  return { ...(value as McloadSummary), cpuSeconds };
}

/**
 * Runs bench/mcload.ts as its own process with `o`, under `wrap` (e.g.
 * `taskset -c 0`), and checks what it printed: throws when it timed out
 * after `timeoutMs`, failed, completed no command or got error replies over
 * 1% of its commands; otherwise its summary and warnings for the rest
 * (a few errors, pre-populated keys missing, a client that stopped early).
 */
export async function runMcloadProcess(
  procs: ProcRegistry,
  name: string,
  o: McloadOptions,
  timeoutMs: number,
  wrap: readonly string[] = [],
): Promise<{ summary: McloadSummary; warnings: string[] }> {
  const argv = [...wrap, Deno.execPath(), "run", "-A", MCLOAD, ...mcloadArgs(o)];
  const out = await procs.run(name, argv[0]!, argv.slice(1), timeoutMs);
  if (out.timedOut) throw new Error(`timed out after ${timeoutMs / 1000} s`);
  if (out.code !== 0) throw new Error(`mcload exit ${out.code}: ${out.stderr.slice(-300)}`);
  const m = parseMcload(out.stdout);
  if (m.commands === 0) throw new Error(`no command completed: ${m.failure ?? "?"}`);
  const warnings = checkErrors(m.errors, m.commands, m.firstError);
  const missing = m.keysRequested - m.keysFound;
  if (missing > 0) warnings.push(`${missing} of ${m.keysRequested} pre-populated keys missing`);
  if (m.failure) warnings.push(`a client stopped early: ${m.failure}`);
  return { summary: m, warnings };
}

async function runMcload(
  ctx: LoadContext,
  spec: MemcachedSpec,
  port: number,
  seconds: number,
): Promise<RunOutput> {
  const { summary: m, warnings } = await runMcloadProcess(
    ctx.procs,
    `mcload ${spec.id}`,
    {
      port,
      seconds,
      clients: CLIENTS,
      workers: MC_LOAD_THREADS,
      division: spec.division,
      setShare: spec.setShare,
      keys: MC_KEYSPACE,
      valueBytes: MC_VALUE_BYTES,
    },
    (seconds + ctx.settings.runTimeoutSeconds) * 1000,
  );
  const sample: Sample = {
    throughput: m.commandsPerSec,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    size: seconds,
    requests: m.commands,
    cpuUsPerReq: null,
  };
  return { samples: new Map([[spec.id, sample]]), warnings, generatorCpuSeconds: m.cpuSeconds };
}

async function runMemcaslap(
  ctx: LoadContext,
  spec: MemcachedSpec,
  port: number,
  seconds: number,
): Promise<RunOutput> {
  const cfg = `${ctx.tmpDir}/${spec.id}.memcaslap.cfg`;
  await Deno.writeTextFile(cfg, memcaslapConfig(spec.division, spec.setShare));
  const out = await ctx.procs.run(
    `memcaslap ${spec.id}`,
    "memcaslap",
    [
      `--servers=127.0.0.1:${port}`,
      `--time=${seconds}s`,
      `--stat_freq=${seconds}s`,
      `--concurrency=${CLIENTS}`,
      `--threads=${MC_LOAD_THREADS}`,
      "--win_size=1k",
      `--division=${spec.division}`,
      `--cfg_cmd=${cfg}`,
    ],
    (seconds + ctx.settings.runTimeoutSeconds) * 1000,
    { keepChars: 64 << 20 },
  );
  if (out.timedOut) {
    throw new Error(`timed out after ${seconds + ctx.settings.runTimeoutSeconds} s`);
  }
  if (out.code !== 0) throw new Error(`exit ${out.code}: ${(out.stderr + out.stdout).slice(-300)}`);
  const text = out.stdout + out.stderr;
  const m = parseMemcaslap(text);
  if (m.commands === 0) throw new Error("memcaslap completed no command");
  const example = /^<\d+ ((?:SERVER_|CLIENT_)?ERROR.*)$/m.exec(text)?.[1] ?? null;
  const warnings = checkErrors(m.errorReplies, m.commands, example);
  // memcaslap only gets keys it has set, so a miss means a lost or misrouted value.
  if (m.getMisses > 0) warnings.push(`${m.getMisses} get misses`);
  const sample: Sample = {
    throughput: m.commandsPerSec,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    size: seconds,
    requests: m.commands,
    cpuUsPerReq: null,
  };
  return { samples: new Map([[spec.id, sample]]), warnings };
}

/** A memcached load driven by `tool`. */
export function memcachedLoad(tool: Settings["memcachedTool"], spec: MemcachedSpec): Load {
  return {
    id: spec.id,
    protocol: "memcached",
    tool,
    sizeUnit: "seconds",
    rows: [{ id: spec.id, title: spec.title }],
    servers: spec.servers,
    targets: spec.targets,
    warmupSize: (s) => s.memcachedWarmupSeconds,
    measuredSize: (s) => s.memcachedSeconds,
    run: (ctx, port, seconds) =>
      tool === "mcload"
        ? runMcload(ctx, spec, port, seconds)
        : runMemcaslap(ctx, spec, port, seconds),
  };
}
