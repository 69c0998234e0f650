/**
 * Recovers each twemproxy hash function's full 32-bit value for a set of keys
 * from the real nutcracker, and writes tests/fixtures/hash/vectors.json.
 *
 * Method: for every hash, one nutcracker with `redis: true`,
 * `distribution: modula` pools of N weight-1 servers (fake RESP backends that
 * record which backend receives each key). With modula and weight 1 the
 * server index is `hash % N`; N runs over pairwise-coprime moduli whose
 * product exceeds 2^32, and the Chinese remainder theorem gives the hash.
 * One extra modulus double-checks every recovered value.
 *
 * twemproxy sorts a pool's servers by name before building it, so the server
 * lines are written already in that order (index = position).
 *
 * Run: deno run -A tools/gen_hash_fixtures.ts
 *
 * @module
 */
import {
  compareNames,
  FakeBackends,
  formatFiles,
  HASH_NAMES,
  Nutcracker,
  Prng,
  RespClient,
  toHex,
  utf8,
} from "./gen_fixtures_support.ts";

/** Moduli for the CRT (pairwise coprime, product > 2^32). */
const MODULI = [251, 241, 239, 233, 229] as const;
/** Extra modulus used only to verify each recovered value. */
const CHECK_MODULUS = 227;

/** twemproxy's src/test_all.c expectations for "apple" (from libmemcached's hash_results.h). */
const APPLE: Readonly<Record<string, number>> = {
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

const OUT = new URL("../tests/fixtures/hash/vectors.json", import.meta.url);

/** The deterministic key set: ASCII, every 1-byte key, binary keys of many lengths, long keys. */
function buildKeys(): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const ascii = [
    "apple",
    "foo",
    "bar",
    "hello world",
    "key:1",
    "user:1000",
    "session:0123456789abcdef",
    "The quick brown fox jumps over the lazy dog",
    "server1-8",
    "{user1000}.following",
    "a{b}c",
    "127.0.0.1:11211-0",
    "ÀÉÎõü-utf8-ключ-キー",
  ];
  for (const s of ascii) keys.push(utf8(s));
  // Every 1-byte key (sign extension of bytes >= 0x80 matters here).
  for (let b = 0; b < 256; b++) keys.push(Uint8Array.of(b));
  // Runs of high bytes of lengths 2..16 (sign-extension in every tail case).
  for (const b of [0x80, 0xff, 0xc3]) {
    for (let len = 2; len <= 16; len++) keys.push(new Uint8Array(len).fill(b));
  }
  const rng = new Prng(0x5eed1234);
  // Random binary keys, lengths 2..64 (every block/tail case of every hash).
  for (let len = 2; len <= 64; len++) {
    for (let n = 0; n < 2; n++) keys.push(rng.bytes(len));
  }
  // Random ASCII keys of lengths 2..40.
  for (let len = 2; len <= 40; len++) keys.push(utf8(rng.ascii(len)));
  // Long keys.
  for (const len of [255, 256, 300, 1000, 1500, 4000]) {
    keys.push(utf8(rng.ascii(len)));
    keys.push(rng.bytes(len));
  }
  keys.push(utf8("k".repeat(300)));
  keys.push(new Uint8Array(1500).fill(0x9c));
  // Unique (a random key could in principle repeat a fixed one).
  const seen = new Set<string>();
  return keys.filter((k) => {
    const h = toHex(k);
    if (seen.has(h)) return false;
    seen.add(h);
    return true;
  });
}

/** The x with x = r[i] mod m[i] for all i, 0 <= x < prod(m). */
function crt(residues: readonly number[], moduli: readonly number[]): bigint {
  let x = 0n;
  let m = 1n;
  for (let i = 0; i < moduli.length; i++) {
    const mi = BigInt(moduli[i]);
    const ri = BigInt(residues[i]);
    // Find t with x + m*t = ri (mod mi).
    let t = 0n;
    while ((x + m * t - ri) % mi !== 0n) t++;
    x += m * t;
    m *= mi;
  }
  return x;
}

