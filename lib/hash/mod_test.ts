import assert from "node:assert/strict";
import { HASH_NAMES, HASHES } from "./mod.ts";

Deno.test("HASHES has exactly one function per hash name and is frozen", () => {
  assert.deepEqual(Object.keys(HASHES).sort(), [...HASH_NAMES].sort());
  for (const name of HASH_NAMES) assert.equal(typeof HASHES[name], "function");
  assert.ok(Object.isFrozen(HASHES));
});
