/**
 * End-to-end: every memcached ASCII command through nutmeg in front of a
 * 3-server pool of real memcacheds, replied to exactly as one memcached
 * talked to directly replies, byte for byte, wherever a sharding proxy can
 * (cas uniques are per server, so `gets`/`gats` replies are compared with
 * their uniques masked). Where the proxy deliberately differs, the test says
 * so and asserts the proxy's reply.
 *
 * Test inputs are binary strings: one character per byte (see {@link bin}).
 */
import assert from "node:assert/strict";
import {
  type Backend,
  Backends,
  RawClient,
  startMemcached,
  startMemcacheds,
} from "./_support/servers.ts";
import { memcachePool as pool, startProxy, type TestProxy } from "./_support/proxy.ts";

// ---- helpers ------------------------------------------------------------

/** A binary string (one char per byte, 0..255) as bytes. */
function bin(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new RangeError(`Cannot encode ${JSON.stringify(s[i])}: not a byte`);
    out[i] = c;
  }
  return out;
}

/** Bytes as a binary string. */
function str(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `set`-style storage command with its data block. */
function store(cmd: string, key: string, value: string, flags = 0, extra = ""): string {
  return `${cmd} ${key} ${flags} 0 ${value.length}${extra}\r\n${value}\r\n`;
}

/** A get reply: VALUE blocks for the [key, flags, value] hits, then END. */
function values(hits: [string, number, string][]): string {
  return hits.map(([k, f, v]) => `VALUE ${k} ${f} ${v.length}\r\n${v}\r\n`).join("") + "END\r\n";
}

/** gets/gats replies with every cas unique replaced by `<cas>`. */
function maskCas(reply: string): string {
  return reply.replace(/^(VALUE \S+ \d+ \d+) \d+\r$/gm, "$1 <cas>\r");
}

/**
 * Asserts two (possibly huge) binary strings are equal, showing where they
 * part rather than both in full.
 */
function assertSame(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const around = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 60), i + 120));
  assert.fail(
    `${what}: differs at byte ${i} (lengths ${actual.length} and ${expected.length}):\n` +
      `  got:      ${around(actual)}\n  expected: ${around(expected)}`,
  );
}

const SENTINEL_VALUE = "nutmeg-sentinel!";
const SENTINEL_SET = bin(store("set", "__sentinel__", SENTINEL_VALUE));
const SENTINEL_GET = bin("get __sentinel__\r\n");
const SENTINEL_REPLY = bin(values([["__sentinel__", 0, SENTINEL_VALUE]]));

/** Index of `needle` in `hay` from `from`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  outer: for (let i = from; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Reads what `c` gets until the sentinel's reply (returned without it) or
 * until the peer closes (returned with `<closed>` appended).
 */
async function readToSentinel(c: RawClient, ms = 10_000): Promise<string> {
  let scanned = 0;
  try {
    const got = await c.readUntil((b) => {
      const at = indexOf(b, SENTINEL_REPLY, Math.max(0, scanned - SENTINEL_REPLY.length));
      scanned = b.length;
      return at < 0 ? 0 : at + SENTINEL_REPLY.length;
    }, ms);
    return str(got.subarray(0, got.length - SENTINEL_REPLY.length));
  } catch (err) {
    if (!c.eof) throw err;
    const rest = str(c.buffered);
    return rest + "<closed>";
  }
}

/**
 * Stores the sentinel through `c` (once per connection). Also turns Nagle
 * off: a test's small writes go out at once, without waiting for an ACK.
 */
async function sentinel(c: RawClient): Promise<void> {
  (c.conn as Deno.TcpConn).setNoDelay(true);
  await c.send(SENTINEL_SET);
  assert.equal(await c.readLine(), "STORED");
}

/**
 * Sends `input` on `c`, then asks for the sentinel: returns every byte
 * before the sentinel's reply (`<closed>` appended when the peer closed).
 * Proves at once the reply and that nothing more (nor less) came.
 */
async function talk(c: RawClient, input: string | Uint8Array): Promise<string> {
  await c.send(typeof input === "string" ? bin(input) : input);
  await c.send(SENTINEL_GET);
  return await readToSentinel(c);
}

/** The world of a test: 3 memcacheds behind nutmeg, and one memcached talked to directly. */
class World implements AsyncDisposable {
  readonly backends: Backends;
  readonly direct: Backend;
  readonly proxy: TestProxy;
  readonly #clients: RawClient[] = [];

  constructor(backends: Backends, direct: Backend, proxy: TestProxy) {
    this.backends = backends;
    this.direct = direct;
    this.proxy = proxy;
  }

  static async start(servers = 3): Promise<World> {
    const [backends, direct] = await Promise.all([startMemcacheds(servers), startMemcached()]);
    const proxy = await startProxy(pool(backends.ports));
    return new World(backends, direct, proxy);
  }

  /** A client of the proxy and one of the direct memcached, sentinel stored on both. */
  async pair(): Promise<[RawClient, RawClient]> {
    const p = await RawClient.connect(this.proxy.port);
    const d = await RawClient.connect(this.direct.port);
    this.#clients.push(p, d);
    await Promise.all([sentinel(p), sentinel(d)]);
    return [p, d];
  }

  /**
   * Sends `input` through the proxy and to the direct memcached (on
   * connections of their own unless given) and asserts both reply the same.
   * Returns the reply.
   */
  async same(
    input: string,
    opts: { pair?: [RawClient, RawClient]; mask?: boolean; what?: string } = {},
  ): Promise<string> {
    const [p, d] = opts.pair ?? await this.pair();
    const what = opts.what ?? JSON.stringify(input.slice(0, 80));
    let [viaProxy, direct] = await Promise.all([talk(p, input), talk(d, input)]).catch((err) => {
      throw new Error(`${what}: ${err}`);
    });
    if (opts.mask) [viaProxy, direct] = [maskCas(viaProxy), maskCas(direct)];
    assertSame(viaProxy, direct, what);
    if (opts.pair === undefined) await Promise.all([p.close(), d.close()]);
    return viaProxy;
  }

