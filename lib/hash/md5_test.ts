import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { md5, md5Digest, md5Words } from "./md5.ts";

function reference(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md5").update(data).digest());
}

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, off + 65536));
  return b;
}

Deno.test("md5Digest() matches node:crypto on every length 0..300 and random inputs", () => {
  const out = new Uint8Array(16);
  for (let len = 0; len <= 300; len++) {
    for (let r = 0; r < 3; r++) {
      const data = randomBytes(len);
      md5Digest(data, 0, len, out);
      assert.deepEqual(out, reference(data), `length ${len}`);
    }
  }
});

Deno.test("md5Digest() matches node:crypto on large inputs and RFC 1321 vectors", () => {
  const out = new Uint8Array(16);
  for (const len of [1000, 4095, 4096, 65536, 1_000_003]) {
    const data = randomBytes(len);
    md5Digest(data, 0, len, out);
    assert.deepEqual(out, reference(data), `length ${len}`);
  }
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const rfc: [string, string][] = [
    ["", "d41d8cd98f00b204e9800998ecf8427e"],
    ["a", "0cc175b9c0f1b6a831c399e269772661"],
    ["abc", "900150983cd24fb0d6963f7d28e17f72"],
    ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
    [
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
      "57edf4a22be3c955ac49da2e2107b67a",
    ],
  ];
  for (const [text, digest] of rfc) {
    const data = new TextEncoder().encode(text);
    md5Digest(data, 0, data.length, out);
    assert.equal(hex(out), digest, text);
  }
});

Deno.test("md5() is the first 4 digest bytes little-endian; md5Words() the 4 words", () => {
  const words = new Uint32Array(4);
  for (let r = 0; r < 200; r++) {
    const data = randomBytes(r * 3);
    const d = reference(data);
    const view = new DataView(d.buffer);
    assert.equal(md5(data, 0, data.length), view.getUint32(0, true));
    md5Words(data, 0, data.length, words);
    for (let x = 0; x < 4; x++) assert.equal(words[x], view.getUint32(4 * x, true));
  }
});

Deno.test("md5 hashes only buf[start, end)", () => {
  const out = new Uint8Array(20);
  for (let r = 0; r < 100; r++) {
    const buf = randomBytes(200);
    const start = r % 50;
    const end = start + ((r * 7) % 150);
    md5Digest(buf, start, end, out, 4);
    assert.deepEqual(out.subarray(4), reference(buf.slice(start, end)));
  }
});

Deno.test("md5Words() gives twemproxy's test_all.c ketama_hash values for server1-8", () => {
  const w = new Uint32Array(4);
  const key = new TextEncoder().encode("server1-8");
  md5Words(key, 0, key.length, w);
  assert.equal(w[0], 3853726576);
  assert.equal(w[3], 2667054752);
});
