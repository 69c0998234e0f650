/**
 * Test support for `--workers N` end-to-end tests: reading backends
 * directly (where each key is), many clients at once, the per-worker
 * series of /metrics (which workers got clients), and the placement one
 * event loop computes for a configuration (the reference every worker must
 * agree with).
 *
 * @module
 */
import assert from "node:assert/strict";
import { RawClient } from "./servers.ts";
import { cmd, decode, decodeAll, replies, type Reply } from "./resp.ts";
import { parseConfig } from "../../lib/config/load.ts";
import { Engine } from "../../lib/runtime/engine.ts";

/** Sends one command and reads its reply. */
export async function call(c: RawClient, ...args: string[]): Promise<Reply> {
  await c.send(cmd(...args));
  return decode(await c.readUntil(replies(1)))![0];
}

/** A reply as text (bulk strings decoded). */
export function text(r: Reply): string {
  return r instanceof Uint8Array ? new TextDecoder().decode(r) : String(r);
}

/** The keys held by each backend, sorted. */
export async function placement(ports: readonly number[]): Promise<string[][]> {
  const out: string[][] = [];
  for (const port of ports) {
    await using c = await RawClient.connect(port);
    const keys = (await call(c, "KEYS", "*")) as Reply[];
    out.push(keys.map(text).sort());
  }
  return out;
}

/** FLUSHALL on every backend. */
export async function flush(ports: readonly number[]): Promise<void> {
  for (const port of ports) {
    await using c = await RawClient.connect(port);
    await call(c, "FLUSHALL");
  }
}

/** Opens `n` clients to `port` at once. */
export function clients(port: number, n: number): Promise<RawClient[]> {
  return Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
}

/** Sends `commands` pipelined on `c` and reads as many replies. */
export async function pipeline(c: RawClient, commands: readonly Uint8Array[]): Promise<Reply[]> {
  await c.send(new Uint8Array(commands.flatMap((b) => [...b])));
  return decodeAll(await c.readUntil(replies(commands.length)));
}

/**
 * Each client `i` SETs keys `${prefix}:${i}:0..perClient-1` (pipelined) and
 * every reply must be OK.
 */
export async function setAll(
  cs: readonly RawClient[],
  prefix: string,
  perClient: number,
): Promise<string[]> {
  const keys: string[] = [];
  await Promise.all(cs.map(async (c, i) => {
    const mine = Array.from({ length: perClient }, (_, k) => `${prefix}:${i}:${k}`);
    keys.push(...mine);
    const got = await pipeline(c, mine.map((k) => cmd("SET", k, `v:${k}`)));
    assert.deepEqual(got, Array(perClient).fill("OK"), `client ${i}: ${JSON.stringify(got)}`);
  }));
  return keys.sort();
}

/** The per-worker `nutmeg_worker_connections_total` series of /metrics. */
export async function perWorker(statsPort: number): Promise<number[]> {
  // A raw connection that writes its request at once (fetch may miss the stats
  // port's sniff window); on a loaded machine the stats port may still see
  // nothing within it and send the JSON: then ask again.
  for (let attempt = 1;; attempt++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: statsPort });
    await conn.write(new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    const body = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    if (body.startsWith("{") && attempt < 10) continue;
    return [...body.matchAll(/^nutmeg_worker_connections_total\{worker="(\d+)"\} (\d+)$/gm)]
      .map((m) => Number(m[2]));
  }
}

/**
 * The server index one event loop places each of `keys` on for pool `name`
 * (default: the first) of `yaml` with every server live (nothing is bound
 * or connected).
 */
export function expectedPlacement(
  yaml: string,
  keys: readonly string[],
  name?: string,
): Map<string, number> {
  const engine = new Engine(parseConfig(yaml, "expected.yml"));
  const pool = name === undefined ? engine.pools[0]! : engine.pool(name);
  const enc = new TextEncoder();
  const out = new Map<string, number>();
  for (const k of keys) {
    const b = enc.encode(k);
    out.set(k, pool.serverOf(b, 0, b.length));
  }
  return out;
}

/** Waits (bounded) until `check(log)` holds; throws naming `what` otherwise. */
export async function waitLog(
  log: () => Promise<string>,
  check: (log: string) => boolean,
  what: string,
): Promise<string> {
  for (let i = 0; i < 1000; i++) {
    const text = await log();
    if (check(text)) return text;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Cannot see ${what} in the log after 1000 polls:\n${await log()}`);
}