  /**
   * `n` keys named `<prefix><i>` spread evenly over the pool's servers, in
   * turn (server 0, 1, 2, 0, ...): with twemproxy's fnv1a_64, keys that
   * differ only in their last bytes cluster on few servers.
   */
  keys(prefix: string, n: number): string[] {
    const pool = this.proxy.placement.pools[0]!;
    const servers = pool.servers.length;
    const buckets: string[][] = Array.from({ length: servers }, () => []);
    const want = Math.ceil(n / servers);
    for (let i = 0; buckets.some((b) => b.length < want); i++) {
      if (i > 1_000_000) throw new Error(`Cannot spread keys ${prefix}* over ${servers} servers`);
      const key = `${prefix}${i}`;
      const b = bin(key);
      const bucket = buckets[pool.serverOf(b, 0, b.length)]!;
      if (bucket.length < want) bucket.push(key);
    }
    const out: string[] = [];
    for (let i = 0; out.length < n; i++) out.push(buckets[i % servers]![Math.floor(i / servers)]!);
    return out;
  }

  /** A client of backend `i`, talked to directly. */
  async backend(i: number): Promise<RawClient> {
    const c = await RawClient.connect(this.backends.ports[i]!);
    this.#clients.push(c);
    return c;
  }

  /** How many of `keys` each backend holds (their values must not hold `END\r\n`). */
  async spread(keys: string[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < this.backends.list.length; i++) {
      // No sentinel here: a delayed flush_all may take it at any time.
      await using c = await RawClient.connect(this.backends.ports[i]!);
      await c.send(`get ${keys.join(" ")}\r\n`);
      const reply = await c.readUntilText("END\r\n"); // the values hold no END
      out.push([...reply.matchAll(/^VALUE /gm)].length);
    }
    return out;
  }

  /** `stats` (or `stats settings`) of backend `i` as a map. */
  async backendStats(i: number, which = ""): Promise<Map<string, string>> {
    await using c = await RawClient.connect(this.backends.ports[i]!);
    await c.send(`stats${which ? " " + which : ""}\r\n`);
    const text = await c.readUntilText("END\r\n");
    return new Map([...text.matchAll(/^STAT (\S+) (.*)\r$/gm)].map((m) => [m[1]!, m[2]!]));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()));
    await this.proxy[Symbol.asyncDispose]();
    await Promise.all([this.backends[Symbol.asyncDispose](), this.direct.stop()]);
  }
}

// ---- storage commands -----------------------------------------------------

Deno.test("set, add, replace, append, prepend reply as memcached's, with and without noreply", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  const pair = await w.pair();
  let input = "";
  for (const [i, k] of KEYS.entries()) {
    // Each storage command on a hit and on a miss, then the value it left.
    input += store("add", k, `a${i}`, i) + store("add", k, `A${i}`, 1) +
      store("replace", k, `r${i}`, i + 1) + store("replace", `${k}:none`, "x") +
      store("append", k, "+app") + store("prepend", k, "pre+") +
      store("append", `${k}:none`, "x") + store("prepend", `${k}:none`, "x") +
      store("set", `${k}:s`, `s${i}`, 4294967295) +
      `get ${k} ${k}:none ${k}:s\r\n`;
  }
  assert.equal(
    await w.same(input, { pair }),
    KEYS.map((k, i) =>
      "STORED\r\nNOT_STORED\r\nSTORED\r\nNOT_STORED\r\nSTORED\r\nSTORED\r\nNOT_STORED\r\n" +
      "NOT_STORED\r\nSTORED\r\n" +
      values([[k, i + 1, `pre+r${i}+app`], [`${k}:s`, 4294967295, `s${i}`]])
    ).join(""),
  );
  // The keys live on every server.
  assert.ok((await w.spread(KEYS)).every((n) => n > 0));
  // The same with noreply: nothing comes back, and the values are the same.
  let quiet = "";
  for (const [i, k] of KEYS.entries()) {
    quiet += store("set", `${k}:q`, `q${i}`, 3, " noreply") +
      store("add", `${k}:q`, "X", 0, " noreply") + store("add", `${k}:qa`, "a", 5, " noreply") +
      store("replace", `${k}:q`, `R${i}`, 6, " noreply") +
      store("replace", `${k}:none`, "X", 0, " noreply") +
      store("append", `${k}:q`, "+a", 0, " noreply") +
      store("prepend", `${k}:q`, "p+", 0, " noreply") +
      store("append", `${k}:none`, "x", 0, " noreply") +
      store("prepend", `${k}:none`, "x", 0, " noreply");
  }
  assert.equal(await w.same(quiet, { pair }), "");
  const got = await w.same(`get ${KEYS.map((k) => `${k}:q ${k}:qa ${k}:none`).join(" ")}\r\n`, {
    pair,
  });
  assert.equal(
    got,
    values(KEYS.flatMap((k, i): [string, number, string][] => [
      [`${k}:q`, 6, `p+R${i}+a`],
      [`${k}:qa`, 5, "a"],
    ])),
  );
});

