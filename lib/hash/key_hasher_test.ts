import assert from "node:assert/strict";
import { HASHES, KeyHasher } from "./mod.ts";

const enc = new TextEncoder();
const fnv = HASHES.fnv1a_64;

function h(fn: (b: Uint8Array, s: number, e: number) => number, s: string): number {
  const b = enc.encode(s);
  return fn(b, 0, b.length);
}

Deno.test("KeyHasher without a tag hashes the whole key", () => {
  const k = new KeyHasher(fnv, null);
  for (const s of ["a", "{user}x", "key:1", "{}"]) assert.equal(h(k.hash.bind(k), s), h(fnv, s));
});

Deno.test("KeyHasher with hash_tag {} hashes the text between the first { and the next }", () => {
  const k = new KeyHasher(fnv, "{}");
  const cases: [string, string][] = [
    ["{user1000}.following", "user1000"],
    ["x{a}y{b}z", "a"], // first tag wins
    ["}{ab}", "ab"], // a } before the { is ignored
    ["{{n}}", "{n"], // the next } after the first {
    ["{}abc", "{}abc"], // empty tag: whole key
    ["{abc", "{abc"], // no closing: whole key
    ["abc}", "abc}"], // no opening: whole key
    ["a{}b}", "a{}b}"], // empty tag (next } right after {): whole key
    ["{a}", "a"],
  ];
  for (const [key, hashed] of cases) {
    assert.equal(h(k.hash.bind(k), key), h(fnv, hashed), key);
  }
});

Deno.test("KeyHasher supports tags made of any two bytes, including equal ones", () => {
  const k = new KeyHasher(HASHES.murmur, "$$");
  assert.equal(h(k.hash.bind(k), "a$tag$b"), h(HASHES.murmur, "tag"));
  const c = new KeyHasher(HASHES.murmur, "::");
  assert.equal(h(c.hash.bind(c), "user::x"), h(HASHES.murmur, "user::x"));
});

Deno.test("KeyHasher hashes an empty key to 0, like twemproxy", () => {
  for (const fn of Object.values(HASHES)) {
    assert.equal(new KeyHasher(fn, null).hash(new Uint8Array(0), 0, 0), 0);
    assert.equal(new KeyHasher(fn, "{}").hash(enc.encode("x"), 1, 1), 0);
  }
});

Deno.test("KeyHasher looks for tags only inside buf[start, end)", () => {
  const k = new KeyHasher(fnv, "{}");
  const buf = enc.encode("{zz}key{q-}tail}");
  // key = "key{q-" : opening brace inside, closing one only after end.
  assert.equal(k.hash(buf, 4, 10), h(fnv, "key{q-"));
  // key = "}key" : the { before start does not count.
  assert.equal(k.hash(buf, 3, 7), h(fnv, "}key"));
  assert.equal(k.hash(buf, 4, 12), h(fnv, "q-"));
});

Deno.test("KeyHasher rejects a hash_tag that is not exactly 2 bytes", () => {
  assert.throws(() => new KeyHasher(fnv, "{"), RangeError);
  assert.throws(() => new KeyHasher(fnv, "{}}"), RangeError);
  assert.throws(() => new KeyHasher(fnv, ""), RangeError);
  assert.throws(() => new KeyHasher(fnv, "€}"), RangeError); // 3 + 1 bytes
});

Deno.test("KeyHasher takes a 2-byte tag as a byte string or as UTF-8 text", () => {
  // "é" is 2 bytes in UTF-8 (0xc3 0xa9): twemproxy accepts it and compares bytes.
  const key = Uint8Array.of(0x61, 0xc3, 0x74, 0x61, 0x67, 0xa9, 0x62); // a \xc3 tag \xa9 b
  const tag = Uint8Array.of(0x74, 0x61, 0x67);
  const utf8Text = new KeyHasher(fnv, "é");
  const byteString = new KeyHasher(fnv, "\xc3\xa9"); // lib/config's form
  assert.equal(utf8Text.hash(key, 0, key.length), fnv(tag, 0, 3));
  assert.equal(byteString.hash(key, 0, key.length), fnv(tag, 0, 3));
});
