/**
 * End-to-end: RESP3 clients through nutmeg to a 3-server pool. redis-py 8
 * (installed into a virtual environment by the test set-up, as a new user
 * would) and node-redis 5 with `RESP: 3` use their defaults; their
 * requests travel on server connections that sent HELLO 3, so maps, sets
 * and doubles pass through as the server wrote them, and the replies the
 * proxy writes itself (HELLO, CLIENT, INFO, merged MGET ...) are RESP3.
 */
import assert from "node:assert/strict";
import { createClient } from "npm:redis@5.8.3";
import { pythonWithRedisPy } from "./_support/python_redis.ts";
import { startRedises } from "./_support/servers.ts";
import { redisPool as pool, startProxy, type TestProxy } from "./_support/proxy.ts";

/** One key on each server of the proxy's first pool, in server order. */
function keyPerServer(proxy: TestProxy, prefix: string): string[] {
  const p = proxy.placement.pools[0]!;
  const keys: string[] = new Array(p.serverCount);
  let found = 0;
  for (let i = 0; found < p.serverCount; i++) {
    const k = `${prefix}${i}`;
    const b = new TextEncoder().encode(k);
    const s = p.serverOf(b, 0, b.length);
    if (keys[s] === undefined) {
      keys[s] = k;
      found++;
    }
  }
  return keys;
}

Deno.test("redis-py 8 with its defaults (RESP3): get/set, MGET over 3 servers, pipelines, maps, sets, doubles, EVAL, asyncio", async () => {
  const python = await pythonWithRedisPy();
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const script = new URL("./fixtures/redis_py_resp3.py", import.meta.url).pathname;
  const child = new Deno.Command(python, {
    args: [script, String(proxy.port), keyPerServer(proxy, "py:k").join(",")],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  assert.equal(
    `${dec.decode(out.stdout)}${dec.decode(out.stderr)}`.trim(),
    "ok",
    "redis_py_resp3.py",
  );
  assert.equal(out.code, 0);
});

Deno.test("node-redis 5 with RESP: 3: maps, sets, doubles, MGET over 3 servers, a password", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports, "  redis_auth: s3cret\n"));
  const client = createClient({
    socket: { host: "127.0.0.1", port: proxy.port },
    password: "s3cret",
    RESP: 3,
  });
  client.on("error", () => {});
  await client.connect();
  try {
    assert.equal(await client.set("nr:a", "1"), "OK");
    assert.equal(await client.get("nr:a"), "1");
    const keys = keyPerServer(proxy, "nr:k");
    await client.mSet(keys.map((k, i) => [k, `v${i}`] as [string, string]));
    assert.deepEqual(await client.mGet([...keys, "nr:nope"]), ["v0", "v1", "v2", null]);
    await client.hSet("nr:h", { f: "1", g: "2" });
    assert.deepEqual({ ...(await client.hGetAll("nr:h")) }, { f: "1", g: "2" });
    await client.sAdd("nr:s", ["x", "y"]);
    assert.deepEqual([...(await client.sMembers("nr:s"))].sort(), ["x", "y"]);
    await client.zAdd("nr:z", { score: 2.5, value: "m" });
    assert.equal(await client.zScore("nr:z", "m"), 2.5);
    assert.equal(await client.del(keys), 3);
    assert.match(String(await client.clientInfo().then((i) => i.resp)), /^3$/);
    const [a, b] = await Promise.all([client.incr("nr:n"), client.incr("nr:n")]);
    assert.deepEqual([a, b].sort(), [1, 2]);
  } finally {
    client.destroy();
  }
  // The servers saw RESP3 connections beside any RESP2 ones.
  const served = (await proxy.stats()).pools[0]!.servers.map((s) => s.stats.server_connections);
  assert.ok(served.every((n) => n >= 1), `server connections ${served}`);
});

Deno.test("INFO merges every server's (keys, memory, clients, commands summed) and redis-cli --stat reads the pool", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const keys = keyPerServer(proxy, "st:k");
  const client = createClient({ socket: { host: "127.0.0.1", port: proxy.port } });
  client.on("error", () => {});
  await client.connect();
  let info: string;
  try {
    await client.mSet(keys.map((k) => [k, "v"] as [string, string]));
    info = await client.info();
  } finally {
    client.destroy();
  }
  assert.match(info, /^# Server\r\nredis_version:7\.0\.\d+\r\n/);
  assert.match(info, /\r\ndb0:keys=3,expires=0,avg_ttl=0\r\n/);
  const field = (name: string) => Number(new RegExp(`\\r\\n${name}:(\\d+)\\r\\n`).exec(info)![1]);
  assert.ok(field("connected_clients") >= 3, "one server connection to each of 3 servers at least");
  assert.ok(field("used_memory") > 3 * 500_000, `used_memory ${field("used_memory")}`);
  assert.ok(field("total_commands_processed") >= 3);
  assert.match(info, /\r\n# Proxy\r\nnutmeg_version:[^\r]+\r\npool:alpha\r\nservers:3\r\n/);
  assert.match(info, /\r\nservers_answering:3\r\n$/);

  // redis-cli --stat: one line a tick; its columns come from INFO.
  const child = new Deno.Command("redis-cli", {
    args: ["-p", String(proxy.port), "--stat", "-i", "0.1"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  let out = "";
  try {
    while ((out.match(/\n/g) ?? []).length < 4) {
      const { value, done } = await reader.read();
      if (done) break;
      out += new TextDecoder().decode(value);
    }
  } finally {
    child.kill("SIGKILL");
    reader.releaseLock();
    await child.stdout.cancel();
    await child.stderr.cancel();
    await child.status;
  }
  assert.ok(!out.includes("-9223372036854775808"), out);
  const row = out.split("\n").find((l) => /^\d/.test(l));
  assert.ok(row !== undefined, out);
  assert.match(row, /^3\s+\d+(\.\d+)?[KMG]\s+\d+\s+0\s+\d+/, out);
});
