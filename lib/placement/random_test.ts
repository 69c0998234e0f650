import assert from "node:assert/strict";
import { random } from "./random.ts";
import type { DistServer } from "./types.ts";

const s: DistServer[] = [1, 2, 3, 4].map((w) => ({ name: `r${w}`, weight: w }));

Deno.test("random: only live servers are picked, and all of them", () => {
  const d = random(s, [true, false, true, false]);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(d.pick(i));
  assert.deepEqual([...seen].sort(), [0, 2]);
});

Deno.test("random: one live server always; none gives -1", () => {
  const one = random(s, [false, false, false, true]);
  for (let i = 0; i < 100; i++) assert.equal(one.pick(i), 3);
  assert.equal(random(s, [false, false, false, false]).pick(0), -1);
});
