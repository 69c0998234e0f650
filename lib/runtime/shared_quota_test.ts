import assert from "node:assert/strict";
import { quotaKeys, QuotaTable, SharedQuota } from "./shared_quota.ts";
import { clientsKey, dedicatedKey } from "../pool/quota.ts";
import { parseConfig } from "../config/load.ts";
import { listenKey } from "../config/listen.ts";

const YAML = `alpha:
  listen: 127.0.0.1:22121
  redis: true
  servers:
    - 127.0.0.1:6379:1 a
    - 127.0.0.1:6380:1 b
`;

Deno.test("quotaKeys names each pool's clients and each server's dedicated connections", () => {
  const config = parseConfig(YAML, "q.yml");
  const listen = listenKey(config.pools[0]!.listen);
  assert.deepEqual(quotaKeys(config), [
    clientsKey(listen),
    dedicatedKey(listen, "a"),
    dedicatedKey(listen, "b"),
  ]);
});

Deno.test("two workers together take no more than the limit, and each gives back its own", () => {
  const table = new QuotaTable(2);
  const share = table.assign(["k"]);
  const w0 = new SharedQuota(share, 0).slot("k")!;
  const w1 = new SharedQuota(share, 1).slot("k")!;
  assert.ok(w0.take(3));
  assert.ok(w1.take(3));
  assert.ok(w0.take(3));
  assert.equal(w1.take(3), false, "the fourth is refused, whichever worker asks");
  assert.equal(w0.take(3), false);
  assert.equal(table.total("k"), 3);
  w1.give();
  assert.ok(w0.take(3), "a place given back by one worker is taken by the other");
  assert.ok(w1.take(Infinity), "no limit");
  assert.equal(table.total("k"), 4);
  assert.equal(w0.take(0), false, "a limit of 0 allows none");
});

Deno.test("a dead worker's share leaves the totals; the others' stays", () => {
  const table = new QuotaTable(3);
  const share = table.assign(["x", "y"]);
  const q1 = new SharedQuota(share, 1);
  const q2 = new SharedQuota(share, 2);
  for (let i = 0; i < 5; i++) q1.slot("x")!.take(100);
  q1.slot("y")!.take(100);
  q2.slot("x")!.take(100);
  assert.equal(table.total("x"), 6);
  table.forget(1);
  assert.equal(table.total("x"), 1);
  assert.equal(table.total("y"), 0);
  // The restarted worker 1 starts from nothing; worker 2 gives back what it took.
  q2.slot("x")!.give();
  assert.equal(table.total("x"), 0);
});

Deno.test("keys keep their slots across assigns, and new keys grow the buffer for every worker", () => {
  const table = new QuotaTable(2);
  const first = table.assign(["old"]);
  const w0 = new SharedQuota(first, 0);
  const w1 = new SharedQuota(first, 1);
  assert.ok(w0.slot("old")!.take(10));
  const many = Array.from({ length: 5000 }, (_, i) => `new${i}`);
  const next = table.assign(["old", ...many]);
  assert.equal(next.keys.indexOf("old"), 0, "a key seen before keeps its slot");
  assert.ok(next.buffer.byteLength >= 5001 * 3 * 4, "grown");
  w0.update(next);
  w1.update(next);
  assert.ok(w1.slot("new4999")!.take(1));
  assert.equal(w0.slot("new4999")!.take(1), false, "the grown part is shared");
  assert.equal(table.total("old"), 1, "counts made before the growth are kept");
  assert.equal(w0.slot("unknown"), null, "a key without a slot: the pool counts alone");
});

Deno.test("a growable SharedArrayBuffer sent to a Worker is the same memory, grown", async () => {
  const table = new QuotaTable(2);
  const share = table.assign(["k"]);
  const src = `self.onmessage = (e) => {
    const cells = new Int32Array(e.data.buffer);
    if (e.data.op === "add") Atomics.add(cells, e.data.at, 1);
    self.postMessage(cells.length);
  };`;
  const url = `data:application/javascript,${encodeURIComponent(src)}`;
  const worker = new Worker(url, { type: "module" });
  try {
    const ask = (m: unknown) =>
      new Promise<number>((resolve) => {
        worker.onmessage = (e: MessageEvent<number>) => resolve(e.data);
        worker.postMessage(m);
      });
    await ask({ buffer: share.buffer, op: "add", at: 0 });
    assert.equal(table.total("k"), 1, "the worker's add is seen here");
    const grown = table.assign(Array.from({ length: 1000 }, (_, i) => `g${i}`));
    const length = await ask({ buffer: grown.buffer, op: "len" });
    assert.ok(length >= 1001 * 3, `the worker sees the grown length (${length})`);
  } finally {
    worker.terminate();
  }
});