async function main(): Promise<void> {
  const keys = buildKeys();
  const maxN = Math.max(...MODULI, CHECK_MODULUS);
  const backends = FakeBackends.start(
    Array.from({ length: maxN }, () => ({ hostname: "127.0.0.1", port: 0 })),
  );
  const names = backends.ports.map((p) => `127.0.0.1:${p}`);
  // Backend indices in twemproxy's name order; rank[backend] = its server index.
  const sorted = names.map((_, i) => i).sort((a, b) => compareNames(names[a], names[b]));
  const rank = new Array<number>(maxN);
  sorted.forEach((b, pos) => rank[b] = pos);

  const values: Record<string, number[]> = {};
  const emptyKey: Record<string, number> = {};
  try {
    for (const hash of HASH_NAMES) {
      const moduli = [...MODULI, CHECK_MODULUS];
      const pools = moduli.map((n) => ({
        name: `${hash}_${n}`,
        settings: { hash, distribution: "modula", redis: true },
        servers: sorted.slice(0, n).map((b) => `${names[b]}:1`),
      }));
      const nc = await Nutcracker.start(pools);
      try {
        const residues: number[][] = keys.map(() => []);
        const emptyResidues: number[] = [];
        for (const pool of pools) {
          const client = await RespClient.connect(nc.socket(pool.name));
          try {
            backends.reset();
            const replies = await client.getAll(keys);
            replies.forEach((r, i) => {
              if (r.kind !== "nil") {
                throw new Error(`${pool.name}: key ${toHex(keys[i])} got ${JSON.stringify(r)}`);
              }
            });
            keys.forEach((k, i) => {
              const b = backends.seen.get(toHex(k));
              if (b === undefined) throw new Error(`${pool.name}: key ${toHex(k)} not seen`);
              residues[i].push(rank[b]);
            });
            // The empty key: twemproxy skips hashing it (hash 0).
            backends.reset();
            const [r] = await client.getAll([new Uint8Array(0)]);
            const b = backends.seen.get("");
            if (r.kind !== "nil" || b === undefined) {
              throw new Error(`${pool.name}: empty key got ${JSON.stringify(r)}`);
            }
            emptyResidues.push(rank[b]);
          } finally {
            client.close();
          }
        }
        values[hash] = residues.map((res, i) => {
          const v = crt(res.slice(0, MODULI.length), MODULI);
          if (v > 0xffffffffn) throw new Error(`${hash}: ${toHex(keys[i])} recovered ${v} > 2^32`);
          if (Number(v % BigInt(CHECK_MODULUS)) !== res[MODULI.length]) {
            throw new Error(`${hash}: ${toHex(keys[i])} fails the check modulus`);
          }
          return Number(v);
        });
        emptyKey[hash] = Number(crt(emptyResidues.slice(0, MODULI.length), MODULI));
        const apple = values[hash][0];
        const ok = apple === APPLE[hash];
        console.log(`${hash.padEnd(14)} apple=${apple} ${ok ? "== test_all.c" : "!= test_all.c"}`);
        if (!ok) throw new Error(`${hash}("apple") = ${apple}, test_all.c says ${APPLE[hash]}`);
      } finally {
        await nc.stop();
      }
    }
  } finally {
    await backends.close();
  }

  const fixture = {
    description: "twemproxy key hashes recovered from nutcracker " +
      "(modula pools, Chinese remainder theorem); see tools/gen_hash_fixtures.ts",
    nutcracker: "0.5.0",
    moduli: MODULI,
    check_modulus: CHECK_MODULUS,
    keys: keys.map(toHex),
    hashes: values,
    empty_key: emptyKey,
  };
  await Deno.mkdir(new URL(".", OUT), { recursive: true });
  await Deno.writeTextFile(OUT, JSON.stringify(fixture) + "\n");
  await formatFiles([OUT.pathname]);
  console.log(`wrote ${OUT.pathname}: ${keys.length} keys x ${HASH_NAMES.length} hashes`);
}

if (import.meta.main) await main();
