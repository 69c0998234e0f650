/**
 * `--workers 2` end to end, with real redis-servers: clients are spread
 * over both workers (per-worker series in /metrics), keys are placed
 * exactly as with one worker, the stats JSON sums the workers' counters to
 * the workload's counts, SIGUSR2 reloads every worker, SIGTERM drains every
 * worker (a reply owed is delivered), and the log names each worker.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RawClient, startRedises } from "./_support/servers.ts";
import { cmd, decode, decodeAll, replies } from "./_support/resp.ts";
import { flush, perWorker, placement, text } from "./_support/workers.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";
import { freePort } from "./_support/ports.ts";

const CLIENTS = 40;
const KEYS_PER_CLIENT = 10;

function yaml(port: number, servers: readonly string[]): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  redis: true\n  servers:\n${servers.map((s) => `    - ${s}\n`).join("")}`;
}

/** Opens `n` clients; each SETs then GETs its keys (pipelined). Returns the open clients. */
async function workload(port: number, n: number, prefix: string): Promise<RawClient[]> {
  const clients = await Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
  await Promise.all(clients.map(async (c, i) => {
    const sets: Uint8Array[] = [];
    const gets: Uint8Array[] = [];
    for (let k = 0; k < KEYS_PER_CLIENT; k++) {
      sets.push(cmd("SET", `${prefix}:${i}:${k}`, `v${i}.${k}`));
      gets.push(cmd("GET", `${prefix}:${i}:${k}`));
    }
    await c.send(new Uint8Array(sets.flatMap((b) => [...b])));
    const setReplies = decodeAll(await c.readUntil(replies(KEYS_PER_CLIENT)));
    assert.deepEqual(setReplies, Array(KEYS_PER_CLIENT).fill("OK"));
    await c.send(new Uint8Array(gets.flatMap((b) => [...b])));
    const got = decodeAll(await c.readUntil(replies(KEYS_PER_CLIENT)));
    assert.deepEqual(
      got.map(text),
      Array.from({ length: KEYS_PER_CLIENT }, (_, k) => `v${i}.${k}`),
    );
  }));
  return clients;
}

Deno.test("--workers 2: spread clients, one placement, summed stats, reload and drain on both", async () => {
  await using backends = await startRedises(2);
  const [p1, p2] = backends.ports;
  const servers = [`127.0.0.1:${p1}:1 r1`, `127.0.0.1:${p2}:1 r2`];
  const port = freePort();

  // The placement of one worker, for comparison.
  let single: string[][];
  {
    await using one = await startNutmegChild(yaml(port, servers));
    const clients = await workload(port, 4, "k");
    for (const c of clients) await c.close();
    single = await placement(backends.ports);
    assert.equal((await one.stop()).code, 0);
  }
  await flush(backends.ports);

  await using nm = await startNutmegChild(yaml(port, servers), ["--workers", "2"]);
  const clients = await workload(port, CLIENTS, "k");
  try {
    // Both workers got clients, and the JSON sums them.
    const counts = await perWorker(nm.statsPort);
    assert.equal(counts.length, 2);
    assert.ok(counts.every((n) => n > 0), `clients per worker: ${counts.join(", ")}`);
    const requests = 2 * CLIENTS * KEYS_PER_CLIENT;
    // A worker slow to answer a stats poll is served from its last copy: wait for the final one.
    const s = await nm.waitStats(
      (s) =>
        s.alpha?.r1?.requests + s.alpha?.r2?.requests === requests &&
        s.alpha?.r1?.responses + s.alpha?.r2?.responses === requests,
      `${requests} requests and responses`,
    );
    assert.equal(s.total_connections, CLIENTS);
    assert.equal(s.curr_connections, CLIENTS);
    assert.equal(s.alpha.client_connections, CLIENTS);
    assert.equal(s.alpha.r1.responses + s.alpha.r2.responses, requests);
    assert.equal(s.alpha.r1.server_connections + s.alpha.r2.server_connections >= 2, true);
  } finally {
    for (const c of clients) await c.close();
  }
  // Placement over 4 x 10 keys of the single run equals the same keys' here.
  const multi = await placement(backends.ports);
  for (let b = 0; b < 2; b++) {
    const want = new Set(single[b]);
    const mine = multi[b]!.filter((k) => /^k:[0-3]:/.test(k));
    assert.deepEqual(mine.sort(), [...want].sort());
  }
  const log = await nm.log();
  assert.match(log, /worker 0: pool 'alpha': listening on/);
  assert.match(log, /worker 1: pool 'alpha': listening on/);

  // SIGUSR2: r2 removed on both workers; new clients (over both) only reach r1.
  await flush(backends.ports);
  await nm.write(yaml(port, [servers[0]!]));
  const after = await nm.reload();
  assert.equal(after.reloads, 1);
  assert.equal(after.reload_errors, 0);
  assert.deepEqual(Object.keys(after.alpha).filter((k) => k === "r1" || k === "r2"), ["r1"]);
  const before = await perWorker(nm.statsPort);
  const again = await workload(port, CLIENTS, "n");
  const spread = await perWorker(nm.statsPort);
  for (const c of again) await c.close();
  assert.ok(
    spread.every((n, i) => n > before[i]!),
    `clients per worker before and after: ${before} -> ${spread}`,
  );
  const [onR1, onR2] = await placement(backends.ports);
  assert.equal(onR1!.length, CLIENTS * KEYS_PER_CLIENT);
  assert.deepEqual(onR2, []);
  assert.match(await nm.log(), /reload of '.*' done on 2 workers: generation 2/);

  // A broken file is refused by all and changes nothing.
  await nm.write("alpha:\n  listen: [\n");
  const refused = await nm.reload();
  assert.equal(refused.reload_errors, 1);
  await nm.write(yaml(port, [servers[0]!]));

  // SIGTERM while a slow request is owed: its reply arrives, then EOF, exit 0.
  const c = await RawClient.connect(port);
  const slow = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] " +
    "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 300000 return 'slow'";
  await c.send(cmd("EVAL", slow, "1", "slowkey"));
  // Sent: wait until a worker has it in flight before the signal.
  await nm.waitStats((s) => s.alpha?.r1?.out_queue + s.alpha?.r1?.in_queue > 0, "the request");
  const status = nm.stop();
  assert.equal(decode(await c.readUntil(replies(1)))![0], "slow");
  await c.close();
  assert.equal((await status).code, 0);
  assert.match(await nm.log(), /shutting down 2 workers/);
});
