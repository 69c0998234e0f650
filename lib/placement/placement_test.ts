/**
 * lib/placement + lib/hash KeyHasher reproduce, key for key, where the real
 * nutcracker 0.5.0 sent keys (tests/fixtures/placement/*.json, made by
 * tools/gen_placement_fixtures.ts).
 */
import assert from "node:assert/strict";
import { HASH_NAMES, HASHES, type HashName, KeyHasher } from "../hash/mod.ts";
import { DISTRIBUTIONS } from "./mod.ts";
import type { DistServer } from "./types.ts";

type PlacedDist = "ketama" | "modula";

interface PlacementFixture {
  description: string;
  keys: string;
  hash_tag: string | null;
  servers: { line: string; name: string; weight: number }[];
  placements: Record<PlacedDist, Record<HashName, string>>;
  dead?: number;
  triggers?: Record<PlacedDist, Record<HashName, string | null>>;
}

const DIR = new URL("../../tests/fixtures/placement/", import.meta.url);

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function load(id: string): { fixture: PlacementFixture; keys: Uint8Array[] } {
  const fixture: PlacementFixture = JSON.parse(Deno.readTextFileSync(new URL(`${id}.json`, DIR)));
  const keys = (JSON.parse(Deno.readTextFileSync(new URL(fixture.keys, DIR))).keys as string[])
    .map(fromHex);
  return { fixture, keys };
}

/** Our placement of every key, one base-36 digit per key (the fixture's encoding). */
function place(
  servers: readonly DistServer[],
  live: readonly boolean[],
  dist: PlacedDist,
  hash: HashName,
  hashTag: string | null,
  keys: readonly Uint8Array[],
): string {
  const d = DISTRIBUTIONS[dist](servers, live);
  const hasher = new KeyHasher(HASHES[hash], hashTag);
  let out = "";
  for (const k of keys) out += d.pick(hasher.hash(k, 0, k.length)).toString(36);
  return out;
}

/** Index of the first differing character, for readable failures. */
function firstDiff(a: string, b: string): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

for (const id of ["mixed", "equal", "equal25", "heavy", "longname", "tagged"]) {
  const { fixture, keys } = load(id);
  for (const dist of ["ketama", "modula"] as const) {
    Deno.test(`${dist} places ${keys.length} keys like nutcracker, every hash: "${id}" (${fixture.description})`, () => {
      const live = fixture.servers.map(() => true);
      for (const hash of HASH_NAMES) {
        const expected = fixture.placements[dist][hash];
        assert.equal(expected.length, keys.length);
        const got = place(fixture.servers, live, dist, hash, fixture.hash_tag, keys);
        const at = firstDiff(got, expected);
        assert.equal(
          at,
          -1,
          `${id} ${dist} ${hash}: key #${at} on ${got[at]}, nutcracker ${expected[at]}`,
        );
      }
    });
  }
}

{
  const { fixture, keys } = load("eject");
  const dead = fixture.dead ?? -1;
  for (const dist of ["ketama", "modula"] as const) {
    Deno.test(`${dist}: after an ejection the rebuilt ring places keys like nutcracker, every hash`, () => {
      assert.ok(dead >= 0);
      const all = fixture.servers.map(() => true);
      const withoutDead = fixture.servers.map((_, i) => i !== dead);
      let ejections = 0;
      for (const hash of HASH_NAMES) {
        const trigger = fixture.triggers?.[dist][hash];
        assert.notEqual(trigger, undefined);
        const before = DISTRIBUTIONS[dist](fixture.servers, all);
        const hasher = new KeyHasher(HASHES[hash], fixture.hash_tag);
        let live = all;
        if (trigger === null) {
          // nutcracker never reached the dead server: neither do we.
          for (const k of keys) assert.notEqual(before.pick(hasher.hash(k, 0, k.length)), dead);
        } else {
          // The key whose request failed (and ejected the server) was the dead server's.
          const t = fromHex(trigger!);
          assert.equal(before.pick(hasher.hash(t, 0, t.length)), dead, `${dist} ${hash} trigger`);
          live = withoutDead;
          ejections++;
        }
        const expected = fixture.placements[dist][hash];
        const got = place(fixture.servers, live, dist, hash, fixture.hash_tag, keys);
        const at = firstDiff(got, expected);
        assert.equal(
          at,
          -1,
          `${dist} ${hash}: key #${at} on ${got[at]}, nutcracker ${expected[at]}`,
        );
        assert.ok(!got.includes(dead.toString(36)));
      }
      assert.ok(ejections >= 11);
    });
  }
}

Deno.test("quirk: modula slots follow twemproxy's name order, not the server lines' order", () => {
  const { fixture, keys } = load("mixed");
  const slots: number[] = [];
  fixture.servers.forEach((s, i) => {
    for (let w = 0; w < s.weight; w++) slots.push(i);
  });
  const hasher = new KeyHasher(HASHES.fnv1a_64, null);
  let differ = 0;
  keys.forEach((k, i) => {
    const configOrder = slots[hasher.hash(k, 0, k.length) % slots.length];
    if (configOrder.toString(36) !== fixture.placements.modula.fnv1a_64[i]) differ++;
  });
  assert.ok(differ > keys.length / 2, `only ${differ} keys differ`);
});

Deno.test("quirk: with ketama, a server whose share rounds below 4 points gets no keys", () => {
  const { fixture } = load("heavy");
  assert.equal(fixture.servers[0].name, "tiny");
  for (const hash of HASH_NAMES) assert.ok(!fixture.placements.ketama[hash].includes("0"), hash);
  assert.ok(fixture.placements.modula.fnv1a_64.includes("0"));
});

Deno.test("quirk: ketama with the 15-bit crc32 sends every key to one server", () => {
  for (const id of ["mixed", "equal", "heavy", "longname"]) {
    const p = load(id).fixture.placements.ketama.crc32;
    assert.equal(new Set(p).size, 1, id);
  }
});