Deno.test("cas: gets then cas stores once; a stale unique is EXISTS, a missing key NOT_FOUND; noreply", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  for (const k of KEYS) assert.equal(await talk(c, store("set", k, `v-${k}`, 9)), "STORED\r\n");
  const gets = await talk(c, `gets ${KEYS.join(" ")}\r\n`);
  const uniques = [...gets.matchAll(/^VALUE (\S+) 9 (\d+) (\d+)\r$/gm)];
  assert.deepEqual(uniques.map((m) => m[1]), KEYS);
  for (const [i, k] of KEYS.entries()) {
    const unique = uniques[i]![3]!;
    const reply = await talk(
      c,
      `cas ${k} 1 0 2 ${unique}\r\nok\r\ncas ${k} 2 0 2 ${unique}\r\nno\r\n` +
        `cas ${k}:missing 0 0 1 ${unique}\r\nx\r\n` +
        `cas ${k} 3 0 2 ${unique} noreply\r\nNO\r\nget ${k} ${k}:missing\r\n`,
    );
    assert.equal(reply, "STORED\r\nEXISTS\r\nNOT_FOUND\r\n" + values([[k, 1, "ok"]]), k);
  }
  // noreply with a fresh unique stores, silently.
  const again = await talk(c, `gets ${KEYS[0]}\r\n`);
  const unique = /^VALUE \S+ 1 2 (\d+)\r$/m.exec(again)![1];
  assert.equal(
    await talk(c, `cas ${KEYS[0]} 7 0 3 ${unique} noreply\r\nnew\r\nget ${KEYS[0]}\r\n`),
    values([[KEYS[0]!, 7, "new"]]),
  );
  // The same replies as memcached's own, uniques aside.
  const input =
    KEYS.map((k) => store("set", k, k) + `gets ${k}\r\ncas ${k} 0 0 1 999999999\r\nx\r\n`)
      .join("") + "cas nokey 0 0 1 1\r\nx\r\ncas nokey 0 0 1 1 noreply\r\nx\r\n";
  await w.same(input, { mask: true });
});

// ---- retrieval ------------------------------------------------------------

Deno.test("get/gets of many keys over 3 servers: VALUE blocks in request order, one END", async () => {
  await using w = await World.start();
  const pair = await w.pair();
  const keys = w.keys("mk:", 300);
  const stored = new Map<string, [string, number, string]>();
  let input = "";
  for (const [i, k] of keys.entries()) {
    if (i % 4 === 3) continue; // some misses
    stored.set(k, [k, i, `v${i}`]);
    input += store("set", k, `v${i}`, i);
  }
  await w.same(input, { pair });
  // Shuffled, with misses and repeats: memcached answers a repeated key twice.
  const rnd = prng(7);
  const asked = keys.map((k) => [rnd(), k] as const).sort((x, y) => x[0] - y[0]).map((x) => x[1]);
  asked.splice(10, 0, asked[0]!, "absent", asked[1]!, asked[0]!);
  const before = (await w.proxy.stats()).pools[0]!.stats.fragments;
  const reply = await w.same(`get ${asked.join(" ")}\r\n`, { pair });
  assert.equal(reply, values(asked.flatMap((k) => stored.has(k) ? [stored.get(k)!] : [])));
  const after = (await w.proxy.stats()).pools[0]!.stats.fragments;
  assert.equal(after - before, 3, "split into 3 fragments");
  assert.ok((await w.spread(keys)).every((n) => n > 50));
  await w.same(`gets ${asked.join(" ")}\r\n`, { pair, mask: true });
  // One key, all misses, a key per server, many get lines pipelined.
  const [a, b, c] = keys;
  await w.same(`get ${a}\r\nget x y z w\r\nget ${a} ${b} ${c} ${a}\r\n`.repeat(50), { pair });
  // A key of exactly 250 bytes, and the largest lines memcached takes.
  const long = "k".repeat(250);
  await w.same(store("set", long, "L") + `get ${long} ${long}\r\ngets ${long}\r\n`, {
    pair,
    mask: true,
  });
  await w.same(`get ${keys.join(" ")} ${Array(200).fill(long).join(" ")}\r\n`, { pair });
});

Deno.test("gat/gats touch and fetch over 3 servers as memcached does", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  const pair = await w.pair();
  let input = "";
  for (const k of KEYS) input += store("set", k, `v-${k}`, 2);
  await w.same(input, { pair });
  await w.same(`gat 100 ${KEYS.join(" ")} absent\r\n`, { pair });
  await w.same(`gats 100 absent ${[...KEYS].reverse().join(" ")}\r\n`, { pair, mask: true });
  await w.same(`gat 0 ${KEYS[0]}\r\ngats 0 ${KEYS[1]}\r\ngat 0 none\r\n`, { pair, mask: true });
  // A negative exptime expires the keys at once: a later get misses them.
  await w.same(`gat -1 ${KEYS.slice(0, 12).join(" ")}\r\nget ${KEYS.join(" ")}\r\n`, { pair });
  await w.same(`gats -1 ${KEYS.slice(12).join(" ")}\r\nget ${KEYS.join(" ")}\r\n`, {
    pair,
    mask: true,
  });
  // Bad exptime, no key, a key over 250 bytes (alone: memcached 1.6.18 then
  // loses the reply before it in the same read).
  await w.same(`gat x k\r\ngat 10\r\ngat\r\n`, { pair });
  await w.same(`gats 1 ${"k".repeat(251)}\r\n`, { pair });
});

// ---- delete, incr/decr, touch ---------------------------------------------

