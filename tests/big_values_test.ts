/**
 * End-to-end: values of several MB through the proxy and a real
 * redis-server, where the proxy writes each straight from the buffer it was
 * read into (lib/net/lent.ts) rather than copying it. Every byte arrives
 * intact and in order, whether the value comes first on a new server
 * connection, in the middle of a pipeline with small requests around it,
 * several in one write, or in replies to clients on different servers;
 * and the same for memcached (started with `-I 8m`).
 */
import assert from "node:assert/strict";
import { startMemcached, startRedises } from "./_support/servers.ts";
import { concat } from "./_support/bytes.ts";
import { memcachePool, redisPool, startProxy } from "./_support/proxy.ts";

const MB = 1 << 20;
const enc = new TextEncoder();

/** A value of `n` bytes whose content depends on `seed` and position. */
function value(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x61 + ((i * 7 + seed) % 26);
  return out;
}

function command(...args: (string | Uint8Array)[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? enc.encode(a) : a;
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return concat(parts);
}

/** The RESP bulk reply for `v`. */
function bulk(v: Uint8Array): Uint8Array {
  return concat([enc.encode(`$${v.length}\r\n`), v, enc.encode("\r\n")]);
}

async function exchange(port: number, request: Uint8Array, expected: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const writing = (async () => {
      for (let off = 0; off < request.length;) off += await conn.write(request.subarray(off));
    })();
    const got = new Uint8Array(expected.length);
    let n = 0;
    while (n < got.length) {
      const r = await conn.read(got.subarray(n));
      if (r === null) break;
      n += r;
    }
    await writing;
    assert.equal(n, expected.length, "every reply byte");
    // Compare without a 10 MB assertion message on failure.
    const at = got.findIndex((b, i) => b !== expected[i]);
    assert.equal(at, -1, `first differing byte at ${at}`);
  } finally {
    conn.close();
  }
}

Deno.test("big values: SETs and GETs of several MB in one pipeline, with small requests between, come back intact", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(redisPool(backends.ports));
  const a = value(3 * MB, 1);
  const b = value(2 * MB + 17, 2);
  const c = value(5 * MB - 3, 3);
  // The first request on each server connection is a big one.
  const request = concat([
    command("SET", "big:a", a),
    command("SET", "small", "x"),
    command("SET", "big:b", b),
    command("GET", "big:a"),
    command("SET", "big:c", c),
    command("GET", "small"),
    command("GET", "big:b"),
    command("GET", "big:c"),
    command("GET", "big:a"),
  ]);
  const ok = enc.encode("+OK\r\n");
  const expected = concat([
    ok,
    ok,
    ok,
    bulk(a),
    ok,
    bulk(enc.encode("x")),
    bulk(b),
    bulk(c),
    bulk(a),
  ]);
  await exchange(proxy.port, request, expected);
  // Several clients at once, each reading big replies.
  await Promise.all([
    exchange(
      proxy.port,
      concat([command("GET", "big:c"), command("GET", "big:b")]),
      concat([bulk(c), bulk(b)]),
    ),
    exchange(proxy.port, command("GET", "big:a"), bulk(a)),
    exchange(
      proxy.port,
      concat([command("GET", "small"), command("GET", "big:a")]),
      concat([bulk(enc.encode("x")), bulk(a)]),
    ),
  ]);
});

Deno.test("big values: memcached sets and gets of several MB, pipelined with small ones, come back intact", async () => {
  await using mc = await startMemcached(undefined, ["-I", "8m", "-m", "64"]);
  await using proxy = await startProxy(memcachePool([mc.port]));
  const a = value(3 * MB, 4);
  const b = value(2 * MB + 5, 5);
  const set = (k: string, v: Uint8Array) =>
    concat([enc.encode(`set ${k} 0 0 ${v.length}\r\n`), v, enc.encode("\r\n")]);
  const hit = (k: string, v: Uint8Array) =>
    concat([enc.encode(`VALUE ${k} 0 ${v.length}\r\n`), v, enc.encode("\r\nEND\r\n")]);
  const stored = enc.encode("STORED\r\n");
  await exchange(
    proxy.port,
    concat([
      set("big:a", a),
      set("small", enc.encode("x")),
      set("big:b", b),
      enc.encode("get big:a\r\nget small\r\nget big:b\r\n"),
    ]),
    concat([
      stored,
      stored,
      stored,
      hit("big:a", a),
      hit("small", enc.encode("x")),
      hit("big:b", b),
    ]),
  );
});
