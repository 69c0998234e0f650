import assert from "node:assert/strict";
import { continuum, ketama, ketamaPoints } from "./ketama.ts";
import type { DistServer } from "./types.ts";

const servers = (weights: number[]): DistServer[] =>
  weights.map((weight, i) => ({ name: `10.0.0.${i + 1}:11211`, weight }));

/** Hashes spread over the whole uint32 range, both ends included. */
const HASHES = [
  0,
  1,
  0xffffffff,
  0x7fffffff,
  0x80000000,
  ...Array.from(
    { length: 2000 },
    (_, i) => Math.floor((i + 0.5) * 0x100000000 / 2000),
  ),
];

Deno.test("ketamaPoints(): 160 per server at equal weights, mostly", () => {
  for (const n of [1, 2, 3, 5, 7, 10, 24, 26, 33]) {
    assert.equal(ketamaPoints(1, n, n), 160, `n=${n}`);
  }
  assert.equal(ketamaPoints(3, 9, 3), 160);
});

Deno.test("quirk: ketamaPoints() gives 156, not 160, to each of 25 (or 100) equal servers", () => {
  // (float)1/25 * 160 / 4 * 25 = 39.999998 in single precision; the + 1e-10
  // is lost when the sum is rounded back to float, so floorf gives 39.
  assert.equal(ketamaPoints(1, 25, 25), 156);
  assert.equal(ketamaPoints(1, 100, 100), 156);
  assert.equal(ketamaPoints(2, 50, 25), 156);
});

Deno.test("ketamaPoints(): single-precision floor as in twemproxy", () => {
  // weights 1,2,3,5 (total 11, 4 live): 14.5 -> 56, 29.09 -> 116, 43.6 -> 172, 72.7 -> 288
  assert.deepEqual([1, 2, 3, 5].map((w) => ketamaPoints(w, 11, 4)), [56, 116, 172, 288]);
  // A share below 4 points rounds to none.
  assert.equal(ketamaPoints(1, 311, 5), 0);
  // Points are always a multiple of 4 and never exceed 160 per live server in total.
  for (const ws of [[1, 2, 3, 5], [1, 200, 100, 7, 3], [7, 7, 7], [1, 1000000]]) {
    const total = ws.reduce((a, b) => a + b, 0);
    const pts = ws.map((w) => ketamaPoints(w, total, ws.length));
    assert.ok(pts.every((p) => p % 4 === 0));
    assert.ok(pts.reduce((a, b) => a + b, 0) <= 160 * ws.length);
  }
});

Deno.test("ketama: one live server takes every key", () => {
  const d = ketama(servers([3]), [true]);
  for (const h of HASHES) assert.equal(d.pick(h), 0);
  const e = ketama(servers([1, 2, 3]), [false, true, false]);
  for (const h of HASHES) assert.equal(e.pick(h), 1);
});

Deno.test("ketama: no live server gives -1", () => {
  assert.equal(ketama(servers([1, 1]), [false, false]).pick(12345), -1);
  assert.equal(ketama([], []).pick(0), -1);
});

Deno.test("ketama: an ejected server is never picked; the others keep most of their keys", () => {
  const s = servers([1, 1, 1, 1]);
  const all = ketama(s, [true, true, true, true]);
  const without = ketama(s, [true, false, true, true]);
  let moved = 0;
  for (const h of HASHES) {
    const a = all.pick(h);
    const b = without.pick(h);
    assert.notEqual(b, 1);
    if (a !== 1 && a !== b) moved++;
  }
  // Consistent hashing: keys of surviving servers stay where they were.
  assert.equal(moved, 0);
});

Deno.test("ketama: a hash above the last point wraps to the first point", () => {
  const d = ketama(servers([1, 2, 3]), [true, true, true]);
  assert.equal(d.pick(0xffffffff), d.pick(0));
});

Deno.test("ketama: the order of the server lines does not matter, only names and weights", () => {
  const s = servers([1, 2, 3, 5, 1]);
  const perm = [3, 0, 4, 2, 1];
  const a = ketama(s, s.map(() => true));
  const b = ketama(perm.map((i) => s[i]), s.map(() => true));
  for (const h of HASHES) assert.equal(perm[b.pick(h)], a.pick(h));
});

Deno.test("ketama: rejects bad input", () => {
  assert.throws(() => ketama(servers([1, 1]), [true]), RangeError);
  assert.throws(() => ketama(servers([0]), [true]), RangeError);
  assert.throws(() => ketama(servers([1.5]), [true]), RangeError);
});

Deno.test("stableSortByValue() sorts ascending and keeps equal values in order", async () => {
  const { stableSortByValue } = await import("./ketama.ts");
  const values = new Uint32Array([5, 0xffffffff, 5, 0, 0x10000, 5, 0xffff, 0x10000]);
  const owners = new Int32Array([0, 1, 2, 3, 4, 5, 6, 7]);
  const [v, o] = stableSortByValue(values, owners);
  assert.deepEqual([...v], [0, 5, 5, 5, 0xffff, 0x10000, 0x10000, 0xffffffff]);
  assert.deepEqual([...o], [3, 0, 2, 5, 6, 4, 7, 1]);
  // Against a comparison sort on random points with many ties.
  const n = 50_000;
  const rv = new Uint32Array(n).map(() => Math.floor(Math.random() * 2 ** 32) & 0xfff0ffff);
  const ro = new Int32Array(n).map((_, k) => k);
  const perm = [...ro].sort((a, b) => rv[a]! - rv[b]! || a - b);
  const expected = perm.map((k) => rv[k]!);
  const [sv, so] = stableSortByValue(rv.slice(), ro.slice());
  assert.ok(so.every((k, i) => k === perm[i]), "owners in stable order");
  assert.ok(sv.every((v, i) => v === expected[i]), "values ascending");
});

Deno.test("continuum(): the bucket index picks what a binary search over all points picks", () => {
  // Reference: the first point >= hash, wrapping to the first.
  const naive = (points: Uint32Array, owners: Int32Array, h: number) => {
    for (let i = 0; i < points.length; i++) if (points[i]! >= h) return owners[i]!;
    return owners[0]!;
  };
  let seed = 7;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (const n of [1, 2, 3, 31, 32, 33, 320, 1000, 5000]) {
    // Random points plus edge values: 0, the top, bucket edges, duplicates.
    const raw = Array.from(
      { length: n },
      (_, i) =>
        i % 7 === 0
          ? ((rand() >>> 20) << 20) >>> 0
          : i % 11 === 0
          ? 0xffffffff
          : i % 13 === 0
          ? 0
          : rand(),
    );
    raw.sort((a, b) => a - b);
    const points = Uint32Array.from(raw);
    const owners = Int32Array.from(raw, (_, i) => i);
    const d = continuum(points, owners);
    const probes = [0, 1, 0xffffffff, 0xfffffffe, 0x80000000];
    for (const p of raw) probes.push(p, Math.max(0, p - 1), Math.min(0xffffffff, p + 1));
    for (let i = 0; i < 2000; i++) probes.push(rand());
    for (let b = 0; b < 1 << 16; b += 97) probes.push(b << 16 >>> 0, ((b << 16) - 1) >>> 0);
    for (const h of probes) assert.equal(d.pick(h), naive(points, owners, h), `n=${n} h=${h}`);
  }
});
