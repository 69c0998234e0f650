import assert from "node:assert/strict";
import { Histogram, LATENCY_BUCKETS } from "./histogram.ts";

Deno.test("Histogram.record() puts each latency in the first bucket whose bound is not below it", () => {
  const h = new Histogram();
  h.record(0.05); // 50 µs -> 100 µs bucket
  h.record(0.1); // exactly 100 µs -> 100 µs bucket
  h.record(0.3); // 300 µs -> 500 µs bucket
  h.record(20_000); // 20 s -> +Inf
  assert.equal(h.counts[0], 2);
  assert.equal(h.counts[LATENCY_BUCKETS.indexOf(0.0005)], 1);
  assert.equal(h.counts[LATENCY_BUCKETS.length], 1);
  assert.equal(h.count, 4);
  assert.ok(Math.abs(h.sum - (0.00005 + 0.0001 + 0.0003 + 20)) < 1e-9);
  assert.equal(h.quantile(0.5), 0.0001);
  assert.equal(h.quantile(1), Infinity);
});

Deno.test("Histogram.add() sums two histograms bucket by bucket", () => {
  const a = new Histogram();
  const b = new Histogram();
  a.record(1);
  b.record(1);
  b.record(7);
  a.add(b);
  assert.equal(a.count, 3);
  assert.equal(a.counts[LATENCY_BUCKETS.indexOf(0.001)], 2);
  assert.equal(a.counts[LATENCY_BUCKETS.indexOf(0.01)], 1);
});
