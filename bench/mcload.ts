/**
 * A small memcached (ASCII) load generator, used by default instead of
 * memcaslap because it records every latency (exact percentiles) and checks
 * every reply (memcaslap interpolates in a log2 histogram and does not
 * check values). Runs as its own process, like a C tool would:
 *
 * ```sh
 * deno run -A bench/mcload.ts --port 11211 --seconds 4 --clients 50 --workers 2 \
 *   --division 10 --set-share 0.1 --keys 100000 --value-bytes 32
 * ```
 *
 * Closed loop: each client sends one command and waits for the whole reply.
 * Keys `mc:000000000000` .. are picked uniformly; gets ask for `division`
 * keys at once. Prints one JSON line (see {@link McloadSummary}).
 *
 * @module
 */
import type { WorkerJob, WorkerResult } from "./mcload_worker.ts";

/** The JSON line mcload prints. */
export interface McloadSummary {
  /** Commands answered (a multi-get counts once). */
  readonly commands: number;
  /** Measured seconds (the longest worker's, from its clients' start to their end). */
  readonly seconds: number;
  /** Commands per second. */
  readonly commandsPerSec: number;
  /** Median latency (ms). */
  readonly p50Ms: number;
  /** 99th percentile latency (ms). */
  readonly p99Ms: number;
  /** Keys asked for by gets. */
  readonly keysRequested: number;
  /** Keys returned with a value. */
  readonly keysFound: number;
  /** Error replies. */
  readonly errors: number;
  /** First error reply. */
  readonly firstError: string | null;
  /** Why a client stopped early. */
  readonly failure: string | null;
  /**
   * CPU seconds (user+sys) of the process, every thread, from the start of
   * the first worker's clients to the end of the last one's: the load
   * without the runtime's start-up (null: not measured).
   */
  readonly cpuSeconds: number | null;
}

/** Options of a run. */
export interface McloadOptions extends Omit<WorkerJob, "clients" | "durationMs"> {
  /** Total connections. */
  readonly clients: number;
  /** Run length (s). */
  readonly seconds: number;
  /** Worker threads sharing the connections. */
  readonly workers: number;
}

/** Value at fraction `q` of sorted latencies (nearest rank), in ms. */
export function percentileMs(sortedUs: Uint32Array, q: number): number {
  if (sortedUs.length === 0) return NaN;
  const i = Math.min(sortedUs.length - 1, Math.max(0, Math.ceil(q * sortedUs.length) - 1));
  return sortedUs[i]! / 1000;
}

/** Parses `--name value` flags into options. */
export function parseMcloadArgs(args: readonly string[]): McloadOptions {
  const flags = new Map<string, number>();
  for (let i = 0; i < args.length; i += 2) {
    const name = args[i]!;
    const value = Number(args[i + 1]);
    if (!name.startsWith("--") || !Number.isFinite(value)) {
      throw new Error(`bad argument ${name} ${args[i + 1] ?? ""}`);
    }
    flags.set(name.slice(2), value);
  }
  const get = (name: string, fallback?: number): number => {
    const v = flags.get(name) ?? fallback;
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  return {
    port: get("port"),
    seconds: get("seconds"),
    clients: get("clients", 50),
    workers: get("workers", 2),
    division: get("division", 1),
    setShare: get("set-share", 0.1),
    keys: get("keys", 100_000),
    valueBytes: get("value-bytes", 32),
  };
}

/** The command-line flags that {@link parseMcloadArgs} reads back as `o`. */
export function mcloadArgs(o: McloadOptions): string[] {
  return [
    ...["--port", String(o.port), "--seconds", String(o.seconds), "--clients", String(o.clients)],
    ...["--workers", String(o.workers), "--division", String(o.division)],
    ...["--set-share", String(o.setShare), "--keys", String(o.keys)],
    ...["--value-bytes", String(o.valueBytes)],
  ];
}

function runWorker(job: WorkerJob): Promise<WorkerResult> {
  const worker = new Worker(new URL("./mcload_worker.ts", import.meta.url), { type: "module" });
  return new Promise<WorkerResult>((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<WorkerResult>) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

/**
 * The process's CPU seconds from the first worker's start to the last one's
 * end: the counter only grows, so that is the highest end reading less the
 * lowest start reading. Null when a reading is missing.
 */
export function measuredCpu(
  results: readonly Pick<WorkerResult, "cpuAtStart" | "cpuAtEnd">[],
): number | null {
  let start = Infinity;
  let end = -Infinity;
  for (const r of results) {
    if (r.cpuAtStart === null || r.cpuAtEnd === null) return null;
    start = Math.min(start, r.cpuAtStart);
    end = Math.max(end, r.cpuAtEnd);
  }
  return results.length === 0 ? null : end - start;
}

/** Runs the load and summarises it. */
export async function mcload(o: McloadOptions): Promise<McloadSummary> {
  const workers = Math.max(1, Math.min(o.workers, o.clients));
  const jobs = Array.from({ length: workers }, (_, w): WorkerJob => ({
    port: o.port,
    clients: Math.floor(o.clients / workers) + (w < o.clients % workers ? 1 : 0),
    durationMs: o.seconds * 1000,
    division: o.division,
    setShare: o.setShare,
    keys: o.keys,
    valueBytes: o.valueBytes,
  }));
  const results = await Promise.all(jobs.map(runWorker));
  const seconds = Math.max(...results.map((r) => r.seconds));
  const all = new Uint32Array(results.reduce((n, r) => n + r.latenciesUs.length, 0));
  let at = 0;
  for (const r of results) {
    all.set(r.latenciesUs, at);
    at += r.latenciesUs.length;
  }
  all.sort();
  const sum = (f: (r: WorkerResult) => number) => results.reduce((n, r) => n + f(r), 0);
  const commands = sum((r) => r.commands);
  return {
    commands,
    seconds,
    // Each worker's rate over its own interval (they start a little apart).
    commandsPerSec: sum((r) => (r.seconds > 0 ? r.commands / r.seconds : 0)),
    p50Ms: percentileMs(all, 0.5),
    p99Ms: percentileMs(all, 0.99),
    keysRequested: sum((r) => r.keysRequested),
    keysFound: sum((r) => r.keysFound),
    errors: sum((r) => r.errors),
    firstError: results.find((r) => r.firstError)?.firstError ?? null,
    failure: results.find((r) => r.failure)?.failure ?? null,
    cpuSeconds: measuredCpu(results),
  };
}

if (import.meta.main) {
  try {
    console.log(JSON.stringify(await mcload(parseMcloadArgs(Deno.args))));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    Deno.exit(2);
  }
}