Deno.test("delete, with and without noreply, as memcached", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  const pair = await w.pair();
  let input = "";
  for (const k of KEYS) input += store("set", k, "v") + store("set", `${k}:q`, "v");
  await w.same(input, { pair });
  const reply = await w.same(
    KEYS.map((k) =>
      `delete ${k}\r\ndelete ${k}\r\ndelete ${k}:q noreply\r\ndelete ${k}:q 0\r\n` +
      `delete ${k}:none noreply\r\ndelete ${k} 0 noreply\r\nget ${k} ${k}:q\r\n`
    ).join(""),
    { pair },
  );
  assert.equal(reply, "DELETED\r\nNOT_FOUND\r\nNOT_FOUND\r\nEND\r\n".repeat(KEYS.length));
  // memcached's legacy hold time is refused unless 0.
  await w.same("delete k 1\r\ndelete k 0 0\r\ndelete k 1 noreply\r\ndelete\r\n", { pair });
});

Deno.test("incr/decr: numbers, wrap-around at 2^64, floor at 0, non-numeric values, noreply", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  const pair = await w.pair();
  let input = "";
  for (const [i, k] of KEYS.entries()) {
    input += store("set", k, String(i)) + `incr ${k} 5\r\ndecr ${k} 2\r\nincr ${k} 0\r\n` +
      `decr ${k} 1000\r\nincr ${k} 18446744073709551615\r\nincr ${k} 1\r\n` +
      `incr ${k} 3 noreply\r\ndecr ${k} 1 noreply\r\nincr ${k} 0\r\n` +
      store("set", `${k}:max`, "18446744073709551615") + `incr ${k}:max 1\r\n` +
      `incr ${k}:max 2\r\n` + store("set", `${k}:txt`, "abc") + `incr ${k}:txt 1\r\n` +
      `decr ${k}:txt 1\r\nincr ${k}:txt 1 noreply\r\nincr ${k}:none 1\r\n` +
      `decr ${k}:none 1 noreply\r\nincr ${k} x\r\nincr ${k} -1\r\n` +
      `incr ${k} 18446744073709551616\r\ndecr ${k} 1.5 noreply\r\n`;
  }
  const reply = await w.same(input, { pair });
  const lines = reply.split("\r\n");
  assert.deepEqual(lines.slice(0, 17), [
    "STORED",
    "5",
    "3",
    "3",
    "0",
    "18446744073709551615",
    "0",
    "2",
    "STORED",
    "0",
    "2",
    "STORED",
    "CLIENT_ERROR cannot increment or decrement non-numeric value",
    "CLIENT_ERROR cannot increment or decrement non-numeric value",
    "NOT_FOUND",
    "CLIENT_ERROR invalid numeric delta argument",
    "CLIENT_ERROR invalid numeric delta argument",
  ]);
  // The values incr/decr leave behind read the same too (memcached pads shrunk numbers).
  await w.same(`get ${KEYS.map((k) => `${k} ${k}:max ${k}:txt`).join(" ")}\r\n`, { pair });
});

Deno.test("touch, with and without noreply, as memcached", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  const pair = await w.pair();
  let input = "";
  for (const k of KEYS) input += store("set", k, "v");
  await w.same(input, { pair });
  const reply = await w.same(
    KEYS.map((k) =>
      `touch ${k} 100\r\ntouch ${k}:none 100\r\ntouch ${k} 0 noreply\r\n` +
      `touch ${k}:none 1 noreply\r\n`
    ).join(""),
    { pair },
  );
  assert.equal(reply, "TOUCHED\r\nNOT_FOUND\r\n".repeat(KEYS.length));
  // A negative exptime expires the key.
  await w.same(`touch ${KEYS[0]} -1\r\ntouch ${KEYS[1]} -1 noreply\r\nget ${KEYS.join(" ")}\r\n`, {
    pair,
  });
  await w.same(`touch k x\r\ntouch k\r\ntouch k x noreply\r\ntouch ${"k".repeat(251)} 1\r\n`, {
    pair,
  });
});

// ---- noreply interleaved, many clients ------------------------------------

/** A memcached for one client's keys: builds a pipeline and the replies it must get. */
class Model {
  readonly #data = new Map<string, { flags: number; value: string }>();
  #counter = 0n;
  request = "";
  expected = "";
  count = 0;

  #add(request: string, reply: string, noreply: boolean): void {
    this.request += request;
    if (!noreply) this.expected += reply;
    this.count++;
  }

  step(keys: string[], counter: string, rnd: () => number): void {
    const pick = () => keys[Math.floor(rnd() * keys.length)]!;
    const k = pick();
    const noreply = rnd() < 0.5;
    const nr = noreply ? " noreply" : "";
    const v = "v".repeat(Math.floor(rnd() * 30)) + Math.floor(rnd() * 1e6);
    const flags = Math.floor(rnd() * 1000);
    const item = this.#data.get(k);
    const line = (cmd: string) => `${cmd} ${k} ${flags} 0 ${v.length}${nr}\r\n${v}\r\n`;
    switch (Math.floor(rnd() * 11)) {
      case 0:
        this.#data.set(k, { flags, value: v });
        return this.#add(line("set"), "STORED\r\n", noreply);
      case 1:
        if (item === undefined) this.#data.set(k, { flags, value: v });
        return this.#add(line("add"), item ? "NOT_STORED\r\n" : "STORED\r\n", noreply);
      case 2:
        if (item !== undefined) this.#data.set(k, { flags, value: v });
        return this.#add(line("replace"), item ? "STORED\r\n" : "NOT_STORED\r\n", noreply);
      case 3:
      case 4: {
        const append = rnd() < 0.5;
        if (item !== undefined) {
          item.value = append ? item.value + v : v + item.value;
        }
        return this.#add(
          line(append ? "append" : "prepend"),
          item ? "STORED\r\n" : "NOT_STORED\r\n",
          noreply,
        );
      }
      case 5:
        this.#data.delete(k);
        return this.#add(`delete ${k}${nr}\r\n`, item ? "DELETED\r\n" : "NOT_FOUND\r\n", noreply);
      case 6:
        return this.#add(`touch ${k} 0${nr}\r\n`, item ? "TOUCHED\r\n" : "NOT_FOUND\r\n", noreply);
      case 7: {
        const delta = BigInt(Math.floor(rnd() * 100));
        const up = rnd() < 0.7;
        this.#counter = up ? this.#counter + delta : this.#counter - delta;
        if (this.#counter < 0n) this.#counter = 0n;
        return this.#add(
          `${up ? "incr" : "decr"} ${counter} ${delta}${nr}\r\n`,
          `${this.#counter}\r\n`,
          noreply,
        );
      }
      default: {
        const asked = [k, pick(), pick()];
        let reply = "";
        for (const key of asked) {
          const it = this.#data.get(key);
          if (it) reply += `VALUE ${key} ${it.flags} ${it.value.length}\r\n${it.value}\r\n`;
        }
        return this.#add(`get ${asked.join(" ")}\r\n`, reply + "END\r\n", false);
      }
    }
  }

  /** The counter key must exist before incr/decr. */
  start(counter: string): void {
    this.#add(`set ${counter} 0 0 1\r\n0\r\n`, "STORED\r\n", false);
  }
}

