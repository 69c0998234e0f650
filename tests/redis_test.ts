/**
 * End-to-end: Redis clients through nutmeg to real redis-servers.
 */
import assert from "node:assert/strict";
import { RawClient, startRedises } from "./_support/servers.ts";
import { serverLines, startProxy } from "./_support/proxy.ts";
import { cmd, concat, decodeAll, replies, type Reply, ReplyError } from "./_support/resp.ts";

async function call(c: RawClient, ...args: (string | number)[]): Promise<Reply> {
  await c.send(cmd(...args));
  return decodeAll(await c.readUntil(replies(1)))[0]!;
}

function pool(ports: number[], extra = ""): string {
  return `alpha:\n  listen: AUTO\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n${extra}  servers:\n${
    serverLines(ports)
  }\n`;
}

Deno.test("redis: each key is stored on exactly the server the pool places it on", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports).replace("fnv1a_64", "murmur"));
  await using c = await RawClient.connect(proxy.port);
  const n = 90;
  for (let i = 0; i < n; i++) assert.equal(await call(c, "SET", `key:${i}`, `v${i}`), "OK");
  for (let i = 0; i < n; i++) assert.equal(await call(c, "GET", `key:${i}`), `v${i}`);
  const enc = new TextEncoder();
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const k = enc.encode(`key:${i}`);
    const p = proxy.placement.pools[0]!;
    const owner = p.servers[p.serverOf(k, 0, k.length)]!.address;
    assert.equal(owner.transport, "tcp");
    const ownerPort = owner.transport === "tcp" ? owner.port : 0;
    counts[backends.ports.indexOf(ownerPort)]!++;
    for (const port of backends.ports) {
      await using d = await RawClient.connect(port);
      assert.equal(await call(d, "EXISTS", `key:${i}`), port === ownerPort ? 1 : 0, `key:${i}`);
    }
  }
  assert.ok(counts.every((k) => k > 0), `all servers get keys: ${counts}`);
});

Deno.test("redis: MGET, DEL, EXISTS and MSET split across servers and merge in key order", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const keys = Array.from({ length: 40 }, (_, i) => `mk${i}`);
  const mset: string[] = [];
  keys.forEach((k, i) => mset.push(k, `val${i}`));
  assert.equal(await call(c, "MSET", ...mset), "OK");
  const got = await call(c, "MGET", ...keys, "missing");
  assert.deepEqual(got, [...keys.map((_, i) => `val${i}`), null]);
  assert.equal(await call(c, "EXISTS", ...keys, "missing", keys[0]!), 41);
  assert.equal(await call(c, "DEL", ...keys.slice(0, 10), "missing"), 10);
  assert.deepEqual(await call(c, "MGET", keys[0]!, keys[10]!), [null, "val10"]);
});

Deno.test("redis: 50 clients pipelining 10,000 mixed commands each get their own replies in order", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const clients = 50;
  const perClient = 200;
  await Promise.all(Array.from({ length: clients }, async (_, ci) => {
    await using c = await RawClient.connect(proxy.port);
    const parts: Uint8Array[] = [];
    const expected: Reply[] = [];
    for (let i = 0; i < perClient; i++) {
      const key = `c${ci}:k${i}`;
      switch (i % 4) {
        case 0:
          parts.push(cmd("SET", key, `${ci}-${i}`));
          expected.push("OK");
          break;
        case 1:
          parts.push(cmd("GET", `c${ci}:k${i - 1}`));
          expected.push(`${ci}-${i - 1}`);
          break;
        case 2:
          parts.push(cmd("INCRBY", key, ci));
          expected.push(ci);
          break;
        default:
          parts.push(cmd("MGET", `c${ci}:k${i - 3}`, `c${ci}:k${i - 1}`, "nokey"));
          expected.push([`${ci}-${i - 3}`, String(ci), null]);
      }
    }
    await c.send(concat(parts));
    const got = decodeAll(await c.readUntil(replies(perClient), 20000));
    assert.deepEqual(got, expected);
  }));
});

Deno.test("redis: a pipeline split at every byte gives the same replies", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(pool(backends.ports));
  const bytes = concat([
    cmd("SET", "split:a", "x\r\ny"),
    cmd("MGET", "split:a", "split:b"),
    new TextEncoder().encode("PING\r\n"),
    cmd("GET", "split:a"),
  ]);
  await using c = await RawClient.connect(proxy.port);
  for (let i = 0; i < bytes.length; i++) {
    await c.send(bytes.subarray(i, i + 1));
    if (i % 7 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const got = decodeAll(await c.readUntil(replies(4)));
  assert.deepEqual(got, ["OK", ["x\r\ny", null], "PONG", "x\r\ny"]);
});

Deno.test("redis: unknown and wrong-arity commands get errors and the connection stays open", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const bad = await call(c, "NOSUCHCMD", "a");
  assert.ok(
    bad instanceof ReplyError && bad.message.startsWith("ERR unknown command"),
    String(bad),
  );
  const arity = await call(c, "GET");
  assert.ok(arity instanceof ReplyError);
  assert.equal(arity.message, "ERR wrong number of arguments for 'get' command");
  assert.equal(await call(c, "PING"), "PONG");
});

Deno.test("redis: a dead backend gives an error reply and the client keeps its connection", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  assert.equal(await call(c, "SET", "a", "1"), "OK");
  await backends.list[0]!.stop();
  const r = await call(c, "GET", "a");
  assert.ok(
    r instanceof ReplyError && /^ERR Connection (refused|reset by peer|closed)/.test(r.message),
    String(r),
  );
  assert.equal(await call(c, "PING"), "PONG");
});
