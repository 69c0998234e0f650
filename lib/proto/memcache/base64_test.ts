import assert from "node:assert/strict";
import { bytesOf as bytes, latin1 as text } from "../../../tests/_support/bytes.ts";
import { decodeBase64Key } from "./base64.ts";

function decode(s: string): string | null {
  const b = bytes(`#${s}#`);
  const out = new Uint8Array(s.length + 4);
  const n = decodeBase64Key(b, 1, b.length - 1, out, 2);
  return n < 0 ? null : text(out.subarray(2, 2 + n));
}

Deno.test("decodeBase64Key() decodes as memcached's base64_decode does", () => {
  assert.equal(decode("Zm9v"), "foo");
  assert.equal(decode("Zm9vYg=="), "foob");
  assert.equal(decode("Zm9vYmE="), "fooba");
  assert.equal(decode("AP8="), "\x00\xff");
  // bytes outside the alphabet are skipped
  assert.equal(decode("Zm!9v"), "foo");
  // decoding stops after the first group with padding
  assert.equal(decode("Zg==Zm9v"), "f");
});

Deno.test("decodeBase64Key() fails where memcached fails", () => {
  for (const s of ["", "Zm9", "Zm9vY", "!!!!", "Z===", "===="]) {
    assert.equal(decode(s), null, s);
  }
});
