import assert from "node:assert/strict";
import { closest, editDistance } from "./suggest.ts";
import { POOL_KEY_NAMES } from "./keys.ts";
import { HASH_NAMES } from "../hash/mod.ts";

Deno.test("editDistance() counts edits, a swap as one", () => {
  assert.equal(editDistance("hash", "hash"), 0);
  assert.equal(editDistance("hsah", "hash"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
});

Deno.test("closest() suggests likely typos of pool keys", () => {
  assert.equal(closest("hsah", POOL_KEY_NAMES), "hash");
  assert.equal(closest("Listen", POOL_KEY_NAMES), "listen");
  assert.equal(closest("server", POOL_KEY_NAMES), "servers");
  assert.equal(closest("auto_eject_host", POOL_KEY_NAMES), "auto_eject_hosts");
  assert.equal(closest("redis_password", POOL_KEY_NAMES), null);
  assert.equal(closest("colour", POOL_KEY_NAMES), null);
  assert.equal(closest("x", []), null);
});

Deno.test("closest() prefers the candidate holding every typed character in order", () => {
  assert.equal(closest("fnv1a64", HASH_NAMES), "fnv1a_64");
  assert.equal(closest("fnv164", HASH_NAMES), "fnv1_64");
  assert.equal(closest("fnv1a32", HASH_NAMES), "fnv1a_32");
  assert.equal(closest("murmer", HASH_NAMES), "murmur");
});

Deno.test("closest() gives up at once on a hostile 50 MB word", () => {
  assert.equal(closest("h".repeat(50_000_000), POOL_KEY_NAMES), null);
});