/** A small seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Client `client`'s pipeline of `commands` commands on its own 40 keys. */
function pipeline(w: World, client: number, commands: number): Model {
  const model = new Model();
  const rnd = prng(client + 1);
  const keys = w.keys(`c${client}:`, 40);
  const counter = `c${client}:counter`;
  model.start(counter);
  while (model.count < commands) model.step(keys, counter, rnd);
  return model;
}

Deno.test("10,000-command pipelines mixing noreply from 16 concurrent clients: each gets its own replies", async () => {
  await using w = await World.start();
  // The model is memcached's behaviour: check it against memcached itself first.
  {
    const model = pipeline(w, 0, 10_000);
    await using d = await RawClient.connect(w.direct.port);
    await sentinel(d);
    assertSame(await talk(d, model.request), model.expected, "model vs memcached");
  }
  await Promise.all(Array.from({ length: 16 }, async (_, ci) => {
    const model = pipeline(w, ci, 10_000);
    await using c = await RawClient.connect(w.proxy.port);
    await sentinel(c);
    assertSame(await talk(c, model.request), model.expected, `client ${ci}`);
  }));
  assert.ok((await w.spread(w.keys("c0:", 40))).every((n) => n > 0));
});

// ---- commands for every server ---------------------------------------------

Deno.test("flush_all [delay] [noreply] reaches every server", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  const fill = async () => {
    let input = "";
    for (const k of KEYS) input += store("set", k, "v");
    assert.equal(await talk(c, input), "STORED\r\n".repeat(KEYS.length));
    assert.ok((await w.spread(KEYS)).every((n) => n > 0));
  };
  const flushes = async () =>
    await Promise.all(
      [0, 1, 2].map(async (i) => Number((await w.backendStats(i)).get("cmd_flush"))),
    );
  /** A flush, then the sentinel stored again (the flush took it). */
  const flush = async (command: string) => await talk(c, command + str(SENTINEL_SET));
  await fill();
  assert.equal(await flush("flush_all\r\n"), "OK\r\nSTORED\r\n");
  assert.deepEqual(await w.spread(KEYS), [0, 0, 0]);
  assert.deepEqual(await flushes(), [1, 1, 1]);
  await fill();
  assert.equal(await flush("flush_all noreply\r\n"), "STORED\r\n");
  assert.deepEqual(await w.spread(KEYS), [0, 0, 0]);
  await fill();
  assert.equal(await flush("flush_all 0\r\nflush_all 0 noreply\r\n"), "OK\r\nSTORED\r\n");
  assert.deepEqual(await w.spread(KEYS), [0, 0, 0]);
  assert.deepEqual(await flushes(), [4, 4, 4]);
  // With a delay the items go only once it has passed (memcached's clock ticks each second).
  for (const command of ["flush_all 2\r\n", "flush_all 2 noreply\r\n"]) {
    await fill();
    assert.equal(await talk(c, command), command.includes("noreply") ? "" : "OK\r\n");
    assert.ok((await w.spread(KEYS)).every((n) => n > 0));
    const until = Date.now() + 5000;
    while ((await w.spread(KEYS)).some((n) => n > 0)) {
      assert.ok(Date.now() < until, `${command} flushed within 5 s`);
      await delay(250);
    }
    // Items stored within the second the delay ends go too: store the sentinel after it.
    await delay(1100);
    await sentinel(c);
  }
  assert.deepEqual(await flushes(), [6, 6, 6]);
  // As memcached: bad delays, too many arguments.
  await w.same("flush_all x\r\nflush_all x noreply\r\nflush_all 1 2 3\r\n");
});

Deno.test("verbosity [noreply] reaches every server", async () => {
  await using w = await World.start();
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  const levels = async () =>
    await Promise.all(
      [0, 1, 2].map(async (i) => (await w.backendStats(i, "settings")).get("verbosity")),
    );
  assert.deepEqual(await levels(), ["0", "0", "0"]);
  assert.equal(await talk(c, "verbosity 1\r\n"), "OK\r\n");
  assert.deepEqual(await levels(), ["1", "1", "1"]);
  assert.equal(await talk(c, "verbosity 2 noreply\r\n"), "");
  assert.deepEqual(await levels(), ["2", "2", "2"]);
  assert.equal(await talk(c, "verbosity 0 extra\r\n"), "OK\r\n");
  assert.deepEqual(await levels(), ["0", "0", "0"]);
  await w.same("verbosity\r\nverbosity x\r\nverbosity x noreply\r\nverbosity 1 2 3\r\n");
});

