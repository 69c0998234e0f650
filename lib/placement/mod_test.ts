import assert from "node:assert/strict";
import { DISTRIBUTION_NAMES, DISTRIBUTIONS } from "./mod.ts";

Deno.test("DISTRIBUTIONS has exactly one builder per distribution name and is frozen", () => {
  assert.deepEqual(Object.keys(DISTRIBUTIONS).sort(), [...DISTRIBUTION_NAMES].sort());
  assert.ok(Object.isFrozen(DISTRIBUTIONS));
});

Deno.test("every distribution: one server -> 0, no live server -> -1", () => {
  for (const name of DISTRIBUTION_NAMES) {
    const one = DISTRIBUTIONS[name]([{ name: "only", weight: 4 }], [true]);
    for (const h of [0, 99, 0xffffffff]) assert.equal(one.pick(h), 0, name);
    assert.equal(DISTRIBUTIONS[name]([{ name: "only", weight: 4 }], [false]).pick(5), -1, name);
  }
});
