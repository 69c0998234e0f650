/**
 * Test support: an in-process nutmeg proxy built from YAML text, opened on
 * free loopback ports and closed by `await using`.
 *
 * @module
 */
import { parseConfig } from "../../lib/config/load.ts";
import { Engine } from "../../lib/runtime/engine.ts";
import { freePort } from "./servers.ts";
import { StatsServer } from "../../lib/stats/server.ts";

/** A running in-process proxy. */
export interface TestProxy extends AsyncDisposable {
  readonly proxy: Engine;
  /** Listen port of each pool, by pool name. */
  readonly ports: Readonly<Record<string, number>>;
  /** Listen port of the first pool. */
  readonly port: number;
}

/**
 * Starts a proxy for `yaml`, where each `listen: AUTO` becomes a free
 * loopback port.
 */
export function startProxy(yaml: string, chunk?: number): TestProxy {
  const text = yaml.replace(/listen: AUTO/g, () => `listen: 127.0.0.1:${freePort()}`);
  const config = parseConfig(text, "test.yml");
  const proxy = new Engine(config, chunk === undefined ? {} : { chunk });
  proxy.open();
  const ports: Record<string, number> = {};
  for (const p of proxy.pools) ports[p.name] = (proxy.addr(p.name) as Deno.NetAddr).port;
  return {
    proxy,
    ports,
    port: ports[proxy.pools[0]!.name]!,
    [Symbol.asyncDispose]: () => proxy.close(),
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

/** The server index owning `key` in the proxy's first pool. */
export function serverOf(proxy: TestProxy, key: string): number {
  const p = proxy.proxy.pools[0]!;
  const k = new TextEncoder().encode(key);
  return p.serverOf(k, 0, k.length);
}

/** A stats server on a free loopback port for a test proxy, closed by `await using`. */
export function startStats(proxy: TestProxy): StatsServer & AsyncDisposable {
  const stats = new StatsServer(proxy.proxy, {
    host: "127.0.0.1",
    port: 0,
    interval: 60_000,
    version: "test",
    source: "testhost",
  });
  stats.open();
  return Object.assign(stats, { [Symbol.asyncDispose]: () => stats.close() });
}
