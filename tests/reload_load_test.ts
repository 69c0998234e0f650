/**
 * Reload under load, end to end: 50 clients pipeline SET/GET pairs with
 * unique keys and values through a nutmeg process while its servers are
 * changed ten times by SIGUSR2 (servers added, removed, reweighted). No
 * client connection may close; every reply must be the right one (an error
 * reply is allowed only from a removed server's drain, and a GET may find
 * nothing only when a reload moved its key between the SET and the GET).
 * Afterwards keys must be placed exactly where a fresh nutmeg and a fresh
 * nutcracker started with the final file place them.
 *
 * The figures (requests, wrong replies, dropped connections, error replies)
 * are printed for the notes.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/load.ts";
import { HASHES, KeyHasher } from "../lib/hash/mod.ts";
import { DISTRIBUTIONS } from "../lib/placement/mod.ts";
import { freePort, RawClient, startRedises, waitForPort } from "./_support/servers.ts";
import {
  cmd,
  concat,
  decode,
  decodeAll,
  replies,
  type Reply,
  ReplyError,
} from "./_support/resp.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";

const CLIENTS = 50;
const PAIRS = 10;
const RELOADS = 10;
/** Bound on batches per client, whatever happens. */
const MAX_BATCHES = 5000;
const FINAL_KEYS = 3000;

/** Server sets of the generations: [server index, weight] pairs; the last is the final file. */
const GENERATIONS: readonly (readonly [number, number][])[] = [
  [[0, 1], [1, 1], [2, 1]],
  [[0, 1], [1, 1], [2, 1], [3, 1]], // r3 added
  [[1, 1], [2, 1], [3, 1]], // r0 removed
  [[1, 3], [2, 1], [3, 1]], // r1 reweighted
  [[0, 1], [1, 3], [2, 1], [3, 1]], // r0 back
  [[0, 1], [1, 1], [2, 2], [3, 1]], // reweighted
  [[0, 1], [2, 2], [3, 1]], // r1 removed
  [[0, 2], [1, 1], [2, 2], [3, 1]], // r1 back, r0 reweighted
  [[0, 2], [1, 1], [3, 1]], // r2 removed
  [[0, 1], [1, 1], [2, 1], [3, 2]], // r2 back
  [[0, 1], [1, 2], [2, 1]], // r3 removed, r1 reweighted
];

function yaml(port: number, backends: readonly number[], gen: readonly [number, number][]) {
  return `load:\n  listen: 127.0.0.1:${port}\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  redis: true\n  servers:\n` +
    gen.map(([i, w]) => `    - 127.0.0.1:${backends[i]}:${w} r${i}\n`).join("");
}

/** Which backend (index) each generation places `key` on, by nutmeg's own placement code. */
function placements(texts: readonly string[]): (key: string) => number[] {
  const pickers = texts.map((text) => {
    const pool = parseConfig(text, "gen.yml").pools[0]!;
    const hasher = new KeyHasher(HASHES[pool.hash], pool.hashTag);
    const dist = DISTRIBUTIONS[pool.distribution](
      pool.servers.map((s) => ({ name: s.name, weight: s.weight })),
      pool.servers.map(() => true),
    );
    const backendOf = pool.servers.map((s) => Number(s.name.slice(1)));
    return (key: Uint8Array) => backendOf[dist.pick(hasher.hash(key, 0, key.length))]!;
  });
  const enc = new TextEncoder();
  return (key) => pickers.map((p) => p(enc.encode(key)));
}

interface Tally {
  requests: number;
  right: number;
  wrong: number;
  moved: number;
  errors: Map<string, number>;
  dropped: number;
  samples: string[];
}

async function client(
  port: number,
  id: number,
  stop: { done: boolean },
  tally: Tally,
): Promise<void> {
  await using c = await RawClient.connect(port);
  for (let batch = 0; batch < MAX_BATCHES && !stop.done; batch++) {
    const keys: string[] = [];
    const values: string[] = [];
    const parts: Uint8Array[] = [];
    for (let i = 0; i < PAIRS; i++) {
      const key = `c${id}:${batch}:${i}`;
      const value = `v${id}:${batch}:${i}:${Math.random().toString(36).slice(2)}`;
      keys.push(key);
      values.push(value);
      parts.push(cmd("SET", key, value), cmd("GET", key));
    }
    try {
      await c.send(concat(parts));
      const got = decodeAll(await c.readUntil(replies(2 * PAIRS), 30_000));
      tally.requests += 2 * PAIRS;
      for (let i = 0; i < PAIRS; i++) {
        classify(tally, got[2 * i]!, "OK", keys[i]!);
        classify(tally, got[2 * i + 1]!, values[i]!, keys[i]!);
      }
    } catch (err) {
      tally.dropped++;
      tally.samples.push(`client ${id}: ${String(err).slice(0, 200)}`);
      return;
    }
  }
}

function classify(tally: Tally, reply: Reply, want: string, key: string): void {
  if (reply === want) {
    tally.right++;
  } else if (reply instanceof ReplyError) {
    tally.errors.set(reply.message, (tally.errors.get(reply.message) ?? 0) + 1);
  } else if (reply === null && want !== "OK") {
    tally.moved++;
    tally.samples.push(`moved ${key}`);
  } else {
    tally.wrong++;
    tally.samples.push(`wrong ${key}: ${JSON.stringify(String(reply)).slice(0, 80)}`);
  }
}

