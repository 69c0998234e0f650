/**
 * End-to-end: the stats port serves twemproxy's JSON with exact counters.
 */
import assert from "node:assert/strict";
import { RawClient, startRedises } from "./_support/servers.ts";
import { serverLines, startProxy, startStats } from "./_support/proxy.ts";
import { cmd, replies } from "./_support/resp.ts";
import { POOL_METRICS, SERVER_METRICS } from "../lib/stats/metrics.ts";

/** Field names nutcracker 0.5.0 printed for one pool with one server (recorded from its stats port). */
const NUTCRACKER_TOP = [
  "service",
  "source",
  "version",
  "uptime",
  "timestamp",
  "total_connections",
  "curr_connections",
];
const NUTCRACKER_POOL = [
  "client_eof",
  "client_err",
  "client_connections",
  "server_ejects",
  "forward_error",
  "fragments",
];
const NUTCRACKER_SERVER = [
  "server_eof",
  "server_err",
  "server_timedout",
  "server_connections",
  "server_ejected_at",
  "requests",
  "request_bytes",
  "responses",
  "response_bytes",
  "in_queue",
  "in_queue_bytes",
  "out_queue",
  "out_queue_bytes",
];

async function readStats(port: number): Promise<Record<string, unknown>> {
  await using c = await RawClient.connect(port);
  assert.ok(await c.closedWithin(2000), "stats port must close after writing");
  return JSON.parse(new TextDecoder().decode(c.buffered));
}

Deno.test("stats port: twemproxy's fields and exact counters after a known workload", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n${serverLines(backends.ports, true)}\n`,
  );
  await using stats = await startStats(proxy);
  {
    assert.deepEqual(POOL_METRICS.map((m) => m.name), NUTCRACKER_POOL);
    assert.deepEqual(SERVER_METRICS.map((m) => m.name), NUTCRACKER_SERVER);
    await using c = await RawClient.connect(proxy.port);
    // 10 single-key requests and one MGET over 20 keys (one fragment per server).
    for (let i = 0; i < 10; i++) await c.send(cmd("SET", `k${i}`, "v"));
    await c.readUntil(replies(10));
    const keys = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await c.send(cmd("MGET", ...keys));
    await c.readUntil(replies(1));
    await stats.update();
    const doc = await readStats(stats.addr.port);
    assert.deepEqual(Object.keys(doc).slice(0, NUTCRACKER_TOP.length), NUTCRACKER_TOP);
    assert.equal(doc.service, "nutcracker");
    assert.equal(doc.source, "testhost");
    assert.equal(doc.curr_connections, 1);
    const pool = doc.alpha as Record<string, number | Record<string, number>>;
    assert.deepEqual(Object.keys(pool), [...NUTCRACKER_POOL, "s0", "s1"]);
    assert.equal(pool.client_connections, 1);
    assert.equal(pool.fragments, 2);
    const s0 = pool.s0 as Record<string, number>;
    const s1 = pool.s1 as Record<string, number>;
    // twemproxy's fields in its order, then nutmeg's own.
    assert.deepEqual(Object.keys(s0), [...NUTCRACKER_SERVER, "dedicated_connections"]);
    assert.equal(s0.dedicated_connections, 0);
    assert.equal(s0.requests + s1.requests, 12);
    assert.equal(s0.responses + s1.responses, 12);
    assert.equal(s0.server_connections + s1.server_connections, 2);
    assert.equal(s0.in_queue + s1.in_queue + s0.out_queue + s1.out_queue, 0);
    assert.equal(s0.request_bytes + s1.request_bytes > 10 * 20, true);
    // Replies: 10 x "+OK\r\n", and per fragment "*<n>\r\n" + n x "$-1\r\n".
    const enc = new TextEncoder();
    const perServer = [0, 0];
    for (const k of keys) {
      const b = enc.encode(k);
      perServer[proxy.placement.pools[0]!.serverOf(b, 0, b.length)]!++;
    }
    const mget = perServer.reduce((n, k) => n + `*${k}\r\n`.length + k * 5, 0);
    assert.equal(s0.response_bytes + s1.response_bytes, 10 * 5 + mget);
  }
});
