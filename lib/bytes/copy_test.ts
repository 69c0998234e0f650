/** copyInto: short and long runs land where asked, the bytes around untouched. */
import assert from "node:assert/strict";
import { copyInto, SMALL_COPY } from "./copy.ts";

Deno.test("copyInto copies short runs, long runs and whole buffers at the offset", () => {
  for (const n of [0, 1, SMALL_COPY, SMALL_COPY + 1, 1000]) {
    const src = Uint8Array.from({ length: n + 4 }, (_, i) => (i * 7 + 1) & 0xff);
    const dst = new Uint8Array(n + 10).fill(0xee);
    copyInto(dst, 3, src, 2, 2 + n);
    assert.deepEqual([...dst.subarray(3, 3 + n)], [...src.subarray(2, 2 + n)], `run of ${n}`);
    assert.equal(dst[2], 0xee);
    assert.equal(dst[3 + n], 0xee);
  }
  const whole = new Uint8Array(300).fill(5);
  const dst = new Uint8Array(301);
  copyInto(dst, 1, whole, 0, whole.length);
  assert.equal(dst[0], 0);
  assert.ok(dst.subarray(1).every((b) => b === 5));
});
