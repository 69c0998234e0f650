/**
 * PartStore: parts copied at any size keep their bytes when the store grows,
 * and the buffer goes back to the free list once released.
 */
import assert from "node:assert/strict";
import { freeStoreBuffers, PartStore } from "./part_store.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("PartStore keeps every part's bytes across growth, and gives its buffer back", () => {
  const store = new PartStore(3);
  const small = new TextEncoder().encode("xx$3\r\nabc\r\nyy");
  store.put(2, small, 2, small.length - 2);
  const big = new Uint8Array(10_000).fill(0x61);
  store.put(0, big, 0, big.length); // grows past the first buffer
  const parts = [new Uint8Array(0), new TextEncoder().encode("-ERR failed\r\n"), new Uint8Array(0)];
  store.views(parts);
  assert.equal(text(parts[2]!), "$3\r\nabc\r\n");
  assert.equal(parts[0]!.length, 10_000);
  assert.ok(parts[0]!.every((b) => b === 0x61));
  assert.equal(text(parts[1]!), "-ERR failed\r\n", "a part not stored here is left as it is");
  const before = freeStoreBuffers();
  store.release();
  assert.equal(freeStoreBuffers(), before + 1);
  const again = new PartStore(1);
  again.put(0, small, 0, 2);
  assert.equal(freeStoreBuffers(), before, "the next store takes the buffer back");
  again.release();
});
