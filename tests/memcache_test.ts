/**
 * End-to-end: memcached ASCII clients through nutmeg to real memcacheds.
 */
import assert from "node:assert/strict";
import { RawClient, startMemcacheds } from "./_support/servers.ts";
import { memcachePool as pool, startProxy } from "./_support/proxy.ts";

const enc = new TextEncoder();

/** Reads a get/gets reply (VALUE blocks and END). */
async function readGet(c: RawClient): Promise<string> {
  return await c.readUntilText("END\r\n", 10000);
}

Deno.test("memcache: set and get through a 3-server pool; each key lives on one server", async () => {
  await using backends = await startMemcacheds(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  for (let i = 0; i < 30; i++) {
    await c.send(`set k${i} ${i} 0 ${String(i).length}\r\n${i}\r\n`);
    assert.equal(await c.readLine(), "STORED");
  }
  let total = 0;
  for (const port of backends.ports) {
    await using d = await RawClient.connect(port);
    await d.send("stats\r\n");
    const stats = await d.readUntilText("END\r\n");
    const m = /STAT curr_items (\d+)/.exec(stats);
    total += Number(m?.[1]);
  }
  assert.equal(total, 30);
  await c.send("get k7\r\n");
  assert.equal(await readGet(c), "VALUE k7 7 1\r\n7\r\nEND\r\n");
});

Deno.test("memcache: multi-get of 1,000 keys merges VALUE blocks in request order", async () => {
  await using backends = await startMemcacheds(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const keys = Array.from({ length: 1000 }, (_, i) => `mg:${i}`);
  let batch = "";
  for (const k of keys) batch += `set ${k} 0 0 ${k.length}\r\n${k}\r\n`;
  await c.send(batch);
  await c.readUntil((b) => {
    const s = new TextDecoder().decode(b);
    return s.split("STORED\r\n").length - 1 === keys.length ? b.length : 0;
  }, 20000);
  const asked = [...keys.filter((_, i) => i % 3 !== 0), "absent"].reverse();
  await c.send(`get ${asked.join(" ")}\r\n`);
  const got = await readGet(c);
  const expected =
    asked.filter((k) => k !== "absent").map((k) => `VALUE ${k} 0 ${k.length}\r\n${k}\r\n`)
      .join("") + "END\r\n";
  assert.equal(got, expected);
});

Deno.test("memcache: values of 0, 1, 16 KiB +- 1 and 1 MB bytes, binary, round-trip", async () => {
  await using backends = await startMemcacheds(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  for (const size of [0, 1, 16383, 16384, 16385, 1000 * 1000]) {
    const value = new Uint8Array(size);
    for (let i = 0; i < size; i++) value[i] = (i * 31 + size) & 0xff;
    const head = enc.encode(`set bin${size} 5 0 ${size}\r\n`);
    const msg = new Uint8Array(head.length + size + 2);
    msg.set(head);
    msg.set(value, head.length);
    msg.set([13, 10], head.length + size);
    await c.send(msg);
    assert.equal(await c.readLine(), "STORED");
    await c.send(`get bin${size}\r\n`);
    const header = enc.encode(`VALUE bin${size} 5 ${size}\r\n`);
    const total = header.length + size + 2 + 5;
    const got = await c.readUntil((b) => b.length >= total ? total : 0, 10000);
    assert.deepEqual(got.subarray(0, header.length), header);
    assert.deepEqual(got.subarray(header.length, header.length + size), value);
    assert.equal(new TextDecoder().decode(got.subarray(header.length + size)), "\r\nEND\r\n");
  }
});

Deno.test("memcache: noreply interleaved with normal commands keeps replies in step", async () => {
  await using backends = await startMemcacheds(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  await c.send(
    "set a 0 0 1 noreply\r\n1\r\nget a\r\nadd a 0 0 1 noreply\r\n2\r\nincr a 5\r\n" +
      "delete a noreply\r\nget a\r\n",
  );
  assert.equal(await c.readUntilText("END\r\n"), "VALUE a 0 1\r\n1\r\nEND\r\n");
  assert.equal(await c.readLine(), "6");
  assert.equal(await readGet(c), "END\r\n");
});

Deno.test("memcache: unknown commands get ERROR and the connection stays usable", async () => {
  await using backends = await startMemcacheds(1);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  await c.send("bogus\r\nGET a\r\nversion\r\n");
  assert.equal(await c.readLine(), "ERROR");
  assert.equal(await c.readLine(), "ERROR");
  assert.match(await c.readLine(), /^VERSION /);
});

Deno.test("memcache: a noreply command that fails stays silent, so replies never shift", async () => {
  await using backends = await startMemcacheds(1);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  // A backend error on a noreply command (bad data chunk is caught by the
  // proxy; a non-numeric incr is answered with CLIENT_ERROR by memcached).
  await c.send("set n 0 0 1\r\na\r\nincr n 1 noreply\r\nget n\r\n");
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await readGet(c), "VALUE n 0 1\r\na\r\nEND\r\n");
  // A forwarding failure on a noreply command.
  await backends.list[0]!.stop();
  await c.send("set m 0 0 1 noreply\r\nb\r\nget m\r\n");
  assert.match(await c.readLine(), /^SERVER_ERROR /);
  await c.send("version\r\n");
  assert.match(await c.readLine(), /^VERSION /);
});

Deno.test("memcache: keys with control bytes work as in memcached (memcaslap's keys)", async () => {
  await using backends = await startMemcacheds(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const key = "\x10\x01k\x7fey";
  await c.send(`set ${key} 0 0 2\r\nhi\r\nget ${key}\r\n`);
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await readGet(c), `VALUE ${key} 0 2\r\nhi\r\nEND\r\n`);
  // A NUL ends the line, as inside memcached: `get a`.
  await c.send("get a\x00b\r\n");
  assert.equal(await c.readLine(), "END");
});

Deno.test("memcache: gat/gats, touch, cas, append/prepend, incr/decr through the pool", async () => {
  await using backends = await startMemcacheds(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const keys = ["ga", "gb", "gc", "gd", "ge", "gf"];
  for (const k of keys) {
    await c.send(`set ${k} 7 0 ${k.length}\r\n${k}\r\n`);
    assert.equal(await c.readLine(), "STORED");
  }
  await c.send(`gat 100 ${keys.join(" ")} missing\r\n`);
  assert.equal(
    await readGet(c),
    keys.map((k) => `VALUE ${k} 7 ${k.length}\r\n${k}\r\n`).join("") + "END\r\n",
  );
  await c.send(`gats 100 ${keys.slice(0, 3).join(" ")}\r\n`);
  const gats = await readGet(c);
  const uniques = [...gats.matchAll(/^VALUE (\S+) 7 2 (\d+)\r\n/gm)];
  assert.deepEqual(uniques.map((m) => m[1]), keys.slice(0, 3));
  await c.send(`cas ga 1 0 2 ${uniques[0]![2]}\r\nGA\r\ncas ga 1 0 2 ${uniques[0]![2]}\r\nXX\r\n`);
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await c.readLine(), "EXISTS");
  await c.send("append gb 0 0 2\r\n++\r\nprepend gb 0 0 2\r\n--\r\nget gb\r\n");
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await readGet(c), "VALUE gb 7 6\r\n--gb++\r\nEND\r\n");
  await c.send("touch gc 10\r\ntouch nokey 10\r\n");
  assert.equal(await c.readLine(), "TOUCHED");
  assert.equal(await c.readLine(), "NOT_FOUND");
  await c.send("set n 0 0 2\r\n10\r\nincr n 5\r\ndecr n 20\r\nincr gd 1\r\n");
  assert.equal(await c.readLine(), "STORED");
  assert.equal(await c.readLine(), "15");
  assert.equal(await c.readLine(), "0");
  assert.equal(
    await c.readLine(),
    "CLIENT_ERROR cannot increment or decrement non-numeric value",
  );
});

Deno.test("memcache: flush_all and verbosity reach every server; stats and version are the proxy's", async () => {
  await using backends = await startMemcacheds(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  for (let i = 0; i < 30; i++) await c.send(`set f${i} 0 0 1\r\nx\r\n`);
  for (let i = 0; i < 30; i++) assert.equal(await c.readLine(), "STORED");
  await c.send("verbosity 1\r\nflush_all\r\n");
  assert.equal(await c.readLine(), "OK");
  assert.equal(await c.readLine(), "OK");
  for (const port of backends.ports) {
    await using d = await RawClient.connect(port);
    await d.send(`get ${Array.from({ length: 30 }, (_, i) => `f${i}`).join(" ")}\r\n`);
    assert.equal(await readGet(d), "END\r\n", `server ${port} flushed`);
  }
  await c.send("stats\r\n");
  const stats = await c.readUntilText("END\r\n");
  assert.match(stats, /^STAT pid \d+\r\n/);
  assert.match(stats, /STAT client_connections 1\r\n/);
  await c.send("version\r\n");
  assert.match(await c.readLine(), /^VERSION 1\.6\.0-nutmeg-/);
});

Deno.test("memcache: 20 clients pipelining 500 mixed commands each (10,000) get their own replies", async () => {
  await using backends = await startMemcacheds(3);
  await using proxy = await startProxy(pool(backends.ports));
  await Promise.all(Array.from({ length: 20 }, async (_, ci) => {
    await using c = await RawClient.connect(proxy.port);
    let req = "";
    let expected = "";
    for (let i = 0; i < 125; i++) {
      const k = `p${ci}:${i}`;
      const v = `${ci}-${i}`;
      req += `set ${k} ${ci} 0 ${v.length}\r\n${v}\r\n`;
      expected += "STORED\r\n";
      req += `set ${k}q 0 0 1 noreply\r\nq\r\n`;
      req += `get ${k} ${k}q p${ci}:missing\r\n`;
      expected += `VALUE ${k} ${ci} ${v.length}\r\n${v}\r\nVALUE ${k}q 0 1\r\nq\r\nEND\r\n`;
      req += `delete ${k}q\r\n`;
      expected += "DELETED\r\n";
    }
    await c.send(req);
    const got = await c.readText(new TextEncoder().encode(expected).length, 20000);
    assert.equal(got, expected);
  }));
});
