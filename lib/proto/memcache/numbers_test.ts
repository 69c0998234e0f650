import assert from "node:assert/strict";
import { bytesOf } from "../../../tests/_support/bytes.ts";
import { dataLengthToken, isSignedToken, isUnsignedToken, parseDecimal } from "./numbers.ts";

const check = (f: (b: Uint8Array, s: number, e: number) => unknown, s: string) => {
  const b = bytesOf(`#${s}#`); // offsets inside a bigger buffer
  return f(b, 1, b.length - 1);
};

Deno.test("isUnsignedToken() accepts what memcached's safe_strtoul accepts", () => {
  const yes = [
    "0",
    "1",
    "+1",
    "-0",
    "007",
    "4294967296",
    "18446744073709551615",
    "000000000000000000000018446744073709551615",
    // strtoul wraps -m to 2^64 - m, which memcached keeps when below 2^63
    "-9223372036854775809",
    "-18446744073709551615",
    // strtoul skips leading white space and stops at white space after the digits
    "\t1",
    "\v+1",
    "1 ",
    "1\tjunk",
  ];
  const no = [
    "",
    "-",
    "+",
    "x",
    "1x",
    "-1",
    "-9223372036854775808",
    "18446744073709551616",
    "-18446744073709551616",
    "\t",
    "+-1",
    // at 2^63 and above a `-` anywhere in the token is refused
    "9223372036854775808\t-",
  ];
  for (const s of yes) assert.equal(check(isUnsignedToken, s), true, s);
  for (const s of no) assert.equal(check(isUnsignedToken, s), false, s);
});

Deno.test("isSignedToken() accepts what memcached's safe_strtol accepts", () => {
  const yes = ["0", "-1", "+5", "4294967296", "9223372036854775807", "-9223372036854775808"];
  const no = ["", "-", "x", "9223372036854775808", "-9223372036854775809", "1.5", "--1"];
  for (const s of yes) assert.equal(check(isSignedToken, s), true, s);
  for (const s of no) assert.equal(check(isSignedToken, s), false, s);
});

Deno.test("dataLengthToken() reads lengths memcached reads the same way", () => {
  const cases: [string, number][] = [
    ["0", 0],
    ["-0", 0],
    ["+1", 1],
    ["01", 1],
    ["1048576", 1048576],
    ["2147483645", 2147483645],
    ["2147483646", -1],
    // memcached reads the 64-bit value into a 32-bit int
    ["4294967297", 1],
    ["4294967296", 0],
    ["2147483648", -1],
    ["-4294967295", 1],
    ["\t3\tx", 3],
    ["-1", -1],
    ["", -1],
    ["1x", -1],
    ["99999999999999999999999", -1],
  ];
  for (const [s, n] of cases) assert.equal(check(dataLengthToken, s), n, s);
});

Deno.test("parseDecimal() reads digits up to a cap", () => {
  assert.equal(check((b, s, e) => parseDecimal(b, s, e, 100), "100"), 100);
  assert.equal(check((b, s, e) => parseDecimal(b, s, e, 100), "101"), -1);
  assert.equal(check((b, s, e) => parseDecimal(b, s, e, 100), ""), -1);
  assert.equal(check((b, s, e) => parseDecimal(b, s, e, 100), "+1"), -1);
});
