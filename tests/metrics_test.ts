/**
 * End-to-end: the stats port's HTTP side — Prometheus `/metrics` parsed by
 * a real parser library, `/stats`, 404 — while a raw connect still gets the
 * JSON at once.
 */
import assert from "node:assert/strict";
import parsePrometheusTextFormat from "npm:parse-prometheus-text-format@1.1.1";
import { RawClient, startRedises } from "./_support/servers.ts";
import { serverLines, startProxy, startStats } from "./_support/proxy.ts";
import { cmd, replies } from "./_support/resp.ts";
import { POOL_METRICS, SERVER_METRICS } from "../lib/stats/metrics.ts";
import { metricName } from "../lib/stats/prometheus.ts";

interface Family {
  name: string;
  help: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[];
}

Deno.test("stats port: /metrics is valid Prometheus text matching the JSON counters", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n${serverLines(backends.ports, true)}\n`,
  );
  await using stats = await startStats(proxy);
  {
    await using c = await RawClient.connect(proxy.port);
    for (let i = 0; i < 20; i++) await c.send(cmd("SET", `m${i}`, "v"));
    await c.readUntil(replies(20));
    await c.send(cmd("MGET", ...Array.from({ length: 20 }, (_, i) => `m${i}`)));
    await c.readUntil(replies(1));
    await stats.update();

    const res = await fetch(`http://127.0.0.1:${stats.addr.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parsePrometheusTextFormat(text) as Family[];
    const byName = new Map(families.map((f) => [f.name, f]));
    for (const def of POOL_METRICS) {
      const f = byName.get(metricName("pool", def));
      assert.ok(f, `pool metric ${def.name}`);
      assert.equal(f.help, def.description);
    }
    for (const def of SERVER_METRICS) assert.ok(byName.has(metricName("server", def)), def.name);

    const json = await (await fetch(`http://127.0.0.1:${stats.addr.port}/stats`)).json();
    const requests = byName.get("nutmeg_server_requests_total")!;
    assert.equal(requests.type, "COUNTER");
    for (const m of requests.metrics) {
      assert.equal(m.labels!.pool, "alpha");
      assert.equal(Number(m.value), json.alpha[m.labels!.server!].requests);
    }
    assert.equal(
      requests.metrics.reduce((n, m) => n + Number(m.value), 0),
      22,
      "20 SETs and 2 MGET fragments",
    );
    const fragments = byName.get("nutmeg_pool_fragments_total")!;
    assert.equal(Number(fragments.metrics[0]!.value), 2);
    const conns = byName.get("nutmeg_pool_client_connections")!;
    assert.equal(conns.type, "GAUGE");
    assert.equal(Number(conns.metrics[0]!.value), 1);

    const latency = byName.get("nutmeg_pool_latency_seconds")!;
    assert.equal(latency.type, "HISTOGRAM");
    const buckets = latency.metrics[0]!.buckets!;
    // 20 SETs and one merged MGET, each counted once, all under 10 s.
    assert.equal(Number(buckets["10"]), 21);
    // parse-prometheus-text-format folds labelled histogram series into one,
    // so the per-server counts are read from the `_count` lines themselves.
    assert.equal(byName.get("nutmeg_server_latency_seconds")!.type, "HISTOGRAM");
    const counts = [...text.matchAll(/^nutmeg_server_latency_seconds_count\{[^}]*\} (\d+)$/gm)]
      .map((m) => Number(m[1]));
    assert.equal(counts.length, 2);
    assert.equal(counts.reduce((a, b) => a + b, 0), 22);

    const missing = await fetch(`http://127.0.0.1:${stats.addr.port}/nothing`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // A raw connect that sends nothing still gets the JSON straight away.
    await using raw = await RawClient.connect(stats.addr.port);
    assert.ok(await raw.closedWithin(1000));
    assert.equal(JSON.parse(new TextDecoder().decode(raw.buffered)).service, "nutcracker");
  }
});