// ---- answered by the proxy --------------------------------------------------

Deno.test("version, stats (the proxy's counters as STAT lines, then END) and quit", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  assert.match(await talk(c, "version\r\n"), /^VERSION 1\.6\.\d+-nutmeg-\d+\.\d+\.\d+\r\n$/);
  assert.match(await talk(c, "version extra args\r\n"), /^VERSION /);
  await talk(c, `get ${KEYS.join(" ")}\r\n`);
  const stats = await talk(c, "stats\r\n");
  assert.match(stats, /END\r\n$/);
  const lines = stats.split("\r\n").slice(0, -2);
  for (const line of lines) assert.match(line, /^STAT [^ \r\n]+ [^ \r\n]+$/);
  const map = new Map(lines.map((l) => [l.split(" ")[1]!, l.split(" ")[2]!]));
  assert.equal(map.get("pid"), String(Deno.pid));
  assert.match(map.get("version")!, /^1\.6\.\d+-nutmeg-/);
  assert.equal(map.get("client_connections"), "1");
  // 3 for the get, 3 for the stats request itself (sent to every server).
  assert.equal(map.get("fragments"), "6");
  // The servers' own counters, summed over the pool.
  assert.ok(Number(map.get("curr_connections")) >= 3);
  assert.equal(map.get("nutmeg_servers"), "3");
  assert.equal(map.get("nutmeg_servers_failed"), "0");
  assert.equal(map.get("forward_error"), "0");
  for (
    const name of ["client_eof", "client_err", "client_connections", "server_ejects", "fragments"]
  ) {
    assert.ok(map.has(name), name);
  }
  // Sub-commands: merged from every server.
  assert.match(
    await talk(c, "stats items\r\nstats slabs\r\n"),
    /^(STAT \S+ \S+\r\n)*END\r\n(STAT \S+ \S+\r\n)*END\r\n$/,
  );
  // quit: the replies owed first, then the connection closes; nothing after it is read.
  await c.send(`set q 0 0 1\r\nx\r\nget q ${KEYS.join(" ")}\r\nquit\r\nget q\r\n`);
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await c.readUntilText("END\r\n"), values([["q", 0, "x"]]));
  assert.ok(await c.closedWithin(2000));
  assert.equal(c.buffered.length, 0);
  // As memcached.
  await w.same("get qq\r\nquit\r\nget qq\r\n");
  await w.same("quit extra\r\n");
});

// ---- bad input ----------------------------------------------------------

Deno.test("bad input gets memcached's own replies and the connection stays usable", async () => {
  await using w = await World.start();
  const pair = await w.pair();
  const long = "k".repeat(251);
  const cases = [
    // Unknown commands, upper case, meta-looking words.
    "bogus\r\n",
    "GET a\r\n",
    "Get a\r\n",
    "SET a 0 0 1\r\nx\r\n",
    "DELETE a\r\nINCR a 1\r\nFLUSH_ALL\r\nVERSION\r\nQUIT\r\n",
    "gett a\r\n",
    "x\r\n",
    "\r\n",
    "   \r\n",
    "\n",
    "\0\r\n",
    // Wrong number of arguments.
    "get\r\n",
    "gets\r\n",
    "set a 0 0\r\n",
    "set a 0 0 1 noreply extra\r\nx\r\n",
    "cas a 0 0 1\r\nx\r\n",
    "incr a\r\n",
    "incr a 1 noreply extra\r\n",
    "touch a\r\n",
    "delete a 0 noreply extra\r\n",
    // Bad numbers.
    "incr a x\r\nincr a -1\r\ndecr a 1x\r\n",
    "touch a x\r\ntouch a 1.5\r\n",
    "gat x a\r\ngats 1x a\r\n",
    "delete a 5\r\ndelete a x noreply\r\n",
    // Keys over 250 bytes (a get alone: memcached drops earlier replies of the same read then).
    `get ${long}\r\n`,
    `get a ${long} b\r\n`,
    `gets ${long}\r\n`,
    `delete ${long}\r\n`,
    `delete ${long} noreply\r\n`,
    `incr ${long} 1\r\n`,
    `touch ${long} 1\r\n`,
    // Data blocks that do not end in CRLF.
    "set a 0 0 1\r\nxyz\r\n",
    "set a 0 0 1\r\nx\n\r\n",
    "set a 0 0 1 noreply\r\nxyz\r\n",
    "set a 0 0 0\r\nx\r\n",
    "append a 0 0 2\r\nabcd\r\n",
    // Odd but valid spacing and line ends.
    "get a\n",
    "get  a   b \r\n",
    "set  a  0  0  1 \r\nx\r\nget a\r\n",
    "set a 0 0 1\nx\r\nget a\n",
    "set a 0 0 +1\r\nx\r\nset a +0 -0 01\r\ny\r\nget a\r\n",
  ];
  for (const input of cases) await w.same(input, { pair });
  for (const input of cases) await w.same(input); // each on a fresh connection too
});

