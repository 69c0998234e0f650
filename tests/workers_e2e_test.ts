/**
 * What only several workers have, with `--workers 2` and `--workers 4`
 * (nutmeg as a process, real redis-servers, 40 clients spread over the
 * workers by SO_REUSEPORT): every worker gets clients; after a known
 * workload from all of them the summed counters equal its counts exactly
 * (requests, responses and request bytes per server, client
 * connections); and each key set from any worker is on exactly the
 * server one event loop places it on. The end-to-end files themselves
 * (placement, split commands, faults, stats) run with several workers in
 * tests/workers_suites_test.ts; ejection across workers is
 * tests/workers_eject_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Backend, startRedis } from "./_support/servers.ts";
import { cmd } from "./_support/resp.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";
import { freePort } from "./_support/ports.ts";
import {
  clients,
  expectedPlacement,
  perWorker,
  pipeline,
  placement,
  setAll,
  text,
} from "./_support/workers.ts";

function yaml(redis: number, rs: readonly number[]): string {
  const lines = rs.map((p, i) => `    - 127.0.0.1:${p}:1 r${i}\n`).join("");
  return `alpha:\n  listen: 127.0.0.1:${redis}\n  redis: true\n  hash: murmur\n` +
    `  distribution: ketama\n  timeout: 2000\n  servers:\n${lines}`;
}

async function run(workers: number): Promise<void> {
  const redises: Backend[] = await Promise.all([startRedis(), startRedis(), startRedis()]);
  try {
    await scenario(workers, redises.map((b) => b.port));
  } finally {
    await Promise.all(redises.map((b) => b.stop()));
  }
}

async function scenario(workers: number, rPorts: number[]) {
  const rPort = freePort();
  const conf = yaml(rPort, rPorts);
  await using nm = await startNutmegChild(conf, ["--workers", String(workers)]);
  // 40 clients SET then GET 10 keys each.
  const n = 40;
  const per = 10;
  const first = await clients(rPort, n);
  try {
    const keys = await setAll(first, "k", per);
    await Promise.all(first.map(async (c, i) => {
      const got = await pipeline(
        c,
        Array.from({ length: per }, (_, k) => cmd("GET", `k:${i}:${k}`)),
      );
      assert.deepEqual(got.map(text), Array.from({ length: per }, (_, k) => `v:k:${i}:${k}`));
    }));
    const spread = await perWorker(nm.statsPort);
    assert.equal(spread.length, workers);
    assert.ok(spread.every((c) => c > 0), `clients per worker: ${spread}`);
    const where = expectedPlacement(conf, keys, "alpha");
    const want = rPorts.map(() => ({ requests: 0, bytes: 0 }));
    for (const k of keys) {
      const w = want[where.get(k)!]!;
      w.requests += 2;
      w.bytes += cmd("SET", k, `v:${k}`).length + cmd("GET", k).length;
    }
    const s = await nm.waitStats(
      (s) =>
        [0, 1, 2].reduce((t, i) => t + (s.alpha?.[`r${i}`]?.responses ?? 0), 0) === 2 * n * per,
      "every response",
    );
    for (let i = 0; i < rPorts.length; i++) {
      const srv = s.alpha[`r${i}`];
      assert.equal(srv.requests, want[i]!.requests, `r${i} requests`);
      assert.equal(srv.responses, want[i]!.requests, `r${i} responses`);
      assert.equal(srv.request_bytes, want[i]!.bytes, `r${i} request_bytes`);
    }
    assert.equal(s.alpha.client_connections, n);
    assert.equal(s.total_connections, n);
    assert.equal(s.curr_connections, n);
    const held = await placement(rPorts);
    for (let i = 0; i < rPorts.length; i++) {
      assert.deepEqual(held[i], keys.filter((k) => where.get(k) === i), `keys on r${i}`);
    }
  } finally {
    for (const c of first) await c.close();
  }
  assert.equal((await nm.stop()).code, 0);
}

for (const workers of [2, 4]) {
  Deno.test(`--workers ${workers}: every worker serves, exact summed stats, one placement`, () =>
    run(workers));
}
