/**
 * Tests of the stats merge over workers: counters and gauges summed,
 * `server_ejected_at` the latest, histograms summed, pools matched by name.
 *
 * @module
 */
import { deepEqual as assertEquals } from "node:assert/strict";
import { Histogram } from "./histogram.ts";
import { mergeWorkerStats, workerStatsOf } from "./merge.ts";
import { newPoolStats, newServerStats } from "./metrics.ts";

function worker(requests: number, ejectedAt: number, conns: number, dedicated = 0) {
  const pool = newPoolStats();
  pool.client_connections = conns;
  pool.fragments = 1;
  const server = newServerStats();
  server.requests = requests;
  server.server_ejected_at = ejectedAt;
  server.dedicated_connections = dedicated;
  const latency = new Histogram();
  latency.record(0.05);
  return workerStatsOf({
    counters: { total_connections: conns, curr_connections: conns },
    pools: [{
      name: "alpha",
      stats: pool,
      latency,
      servers: [{ name: "r1", stats: server, latency }],
    }],
  });
}

Deno.test("merge sums counters and gauges and keeps the latest ejection", () => {
  const m = mergeWorkerStats([worker(3, 100, 2, 1), worker(4, 250, 5, 2)]);
  assertEquals(m.total_connections, 7);
  assertEquals(m.curr_connections, 7);
  assertEquals(m.pools.length, 1);
  const p = m.pools[0]!;
  assertEquals(p.stats.client_connections, 7);
  assertEquals(p.stats.fragments, 2);
  assertEquals(p.servers[0]!.stats.requests, 7);
  assertEquals(p.servers[0]!.stats.server_ejected_at, 250);
  // nutmeg's own server gauges are summed too, not worker 0's alone.
  assertEquals(p.servers[0]!.stats.dedicated_connections, 3);
  assertEquals(p.latency.count, 2);
  assertEquals(p.servers[0]!.latency.counts[0], 2);
});
