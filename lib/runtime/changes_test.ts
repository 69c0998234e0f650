import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { describeChanges } from "./changes.ts";

function pools(text: string) {
  return parseConfig(text, "c.yml");
}

const A = "alpha:\n  listen: 127.0.0.1:4100\n  servers:\n    - 127.0.0.1:2100:1 r0\n" +
  "    - 127.0.0.1:2101:1 r1\n";

Deno.test("describeChanges() says nothing for the same pools", () => {
  assert.deepEqual(describeChanges(pools(A), pools(A)), []);
});

Deno.test("describeChanges() lists servers added and removed, weights and settings", () => {
  const b = "alpha:\n  listen: 127.0.0.1:4100\n  hash: md5\n  timeout: 400\n  servers:\n" +
    "    - 127.0.0.1:2101:3 r1\n    - 127.0.0.1:2102:1 r2\n";
  assert.deepEqual(describeChanges(pools(A), pools(b)), [
    "pool 'alpha' changed: servers added: 127.0.0.1:2102:1 r2; servers removed: 127.0.0.1:2100:1 r0; " +
    "weights: r1 1 -> 3; hash fnv1a_64 -> md5; timeout none -> 400",
  ]);
});

Deno.test("describeChanges() tells pools added, removed and moved apart", () => {
  const b = "alpha:\n  listen: 127.0.0.1:4102\n  servers:\n    - 127.0.0.1:2100:1 r0\n" +
    "beta:\n  listen: 127.0.0.1:4101\n  servers:\n    - 127.0.0.1:2100:1 r0\n";
  assert.deepEqual(describeChanges(pools(A), pools(b)), [
    "pool 'alpha' moved from 127.0.0.1:4100 to 127.0.0.1:4102",
    "pool 'beta' added on 127.0.0.1:4101",
  ]);
  assert.deepEqual(describeChanges(pools(b), pools(A)), [
    "pool 'alpha' moved from 127.0.0.1:4102 to 127.0.0.1:4100",
    "pool 'beta' removed from 127.0.0.1:4101",
  ]);
});

Deno.test("describeChanges() names a server at a new address as removed and added", () => {
  const b = "alpha:\n  listen: 127.0.0.1:4100\n  servers:\n    - 127.0.0.1:2100:1 r0\n" +
    "    - 127.0.0.1:2109:1 r1\n";
  assert.deepEqual(describeChanges(pools(A), pools(b)), [
    "pool 'alpha' changed: servers added: 127.0.0.1:2109:1 r1; servers removed: 127.0.0.1:2101:1 r1",
  ]);
});
