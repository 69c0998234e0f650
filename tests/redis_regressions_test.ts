/**
 * End-to-end: the regression inputs from twemproxy's history
 * (shared/reference/bad-inputs.md) sent raw through nutmeg to real
 * redis-servers.
 */
import assert from "node:assert/strict";
import { RawClient, startRedises } from "./_support/servers.ts";
import { redisPool as pool, startProxy } from "./_support/proxy.ts";
import { cmd, decodeAll, replies, type Reply, ReplyError } from "./_support/resp.ts";

async function call(c: RawClient, ...args: (string | number | Uint8Array)[]): Promise<Reply> {
  await c.send(cmd(...args));
  return decodeAll(await c.readUntil(replies(1), 30_000))[0]!;
}

Deno.test("regressions: odd MSET, bare GET, tagged MGET, keys near the chunk size", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  for (const args of [["mset", "a"], ["mset", "a", "a", "a"], ["get"]]) {
    const r = await call(c, ...args);
    assert.ok(r instanceof ReplyError, String(r));
    assert.equal(r.message, `ERR wrong number of arguments for '${args[0]}' command`);
  }
  // Inline `get ` with no key.
  await c.send("get \r\n");
  const inline = decodeAll(await c.readUntil(replies(1)))[0];
  assert.ok(inline instanceof ReplyError && /wrong number of arguments/.test(inline.message));
  assert.equal(await call(c, "mset", "{a}1", "x", "{b}1", "y"), "OK");
  assert.deepEqual(await call(c, "MGET", "{a}1", "{b}1"), ["x", "y"]);
  // Key plus value lengths around multiples of the 16 KiB read chunk.
  for (let n = 16384 - 40; n <= 16384 + 40; n += 7) {
    const v = "v".repeat(n);
    assert.equal(await call(c, "SET", `chunk${n}`, v), "OK");
    assert.equal(await call(c, "GET", `chunk${n}`), v);
  }
  assert.equal(await call(c, "PING"), "PONG");
});

Deno.test("regressions: five 16 MiB values in one MGET", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const big = new Uint8Array(16 << 20);
  for (let i = 0; i < big.length; i += 4096) big[i] = 65 + (i >> 12) % 26;
  const keys = ["b1", "b2", "b3", "b4", "b5"];
  for (const k of keys) assert.equal(await call(c, "SET", k, big), "OK");
  await c.send(cmd("MGET", ...keys));
  const head = new TextEncoder().encode(`$${big.length}\r\n`);
  const total = 4 + 5 * (head.length + big.length + 2);
  const raw = await c.readUntil((b) => b.length >= total ? total : 0, 60_000);
  assert.equal(new TextDecoder().decode(raw.subarray(0, 4)), "*5\r\n");
  for (let i = 0; i < 5; i++) {
    const at = 4 + i * (head.length + big.length + 2);
    assert.deepEqual(raw.subarray(at, at + head.length), head);
    assert.deepEqual(raw.subarray(at + head.length, at + head.length + big.length), big);
  }
  assert.equal(c.buffered.length, 0, "nothing more than the one reply");
});

Deno.test("regressions: nested and status-only array replies from scripts pass through intact", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const nested = await call(
    c,
    "EVAL",
    "local t = {'leaf'} for i = 1, 19 do t = {t} end return t",
    1,
    "{n}k",
  );
  let depth = 0;
  let cur: Reply = nested;
  while (Array.isArray(cur)) {
    depth++;
    cur = cur[0]!;
  }
  assert.equal(depth, 20);
  assert.equal(cur, "leaf");
  const mixed = await call(
    c,
    "EVAL",
    "return {redis.status_reply('OK'), redis.error_reply('ERR inside'), 'x', 1}",
    1,
    "{n}k",
  );
  assert.ok(Array.isArray(mixed));
  assert.equal(mixed[0], "OK");
  assert.ok(mixed[1] instanceof ReplyError && mixed[1].message === "ERR inside");
  assert.deepEqual(mixed.slice(2), ["x", 1]);
  const statuses = await call(
    c,
    "EVAL",
    "return {redis.status_reply('A'), redis.status_reply('B')}",
    1,
    "k",
  );
  assert.deepEqual(statuses, ["A", "B"]);
});

Deno.test("regressions: a timeout during a slow Lua script does not shift replies between clients", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports, "  timeout: 200\n"));
  await using a = await RawClient.connect(proxy.port);
  await using b = await RawClient.connect(proxy.port);
  assert.equal(await call(b, "SET", "mine", "b-value"), "OK");
  // A script that keeps redis busy for one to two seconds.
  await a.send(
    cmd(
      "EVAL",
      "local t = redis.call('time')[1] + 2 while tonumber(redis.call('time')[1]) < t do end return 'late'",
      1,
      "mine",
    ),
  );
  const timedOut = decodeAll(await a.readUntil(replies(1), 10_000))[0];
  assert.ok(timedOut instanceof ReplyError && timedOut.message === "ERR Connection timed out");
  // After the script ends, each client gets its own replies.
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await call(b, "GET", "mine"), "b-value");
  assert.equal(await call(a, "SET", "a-key", "a-value"), "OK");
  assert.equal(await call(b, "GET", "a-key"), "a-value");
});
