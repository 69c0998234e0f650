import assert from "node:assert/strict";
import { Fifo } from "./fifo.ts";

Deno.test("Fifo keeps order across growth and wrap-around", () => {
  const q = new Fifo<number>(4);
  let next = 0;
  let expect = 0;
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < round % 7 + 1; i++) q.push(next++);
    for (let i = 0; i < round % 5 + 1 && q.length > 0; i++) assert.equal(q.shift(), expect++);
  }
  assert.equal(q.length, next - expect);
  assert.deepEqual(q.drain(), Array.from({ length: next - expect }, (_, i) => expect + i));
  assert.equal(q.shift(), undefined);
  assert.equal(q.peek(), undefined);
});
