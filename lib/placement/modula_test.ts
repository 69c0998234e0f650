import assert from "node:assert/strict";
import { modula } from "./modula.ts";
import type { DistServer } from "./types.ts";

Deno.test("modula: slots hash % total weight, weight slots per server in name order", () => {
  // Name order: "b" (shorter) < "aa" < "ab"; config order is different.
  const s: DistServer[] = [{ name: "ab", weight: 1 }, { name: "aa", weight: 2 }, {
    name: "b",
    weight: 3,
  }];
  const d = modula(s, [true, true, true]);
  const slots = [2, 2, 2, 1, 1, 0];
  for (let h = 0; h < 60; h++) assert.equal(d.pick(h), slots[h % 6], `hash ${h}`);
  assert.equal(d.pick(0xffffffff), slots[0xffffffff % 6]);
});

Deno.test("modula: ejected servers give up their slots", () => {
  const s: DistServer[] = [{ name: "s1", weight: 1 }, { name: "s2", weight: 2 }, {
    name: "s3",
    weight: 1,
  }];
  const d = modula(s, [true, false, true]);
  for (let h = 0; h < 20; h++) assert.equal(d.pick(h), h % 2 === 0 ? 0 : 2);
});

Deno.test("modula: one live server takes every key; none gives -1", () => {
  const s: DistServer[] = [{ name: "x", weight: 5 }, { name: "y", weight: 1 }];
  const one = modula(s, [false, true]);
  for (const h of [0, 1, 7, 0xffffffff]) assert.equal(one.pick(h), 1);
  assert.equal(modula(s, [false, false]).pick(3), -1);
});

Deno.test("modula: huge weights work without a slot per unit of weight", () => {
  const s: DistServer[] = [{ name: "a", weight: 0x80000000 }, { name: "b", weight: 0x7fffffff }];
  const d = modula(s, [true, true]);
  assert.equal(d.pick(0), 0);
  assert.equal(d.pick(0x7fffffff), 0);
  assert.equal(d.pick(0x80000000), 1);
  assert.equal(d.pick(0xfffffffe), 1);
  assert.equal(d.pick(0xffffffff), 0); // wraps: 0xffffffff % 0xffffffff = 0
});
