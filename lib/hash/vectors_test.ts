/**
 * Every hash against values recovered from the real nutcracker 0.5.0
 * (tests/fixtures/hash/vectors.json, made by tools/gen_hash_fixtures.ts).
 */
import assert from "node:assert/strict";
import { HASH_NAMES, type HashName } from "./types.ts";
import { HASHES } from "./mod.ts";

interface Vectors {
  keys: string[];
  hashes: Record<HashName, number[]>;
  empty_key: Record<HashName, number>;
}

const vectors: Vectors = JSON.parse(
  Deno.readTextFileSync(new URL("../../tests/fixtures/hash/vectors.json", import.meta.url)),
);

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const keys = vectors.keys.map(fromHex);

/** Key indices by kind. */
const kinds: Record<string, (k: Uint8Array) => boolean> = {
  "1-byte keys (all 256)": (k) => k.length === 1,
  "ASCII keys": (k) => k.length > 1 && k.length <= 64 && k.every((b) => b < 0x80),
  "binary keys (bytes >= 0x80)": (k) => k.length > 1 && k.length <= 64 && k.some((b) => b >= 0x80),
  "long keys (255..4000 bytes)": (k) => k.length > 64,
};

/** twemproxy's src/test_all.c values for "apple" (libmemcached's hash_results.h). */
const APPLE: Record<HashName, number> = {
  one_at_a_time: 2297466611,
  md5: 3195025439,
  crc16: 3662830516,
  crc32: 10542,
  crc32a: 2838417488,
  fnv1_32: 67176023,
  fnv1a_32: 280767167,
  fnv1_64: 473199127,
  fnv1a_64: 1488911807,
  hsieh: 3738850110,
  jenkins: 1442444624,
  murmur: 4142305122,
};

Deno.test("vectors.json covers every hash and every kind of key", () => {
  assert.deepEqual(Object.keys(vectors.hashes).sort(), [...HASH_NAMES].sort());
  for (const [kind, is] of Object.entries(kinds)) {
    assert.ok(keys.filter(is).length >= 10, kind);
  }
  assert.equal(keys.filter((k) => k.length === 1).length, 256);
});

for (const name of HASH_NAMES) {
  const fn = HASHES[name];
  const expected = vectors.hashes[name];

  Deno.test(`${name}() gives twemproxy's test_all.c value for "apple"`, () => {
    const apple = new TextEncoder().encode("apple");
    assert.equal(fn(apple, 0, apple.length), APPLE[name]);
    assert.equal(expected[vectors.keys.indexOf("6170706c65")], APPLE[name]);
  });

  for (const [kind, is] of Object.entries(kinds)) {
    Deno.test(`${name}() matches nutcracker on ${kind}`, () => {
      let checked = 0;
      keys.forEach((k, i) => {
        if (!is(k)) return;
        assert.equal(fn(k, 0, k.length), expected[i], `${name}(${vectors.keys[i].slice(0, 64)})`);
        checked++;
      });
      assert.ok(checked > 0);
    });
  }

  Deno.test(`${name}() reads only buf[start, end) and returns a uint32`, () => {
    keys.forEach((k, i) => {
      const buf = new Uint8Array(k.length + 37).fill(0xa5);
      buf.set(k, 13);
      const v = fn(buf, 13, 13 + k.length);
      assert.equal(v, expected[i]);
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
    });
  });
}

Deno.test("nutcracker hashes the empty key to 0 whatever the function", () => {
  for (const name of HASH_NAMES) assert.equal(vectors.empty_key[name], 0, name);
});

Deno.test("quirk: sign extension of bytes >= 0x80 is what nutcracker does (fnv1a_64, one_at_a_time)", () => {
  // The same functions reading bytes unsigned would disagree with nutcracker on 0x80.
  const i = vectors.keys.indexOf("80");
  let unsignedFnv = 0x84222325;
  unsignedFnv = Math.imul(unsignedFnv ^ 0x80, 0x1b3) >>> 0;
  assert.notEqual(vectors.hashes.fnv1a_64[i], unsignedFnv);
  assert.equal(HASHES.fnv1a_64(Uint8Array.of(0x80), 0, 1), vectors.hashes.fnv1a_64[i]);
  let h = 0x80;
  h = (h + (h << 10)) | 0;
  h ^= h >>> 6;
  h = (h + (h << 3)) | 0;
  h ^= h >>> 11;
  h = (h + (h << 15)) | 0;
  assert.notEqual(vectors.hashes.one_at_a_time[i], h >>> 0);
});

Deno.test("quirk: crc32 keeps 15 bits, crc16 is not masked to 16 bits", () => {
  assert.ok(vectors.hashes.crc32.every((v) => v <= 0x7fff));
  assert.ok(vectors.hashes.crc16.some((v) => v > 0xffff));
});