Deno.test("bad input the proxy deliberately answers otherwise than memcached", async () => {
  await using w = await World.start();
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  // These were deliberate differences once; now as memcached: a refused
  // storage line has no data block (what follows is read as commands), a
  // NUL ends the line, a length is read as memcached reads it (32-bit
  // truncation included), meta commands are served.
  for (
    const input of [
      `set ${"k".repeat(251)} 0 0 1\r\nx\r\n`,
      "set a x 0 1\r\nx\r\nset a 0 x 1\r\nx\r\n",
      "cas a 0 0 1 x\r\nx\r\nset a x 0 1 noreply\r\nx\r\n",
      "get a\0b\r\n",
      "set a 0 0 -1\r\n",
      "set a 0 0 x\r\nxyz\r\n",
      "set a 0 0 4294967297\r\nx\r\n",
      "mn\r\nmg a v\r\n",
    ]
  ) {
    await w.same(input);
  }
  // A get line of 100 KB is fine (memcached lets get/gets lines grow).
  const keys = Array.from({ length: 10_000 }, (_, i) => `long:${i}`).join(" ");
  assert.equal(await talk(c, `get ${keys}\r\n`), "END\r\n");
  // Over memcached's 1 GiB item ceiling: refused at once, the block then
  // swallowed as it comes (never held), as memcached swallows it.
  {
    await using d = await RawClient.connect(w.proxy.port);
    await d.send(`set a 0 0 ${2 ** 30 + 1}\r\n`);
    assert.equal(await d.readLine(), "SERVER_ERROR object too large for cache");
  }
  // Long lines: over 2048 bytes with no LF closes, as in memcached (which
  // closes without a word); nutmeg says why, and does so whatever the read
  // sizes, so a long non-get line closes even when its LF came along.
  for (const input of ["set " + "k".repeat(4000), "xyz " + "k".repeat(3000) + "\r\n"]) {
    await using d = await RawClient.connect(w.proxy.port);
    await d.send(input);
    assert.equal(await readToSentinel(d), "CLIENT_ERROR line too long\r\n<closed>");
  }
  {
    await using d = await RawClient.connect(w.direct.port);
    await d.send("set " + "k".repeat(4000));
    assert.equal(await readToSentinel(d), "<closed>");
  }
  // The first connection was never disturbed.
  assert.equal(
    await talk(c, "set a 0 0 1\r\nz\r\nget a\r\n"),
    "STORED\r\n" + values([["a", 0, "z"]]),
  );
});

// ---- values ---------------------------------------------------------------

Deno.test("values of 0, 1, 16 KiB +- 1, 1 MB bytes and binary data round-trip as in memcached", async () => {
  await using w = await World.start();
  const pair = await w.pair();
  const binary = str(Uint8Array.from({ length: 256 }, (_, i) => i)) +
    "\r\nEND\r\nVALUE x 0 1\r\n\0\r\n";
  const sizes = [0, 1, 2, 16383, 16384, 16385, 65536, 1_000_000];
  const value = (n: number) => {
    let s = "";
    while (s.length < n) s += binary;
    return s.slice(0, n);
  };
  for (const n of sizes) {
    const v = value(n);
    const reply = await w.same(store("set", `size:${n}`, v, n) + `get size:${n}\r\n`, {
      pair,
      what: `${n} bytes`,
    });
    assertSame(reply, "STORED\r\n" + values([[`size:${n}`, n, v]]), `${n} bytes`);
  }
  // All of them in one multi-get over the 3 servers, and in one pipeline.
  const all = sizes.map((n) => `size:${n}`);
  await w.same(`get ${all.join(" ")}\r\n`, { pair });
  await w.same(
    sizes.map((n) => store("set", `again:${n}`, value(n), 1)).join("") +
      `gets ${all.join(" ")} ${all.map((k) => `again:${k.slice(5)}`).join(" ")}\r\n`,
    {
      pair,
      mask: true,
    },
  );
  await w.same(
    store("append", "size:16384", binary) + store("prepend", "size:0", binary) +
      "get size:16384 size:0\r\n",
    { pair },
  );
});

Deno.test("a value over the backends' 1 MB item limit is forwarded and memcached's error comes back", async () => {
  await using w = await World.start();
  const pair = await w.pair();
  const mb = 1024 * 1024;
  for (const n of [mb, mb + 1, 2 * mb, 5 * mb]) {
    const v = "x".repeat(n);
    const reply = await w.same(
      store("set", "big", "small") + store("set", "big", v) + "get big\r\n" +
        store("set", "big2", v, 0, " noreply") + store("add", "big3", v) + "get big2 big3\r\n",
      { pair, what: `${n} bytes` },
    );
    // memcached also drops the old value of a key whose set failed.
    assert.equal(
      reply,
      "STORED\r\nSERVER_ERROR object too large for cache\r\nEND\r\n" +
        "SERVER_ERROR object too large for cache\r\nEND\r\n",
    );
  }
  // The error did not cost the proxy its server connections.
  for (const server of (await w.proxy.stats()).pools[0]!.servers) {
    assert.equal(server.stats.server_err + server.stats.server_eof, 0, server.name);
  }
  await w.same(store("set", "after", "ok") + "get after\r\n", { pair });
});

// ---- pipelines split anywhere ---------------------------------------------

/** Mixed pipelines; each leaves the keys as it found them after its first run. */
const pipelines = (KEYS: string[]) => [
  store("set", "sp:a", "hello", 3) + store("set", "sp:b", "wor\r\nld") +
  "get sp:a sp:b sp:none sp:a\r\ndelete sp:none\r\n" + store("set", "sp:n", "41") +
  "incr sp:n 1\r\ntouch sp:a 0 noreply\r\nbogus line\r\nget sp:n\r\n",
  store("set", "sp:c", "x", 0, " noreply") + store("append", "sp:c", "yz") +
  "gat 0 sp:c sp:a sp:b\r\n" + store("add", "sp:c", "no") + store("replace", "sp:d", "no") +
  "delete sp:c noreply\r\nget sp:c\r\nincr sp:a 1\r\nset sp:e 0 0 1\r\nxyz\r\nget sp:b\n",
  "get " + KEYS.join(" ") + "\r\n" + KEYS.map((k) => store("set", k, k.repeat(3))).join("") +
  "get " + [...KEYS].reverse().join(" ") + "\r\nversion\r\n",
  store("set", "sp:long", "v".repeat(2000)) + "get sp:long sp:a\r\ngets sp:none\r\n",
];

