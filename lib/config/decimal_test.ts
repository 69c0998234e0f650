import assert from "node:assert/strict";
import { INT_MAX, parseDecimal } from "./decimal.ts";

Deno.test("parseDecimal() reads digits as nc_atoi does", () => {
  assert.equal(parseDecimal("0"), 0);
  assert.equal(parseDecimal("400"), 400);
  assert.equal(parseDecimal("0400"), 400);
  assert.equal(parseDecimal(String(INT_MAX)), INT_MAX);
});

Deno.test("parseDecimal() refuses signs, spaces, fractions, hex, empty and overflow", () => {
  for (
    const text of [
      "",
      "-1",
      "+5",
      " 5",
      "5 ",
      "1.5",
      "0x10",
      "1e3",
      "many",
      "2147483648",
      "4294967297",
    ]
  ) {
    assert.equal(parseDecimal(text), null, text);
  }
});
