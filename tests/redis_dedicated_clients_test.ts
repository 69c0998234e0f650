/**
 * End-to-end: the pub/sub, blocking and transaction APIs of real Redis
 * clients (ioredis, node-redis v5, redis-py) through nutmeg to a
 * 3-server pool, with their default settings otherwise; redis-py with RESP2
 * and with RESP3 (its default).
 */
import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@5.9.2";
import { createClient } from "npm:redis@5.8.3";
import { startRedises } from "./_support/servers.ts";
import { redisPool as pool, serverOf, startProxy, type TestProxy } from "./_support/proxy.ts";
import { pythonWithRedisPy } from "./_support/python_redis.ts";

/** One channel per server of the pool. */
function channels(proxy: TestProxy, prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < 3; i++) {
    const ch = `{${prefix}${i}}ch`;
    if (!out.some((c) => serverOf(proxy, c) === serverOf(proxy, ch))) out.push(ch);
  }
  return out;
}

/** Whether no server holds a dedicated connection any more (summed over workers). */
async function allClosed(proxy: TestProxy): Promise<boolean> {
  const stats = await proxy.stats();
  return stats.pools[0]!.servers.every((s) => s.stats.dedicated_connections === 0);
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

Deno.test("ioredis: subscribe/psubscribe over 3 servers, BLPOP woken, MULTI/EXEC, WATCH", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const sub = new Redis({ host: "127.0.0.1", port: proxy.port });
  const pub = new Redis({ host: "127.0.0.1", port: proxy.port });
  const blocker = new Redis({ host: "127.0.0.1", port: proxy.port });
  try {
    const chs = channels(proxy, "io");
    const got: string[] = [];
    const all = Promise.withResolvers<void>();
    sub.on("message", (ch: string, m: string) => {
      got.push(`${ch}:${m}`);
      if (got.length === 6) all.resolve();
    });
    sub.on("pmessage", (p: string, ch: string, m: string) => {
      got.push(`${p}|${ch}:${m}`);
      if (got.length === 6) all.resolve();
    });
    assert.equal(await sub.subscribe(...chs), 3);
    assert.equal(await sub.psubscribe("*ch"), 4);
    for (const ch of chs) assert.equal(await pub.publish(ch, "hi"), 2);
    await all.promise;
    assert.deepEqual(
      got.sort(),
      [...chs.map((c) => `${c}:hi`), ...chs.map((c) => `*ch|${c}:hi`)].sort(),
    );
    assert.deepEqual(await pub.pubsub("NUMSUB", ...chs), chs.flatMap((c) => [c, 1]));
    assert.equal(await pub.pubsub("NUMPAT"), 1);
    // (ioredis's argument-less unsubscribe() waits forever while patterns remain,
    // against redis-server too: name them.)
    assert.equal(await sub.unsubscribe(...chs), 1);
    assert.equal(await sub.punsubscribe("*ch"), 0);
    assert.equal(await sub.ping(), "PONG");

    const popped = blocker.blpop("{io}q", 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await pub.rpush("{io}q", "job"), 1);
    assert.deepEqual(await popped, ["{io}q", "job"]);
    assert.equal(await blocker.brpop("{io}q", 0.1), null);

    const res = await pub.multi().set("{io}a", "1").incr("{io}a").get("{io}a").exec();
    assert.deepEqual(res, [[null, "OK"], [null, 2], [null, "2"]]);
    await pub.watch("{io}a");
    await blocker.set("{io}a", "changed");
    assert.equal(await pub.multi().set("{io}a", "mine").exec(), null);
    assert.equal(await pub.get("{io}a"), "changed");
  } finally {
    await Promise.all([sub.quit(), pub.quit(), blocker.quit()]);
  }
  await until("dedicated connections to close", () => allClosed(proxy));
});

Deno.test("node-redis v5: subscribe, pSubscribe, blPop, multi and watch through 3 servers", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const url = `redis://127.0.0.1:${proxy.port}`;
  const c = createClient({ url });
  c.on("error", () => {});
  await c.connect();
  const sub = c.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  const other = c.duplicate();
  other.on("error", () => {});
  await other.connect();
  try {
    const chs = channels(proxy, "nr");
    const got: string[] = [];
    const all = Promise.withResolvers<void>();
    const note = (s: string) => {
      got.push(s);
      if (got.length === 6) all.resolve();
    };
    await sub.subscribe(chs, (m: string, ch: string) => note(`${ch}:${m}`));
    await sub.pSubscribe("*ch", (m: string, ch: string) => note(`*|${ch}:${m}`));
    for (const ch of chs) assert.equal(await c.publish(ch, "hi"), 2);
    await all.promise;
    assert.deepEqual(
      got.sort(),
      [...chs.map((ch) => `${ch}:hi`), ...chs.map((ch) => `*|${ch}:hi`)].sort(),
    );
    await sub.unsubscribe(chs);
    await sub.pUnsubscribe("*ch");

    const popped = other.blPop("{nr}q", 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await c.rPush("{nr}q", "job"), 1);
    assert.deepEqual({ ...(await popped)! }, { key: "{nr}q", element: "job" });

    assert.deepEqual(
      await c.multi().set("{nr}a", "1").incr("{nr}a").get("{nr}a").exec(),
      ["OK", 2, "2"],
    );
    await c.watch("{nr}a");
    await other.set("{nr}a", "changed");
    await assert.rejects(c.multi().set("{nr}a", "mine").exec(), /WATCH|aborted|null/i);
    assert.equal(await c.get("{nr}a"), "changed");
  } finally {
    await Promise.all([c.quit(), sub.quit(), other.quit()]);
  }
  await until("dedicated connections to close", () => allClosed(proxy));
});

Deno.test("redis-py: BLPOP, pipelines with MULTI/EXEC, WATCH, pub/sub over RESP2 and RESP3", async () => {
  const python = await pythonWithRedisPy();
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const script = new URL("./fixtures/redis_py_dedicated.py", import.meta.url).pathname;
  for (const protocol of ["2", "3"]) {
    const out = await new Deno.Command(python, {
      args: [script, String(proxy.port), protocol, channels(proxy, `py${protocol}`).join(",")],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `redis_py_dedicated.py with protocol=${protocol}:\n${text}`);
    assert.match(text, /^ok$/m);
  }
  await until("dedicated connections to close", () => allClosed(proxy));
});
