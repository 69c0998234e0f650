/**
 * Test support: an in-process nutmeg proxy built from YAML text, opened on
 * free loopback ports and closed by `await using`. It runs on the test's
 * own event loop (an Engine), or with `NUTMEG_TEST_WORKERS=N`
 * (tests/_support/test_workers.ts) on N Deno Workers as `--workers N` does.
 *
 * @module
 */
import { parseConfig } from "../../lib/config/load.ts";
import type { Config } from "../../lib/config/types.ts";
import { Engine } from "../../lib/runtime/engine.ts";
import { WorkerRuntime } from "../../lib/runtime/workers.ts";
import type { StatsSource } from "../../lib/stats/report.ts";
import type { MetricsSource } from "../../lib/stats/prometheus.ts";
import { freePort } from "./servers.ts";
import { StatsServer } from "../../lib/stats/server.ts";
import { TEST_WORKERS, TEST_WORKERS_VAR } from "./test_workers.ts";

/** Counters as the stats port reports them (summed over workers). */
export type ProxyStats = StatsSource & MetricsSource;

/** A running in-process proxy. */
export interface TestProxy extends AsyncDisposable {
  /**
   * The engine serving the pools, for what only one event loop has (its
   * live counters, its clients). With several workers there is none and
   * reading this throws: use {@link placement} or {@link stats}.
   */
  readonly proxy: Engine;
  /**
   * Where each key goes with every server live (the serving engine, or
   * with several workers one built from the same file and never opened).
   */
  readonly placement: Engine;
  /** Listen port of each pool, by pool name. */
  readonly ports: Readonly<Record<string, number>>;
  /** Listen port of the first pool. */
  readonly port: number;
  /** The workers serving (1: the test's own event loop). */
  readonly workers: number;
  /** The counters now, summed over workers as the stats port does. */
  stats(): Promise<ProxyStats>;
  /**
   * Stops accepting, lets replies owed be delivered for up to `graceMs`
   * (default 0), then closes (as SIGTERM does); `await using` then has nothing to do.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts a proxy for `yaml`, where each `listen: AUTO` becomes a free
 * loopback port, on {@link TEST_WORKERS} workers.
 */
export async function startProxy(yaml: string, chunk?: number): Promise<TestProxy> {
  const text = yaml.replace(/listen: AUTO/g, () => `listen: 127.0.0.1:${freePort()}`);
  const config = parseConfig(text, "test.yml");
  if (TEST_WORKERS > 1) return await startWorkers(config, text, TEST_WORKERS, chunk);
  const proxy = new Engine(config, chunk === undefined ? {} : { chunk });
  proxy.open();
  const ports: Record<string, number> = {};
  for (const p of proxy.pools) ports[p.name] = (proxy.addr(p.name) as Deno.NetAddr).port;
  return {
    proxy,
    placement: proxy,
    ports,
    port: ports[proxy.pools[0]!.name]!,
    workers: 1,
    stats: () => Promise.resolve(proxy),
    close: (graceMs) => proxy.close(graceMs),
    [Symbol.asyncDispose]: () => proxy.close(),
  };
}

/** The proxy of {@link startProxy} on `n` Deno Workers. */
async function startWorkers(
  config: Config,
  text: string,
  n: number,
  chunk?: number,
): Promise<TestProxy> {
  const runtime = new WorkerRuntime(config, text, n, {
    confFile: "test.yml",
    chunk: chunk ?? 16384,
    statsAddr: "127.0.0.1",
    statsPort: 0,
    statsInterval: 60_000,
    log: () => {},
    logLevel: () => 5,
  });
  await runtime.start();
  let stopped: Promise<void> | null = null;
  const close = (graceMs = 0) => stopped ??= runtime.stop(graceMs);
  const placement = new Engine(config);
  const ports: Record<string, number> = {};
  for (const p of config.pools) {
    if (p.listen.transport !== "tcp") {
      throw new Error(`test proxy with ${TEST_WORKERS_VAR}: pool '${p.name}' must listen on TCP`);
    }
    ports[p.name] = p.listen.port;
  }
  return {
    get proxy(): Engine {
      throw new Error(
        `this test reads the serving engine, which ${n} workers do not have ` +
          `(${TEST_WORKERS_VAR}=${n}): read proxy.placement or await proxy.stats(), ` +
          "or skip the test with ignore: SEVERAL_WORKERS saying why",
      );
    },
    placement,
    ports,
    port: ports[config.pools[0]!.name]!,
    workers: n,
    stats: async () => {
      await runtime.refresh();
      return runtime.view;
    },
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** YAML server lines for backends on 127.0.0.1. */
export function serverLines(ports: number[], names = false): string {
  return ports.map((p, i) => `    - 127.0.0.1:${p}:1${names ? ` s${i}` : ""}`).join("\n");
}

/**
 * A Redis pool `alpha` on `listen: AUTO` over backends on `ports`, with
 * hash_tag `{}` (so tests can place keys together); `extra` is more pool
 * keys, each line indented by two spaces and ending in a newline.
 */
export function redisPool(ports: number[], extra = ""): string {
  return `alpha:\n  listen: AUTO\n  redis: true\n  hash_tag: "{}"\n${extra}  servers:\n${
    serverLines(ports)
  }\n`;
}

/** A memcached pool `beta` on `listen: AUTO` (fnv1a_64, ketama) over backends on `ports`. */
export function memcachePool(ports: number[], extra = ""): string {
  return `beta:\n  listen: AUTO\n  hash: fnv1a_64\n  distribution: ketama\n${extra}  servers:\n${
    serverLines(ports)
  }\n`;
}

/** The server index owning `key` in the proxy's first pool ({@link TestProxy.placement}). */
export function serverOf(proxy: TestProxy, key: string): number {
  const p = proxy.placement.pools[0]!;
  const k = new TextEncoder().encode(key);
  return p.serverOf(k, 0, k.length);
}

/**
 * Waits until pool `pool` (default: the first) has counted `n` ejections,
 * and throws when it counted more, or fewer after 5 s. One event loop ejects at once; with several workers
 * the main thread decides and every worker applies it a message later.
 */
export async function ejected(proxy: TestProxy, n: number, pool = 0): Promise<void> {
  const deadline = Date.now() + 5000;
  let seen = -1;
  while (Date.now() < deadline) {
    seen = (await proxy.stats()).pools[pool]!.stats.server_ejects;
    if (seen === n) return;
    if (seen > n) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`pool ${pool}: ${seen} ejections (server_ejects), expected ${n}`);
}

/** A stats server of {@link startStats}. */
export type TestStats = StatsServer & AsyncDisposable & {
  /** Brings the served snapshot up to date (with several workers, asks each first). */
  update(): Promise<void>;
};

/**
 * A stats server on a free loopback port for a test proxy (or any source
 * of counters), closed by `await using`.
 */
export async function startStats(proxy: Pick<TestProxy, "stats" | "workers">): Promise<TestStats> {
  const stats = new StatsServer(await proxy.stats(), {
    host: "127.0.0.1",
    port: 0,
    interval: 60_000,
    version: "test",
    source: "testhost",
    ...(proxy.workers > 1 ? { refresh: () => proxy.stats().then(() => {}) } : {}),
  });
  stats.open();
  return Object.assign(stats, {
    update: async () => {
      await proxy.stats();
      stats.aggregate();
    },
    [Symbol.asyncDispose]: () => stats.close(),
  });
}