Deno.test("pipelines split at every byte boundary get the replies they get whole", async () => {
  await using w = await World.start();
  const pair = await w.pair();
  const KEYS = w.keys("key:", 24);
  const version = (await talk(pair[0], "version\r\n")).trim();
  for (const [n, text] of pipelines(KEYS).entries()) {
    // Whole, through the proxy and straight to memcached (its VERSION set aside).
    await talk(pair[0], text);
    await talk(pair[1], text);
    const expected = await talk(pair[0], text);
    assertSame(
      expected.replace(version, "VERSION"),
      (await talk(pair[1], text)).replace(/VERSION \S+/, "VERSION"),
      `pipeline ${n} whole`,
    );
    const bytes = bin(text);
    const c = pair[0];
    for (let i = 1; i < bytes.length; i++) {
      await c.send(bytes.subarray(0, i));
      await delay(1);
      await c.send(new Uint8Array([...bytes.subarray(i), ...SENTINEL_GET]));
      assertSame(await readToSentinel(c), expected, `pipeline ${n} split at ${i}`);
    }
    // One byte at a time.
    for (let i = 0; i < bytes.length; i++) {
      await c.send(bytes.subarray(i, i + 1));
      if (i % 4 === 0) await delay(1);
    }
    await c.send(SENTINEL_GET);
    assertSame(await readToSentinel(c), expected, `pipeline ${n} byte by byte`);
  }
});

// ---- backend failure ------------------------------------------------------

Deno.test("a stopped backend: its keys get SERVER_ERROR <reason>, the others still work", async () => {
  await using w = await World.start();
  const KEYS = w.keys("key:", 24);
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  let input = "";
  for (const k of KEYS) input += store("set", k, `v-${k}`);
  assert.equal(await talk(c, input), "STORED\r\n".repeat(KEYS.length));
  // Which backend holds which key; stop one that holds keys but not the sentinel.
  const where = new Map<string, number>();
  for (let i = 0; i < 3; i++) {
    await using d = await RawClient.connect(w.backends.ports[i]!);
    await d.send(`get __sentinel__ ${KEYS.join(" ")}\r\n`);
    const got = await d.readUntilText("END\r\n");
    for (const m of got.matchAll(/^VALUE (\S+) /gm)) where.set(m[1]!, i);
  }
  assert.equal(where.size, KEYS.length + 1);
  const victim = [0, 1, 2].find((i) =>
    where.get("__sentinel__") !== i && KEYS.some((k) => where.get(k) === i)
  )!;
  const down = KEYS.filter((k) => where.get(k) === victim);
  const up = KEYS.filter((k) => where.get(k) !== victim);
  assert.ok(down.length > 0 && up.length > 0);
  await w.backends.list[victim]!.stop();
  await delay(100);
  const refused = "SERVER_ERROR Connection refused\r\n";
  const reply = await talk(
    c,
    down.map((k) => `get ${k}\r\n` + store("set", k, "x") + `incr ${k} 1\r\n`).join("") +
      up.map((k) => `get ${k}\r\n`).join(""),
  );
  assert.equal(
    reply,
    refused.repeat(3 * down.length) + up.map((k) => values([[k, 0, `v-${k}`]])).join(""),
  );
  // A multi-get that needs the stopped server, pool-wide commands.
  assert.equal(await talk(c, `get ${KEYS.join(" ")}\r\n`), refused);
  assert.equal(await talk(c, `get ${up.join(" ")}\r\n`), values(up.map((k) => [k, 0, `v-${k}`])));
  assert.equal(await talk(c, "flush_all 100\r\nverbosity 0\r\n"), refused + refused);
  // noreply stays silent even when it fails, so later replies never shift.
  assert.equal(
    await talk(
      c,
      down.map((k) => store("set", k, "x", 0, " noreply") + `delete ${k} noreply\r\n`).join("") +
        "flush_all 100 noreply\r\nverbosity 0 noreply\r\n" + `get ${up[0]}\r\n`,
    ),
    values([[up[0]!, 0, `v-${up[0]}`]]),
  );
  assert.ok((await w.proxy.stats()).pools[0]!.stats.forward_error >= 5 * down.length + 5);
});

Deno.test("a backend killed with requests in flight: each of them gets SERVER_ERROR <reason>", async () => {
  await using w = await World.start(1);
  await using c = await RawClient.connect(w.proxy.port);
  await sentinel(c);
  assert.equal(await talk(c, store("set", "k", "v")), "STORED\r\n");
  const backend = w.backends.list[0]!;
  await backend.pause();
  await c.send("get k\r\n".repeat(100) + store("set", "k", "w") + "incr k 1 noreply\r\n");
  await delay(200);
  backend.signal("SIGKILL");
  const got: string[] = [];
  for (let i = 0; i < 101; i++) got.push(await c.readLine());
  for (const line of got) {
    assert.match(line, /^SERVER_ERROR (Connection reset by peer|Connection closed by server)$/);
  }
  await backend.stop();
  // The sentinel lived there too: read the next reply by itself.
  await c.send("get k\r\n");
  assert.equal(await c.readLine(), "SERVER_ERROR Connection refused");
  await delay(100);
  assert.equal(c.buffered.length, 0);
});
