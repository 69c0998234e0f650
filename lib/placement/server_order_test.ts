import assert from "node:assert/strict";
import { twemproxyServerOrder } from "./server_order.ts";

Deno.test("twemproxyServerOrder(): shorter names first, then bytewise (UTF-8, unsigned)", () => {
  const names = ["127.0.0.1:6380", "beta", "127.0.0.1", "alpha", "é", "zz", "127.0.0.1:11212"];
  const order = twemproxyServerOrder(names.map((name) => ({ name, weight: 1 })));
  assert.deepEqual(order.map((i) => names[i]), [
    "zz",
    "é", // 2 bytes, 0xc3 > 'z'
    "beta",
    "alpha",
    "127.0.0.1",
    "127.0.0.1:6380",
    "127.0.0.1:11212",
  ]);
});