/** Flushes every backend, writes FINAL_KEYS keys through `port`, returns key -> backend index. */
async function placeKeys(port: number, backends: readonly number[]): Promise<Map<string, number>> {
  for (const p of backends) {
    await using d = await RawClient.connect(p);
    await d.send(cmd("FLUSHALL"));
    await d.readUntil(replies(1));
  }
  {
    await using c = await RawClient.connect(port);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < FINAL_KEYS; i++) parts.push(cmd("SET", `final:${i * 7919}`, "x"));
    await c.send(concat(parts));
    const got = decodeAll(await c.readUntil(replies(FINAL_KEYS), 30_000));
    assert.ok(got.every((r) => r === "OK"));
  }
  const where = new Map<string, number>();
  for (let b = 0; b < backends.length; b++) {
    await using d = await RawClient.connect(backends[b]!);
    await d.send(cmd("KEYS", "final:*"));
    const [keys] = decode(await d.readUntil(replies(1)))!;
    for (const k of keys as Reply[]) {
      where.set(typeof k === "string" ? k : new TextDecoder().decode(k as Uint8Array), b);
    }
  }
  assert.equal(where.size, FINAL_KEYS);
  return where;
}

Deno.test({
  name: "reload under load: 50 pipelining clients, 10 SIGUSR2 reloads, 0 wrong replies, 0 dropped",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using b = await startRedises(4);
    const backends = b.ports;
    const port = freePort();
    const texts = GENERATIONS.map((g) => yaml(port, backends, g));
    // INFO (6) logs each drained connection with the replies it still owed.
    await using nc = await startNutmegChild(texts[0]!, [], 6);
    const tally: Tally = {
      requests: 0,
      right: 0,
      wrong: 0,
      moved: 0,
      errors: new Map(),
      dropped: 0,
      samples: [],
    };
    const stop = { done: false };
    const clients = Array.from({ length: CLIENTS }, (_, id) => client(port, id, stop, tally));
    await nc.waitStats((s) => s.load.client_connections === CLIENTS, "50 clients");
    const perReload: number[] = [];
    try {
      for (let r = 1; r <= RELOADS; r++) {
        const before = tally.requests;
        // Let traffic flow between reloads (bounded).
        for (let i = 0; i < 200 && tally.requests < before + 2000; i++) {
          await new Promise((res) => setTimeout(res, 10));
        }
        await nc.write(texts[r]!);
        const s = await nc.reload();
        assert.equal(s.reloads, r, `reload ${r} took effect`);
        assert.equal(s.reload_errors, 0);
        assert.equal(s.load.client_connections, CLIENTS, `no client dropped by reload ${r}`);
        perReload.push(tally.requests - before);
      }
      const last = tally.requests;
      for (let i = 0; i < 200 && tally.requests < last + 2000; i++) {
        await new Promise((res) => setTimeout(res, 10));
      }
    } finally {
      stop.done = true;
      await Promise.all(clients);
    }
    const final = await nc.stats();
    const log = await nc.log();
    const movedOk = placements(texts);
    for (const sample of tally.samples.filter((s) => s.startsWith("moved "))) {
      const key = sample.slice("moved ".length);
      const seen = new Set(movedOk(key));
      assert.ok(seen.size > 1, `${key} read as nil but no generation moves it`);
    }
    const drained = [...log.matchAll(/drained after a reload: (\d+) replies owed delivered/g)];
    const owedAtSwap = drained.reduce((n, m) => n + Number(m[1]), 0);
    console.log(
      `drained connections of removed servers: ${drained.length}, ` +
        `replies they owed at the swap, all delivered: ${owedAtSwap}`,
    );
    console.log(
      `reload under load: ${tally.requests} requests (${CLIENTS} clients, ${PAIRS} SET/GET pairs ` +
        `per pipeline), ${RELOADS} reloads; right ${tally.right}, wrong ${tally.wrong}, ` +
        `dropped connections ${tally.dropped}, GETs moved by a reload between SET and GET ` +
        `${tally.moved}, error replies ${
          JSON.stringify(Object.fromEntries(tally.errors))
        }; requests between reloads ${
          perReload.join(",")
        }; total_connections ${final.total_connections}`,
    );
    assert.equal(tally.wrong, 0, tally.samples.join("\n"));
    assert.equal(tally.dropped, 0, tally.samples.join("\n"));
    assert.equal(final.total_connections, CLIENTS + 0, "no client reconnected");
    for (const [message] of tally.errors) {
      assert.match(message, /server removed by a reload/, `unexpected error reply ${message}`);
    }
    assert.equal(log.match(/reload of '.*' done/g)?.length, RELOADS);

    // Placement after the last reload equals a fresh nutmeg's and nutcracker's.
    const reloaded = await placeKeys(port, backends);
    await nc.stop();
    const freshPort = freePort();
    const finalText = yaml(freshPort, backends, GENERATIONS.at(-1)!);
    {
      await using _fresh = await startNutmegChild(finalText);
      await waitForPort(freshPort);
      assert.deepEqual(await placeKeys(freshPort, backends), reloaded);
    }
    const dir = await Deno.makeTempDir({ prefix: "nutcracker-reload-" });
    try {
      await Deno.writeTextFile(`${dir}/n.yml`, finalText);
      const nutcracker = new Deno.Command("nutcracker", {
        args: [
          "-c",
          `${dir}/n.yml`,
          "-s",
          String(freePort()),
          "-a",
          "127.0.0.1",
          "-o",
          `${dir}/n.log`,
        ],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        await waitForPort(freshPort);
        assert.deepEqual(await placeKeys(freshPort, backends), reloaded);
      } finally {
        nutcracker.kill("SIGKILL");
        await nutcracker.status;
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
