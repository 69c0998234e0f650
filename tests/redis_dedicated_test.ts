/**
 * End-to-end: Redis commands that need a server connection of their own —
 * blocking commands, transactions, pub/sub — through a 3-server pool, each
 * behaviour compared byte for byte with the same client talking to one
 * redis-server directly.
 */
import assert from "node:assert/strict";
import { RawClient, startRedis, startRedises } from "./_support/servers.ts";
import { redisPool as pool, serverOf, startProxy, type TestProxy } from "./_support/proxy.ts";
import { cmd, decodeAll, replies, type Reply } from "./_support/resp.ts";
import { latin1 } from "./_support/bytes.ts";

/** The port of the backend owning `key` (pool order is by server name, not the file's). */
function portOf(proxy: TestProxy, key: string): number {
  const a = proxy.placement.pools[0]!.servers[serverOf(proxy, key)]!.address;
  if (a.transport !== "tcp") throw new Error("tcp backends only");
  return a.port;
}

/** Each server's dedicated connections now (summed over workers). */
async function dedicated(proxy: TestProxy): Promise<number[]> {
  return (await proxy.stats()).pools[0]!.servers.map((s) => s.stats.dedicated_connections);
}

/** Whether no server holds a dedicated connection any more. */
async function noneDedicated(proxy: TestProxy): Promise<boolean> {
  return (await dedicated(proxy)).every((n) => n === 0);
}

/** A hash tag `{tN}` placed on server `server`, and one placed elsewhere. */
function tagOn(proxy: TestProxy, server: number, from = 0): string {
  for (let i = from;; i++) if (serverOf(proxy, `{t${i}}`) === server) return `{t${i}}`;
}

/** Sends one command and returns its raw reply. */
async function raw(c: RawClient, ...args: (string | number)[]): Promise<string> {
  await c.send(cmd(...args));
  return latin1(await c.readUntil(replies(1)));
}

/** Sends commands pipelined and returns their raw replies. */
async function pipeline(c: RawClient, commands: (string | number)[][]): Promise<string[]> {
  const bytes = commands.map((a) => cmd(...a));
  for (const b of bytes) await c.send(b);
  const out: string[] = [];
  for (let i = 0; i < commands.length; i++) out.push(latin1(await c.readUntil(replies(1))));
  return out;
}

/** The backend's clients blocked in `command`, from CLIENT LIST. */
async function clientsIn(port: number, command: string): Promise<number> {
  await using c = await RawClient.connect(port);
  await c.send(cmd("CLIENT", "LIST"));
  const list = decodeAll(await c.readUntil(replies(1)))[0] as string;
  return list.split("\n").filter((l) => l.includes(` cmd=${command} `)).length;
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`Gave up waiting for ${what}`);
}

interface Setup extends AsyncDisposable {
  readonly proxy: TestProxy;
  readonly ports: number[];
  /** A direct redis-server for comparison. */
  readonly direct: number;
}

async function setup(extra = ""): Promise<Setup> {
  const backends = await startRedises(3);
  const direct = await startRedis();
  const proxy = await startProxy(pool(backends.ports, extra));
  return {
    proxy,
    ports: backends.ports,
    direct: direct.port,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await backends[Symbol.asyncDispose]();
      await direct[Symbol.asyncDispose]();
    },
  };
}

/** Runs `script` against the proxy and against the direct server; both give the same bytes. */
async function sameAsDirect(
  s: Setup,
  script: (c: RawClient, other: RawClient) => Promise<string[]>,
): Promise<string[]> {
  const results: string[][] = [];
  for (const port of [s.direct, s.proxy.port]) {
    for (const p of [s.direct, ...s.ports]) {
      await using c = await RawClient.connect(p);
      await raw(c, "FLUSHALL");
    }
    await using c = await RawClient.connect(port);
    await using other = await RawClient.connect(port);
    results.push(await script(c, other));
  }
  assert.deepEqual(results[1], results[0]);
  return results[1]!;
}

// ---- blocking commands ----------------------------------------------------

Deno.test("BLPOP woken by an LPUSH from another client, as from redis-server", async () => {
  await using s = await setup();
  const got = await sameAsDirect(s, async (c, other) => {
    await c.send(cmd("BLPOP", "{q}list", "{q}other", 0));
    await new Promise((r) => setTimeout(r, 100));
    const pushed = await raw(other, "LPUSH", "{q}list", "hello");
    const woken = latin1(await c.readUntil(replies(1)));
    return [pushed, woken, await raw(c, "LLEN", "{q}list")];
  });
  assert.deepEqual(got, [":1\r\n", "*2\r\n$7\r\n{q}list\r\n$5\r\nhello\r\n", ":0\r\n"]);
});

Deno.test("BLPOP times out as redis-server does, and the pool timeout does not cut it short", async () => {
  await using s = await setup("  timeout: 50\n");
  const got = await sameAsDirect(s, async (c) => {
    return [
      await raw(c, "BLPOP", "{q}none", "0.3"),
      await raw(c, "BZPOPMIN", "{q}z", "0.2"),
      await raw(c, "BLMOVE", "{q}a", "{q}b", "LEFT", "RIGHT", "0.1"),
      await raw(c, "BLMPOP", "0.1", 2, "{q}a", "{q}b", "LEFT"),
      await raw(c, "XREAD", "BLOCK", 200, "STREAMS", "{q}s", "$"),
      await raw(c, "BLPOP", "{q}none", "-1"),
      await raw(c, "BLPOP", "{q}none", "x"),
    ];
  });
  assert.equal(got[0], "*-1\r\n");
  for (const p of s.ports) assert.equal(await clientsIn(p, "blpop"), 0);
});

Deno.test("blocking commands pipelined with others: the next commands wait for the blocked one", async () => {
  await using s = await setup();
  await sameAsDirect(s, async (c, other) => {
    await c.send(cmd("BRPOP", "{q}l", 0));
    await c.send(cmd("GET", "{q}x"));
    await c.send(cmd("RPUSH", "{q}l", "mine"));
    await new Promise((r) => setTimeout(r, 100));
    const early = c.buffered.length;
    const a = await raw(other, "SET", "{q}x", "set-while-blocked");
    const b = await raw(other, "RPUSH", "{q}l", "theirs");
    const rest = await c.readUntil(replies(3));
    return [String(early), a, b, latin1(rest), await raw(c, "LRANGE", "{q}l", 0, -1)];
  });
});

Deno.test("XREAD and XREADGROUP with and without BLOCK; keys on two servers refused", async () => {
  await using s = await setup();
  const a = tagOn(s.proxy, 0);
  const b = tagOn(s.proxy, 1);
  await sameAsDirect(s, async (c, other) => {
    const out = [
      await raw(c, "XADD", `${a}s`, "1-1", "f", "v"),
      await raw(c, "XREAD", "COUNT", 5, "STREAMS", `${a}s`, "0"),
      await raw(c, "XGROUP", "CREATE", `${a}s`, "g", "$"),
    ];
    await c.send(cmd("XREADGROUP", "GROUP", "g", "c1", "BLOCK", 0, "STREAMS", `${a}s`, ">"));
    await new Promise((r) => setTimeout(r, 100));
    out.push(await raw(other, "XADD", `${a}s`, "2-1", "f", "w"));
    out.push(latin1(await c.readUntil(replies(1))));
    return out;
  });
  await using c = await RawClient.connect(s.proxy.port);
  assert.match(await raw(c, "BLPOP", `${a}x`, `${b}x`, 1), /^-ERR keys in 'blpop' command map/);
  assert.match(
    await raw(c, "XREAD", "STREAMS", `${a}x`, `${b}x`, "0", "0"),
    /^-ERR keys in 'xread' command map/,
  );
});

Deno.test("a client killed while blocked: its dedicated backend connection closes at once", async () => {
  await using s = await setup();
  const key = "{k}list";
  const server = portOf(s.proxy, key);
  const index = serverOf(s.proxy, key);
  const c = await RawClient.connect(s.proxy.port);
  await c.send(cmd("BLPOP", key, 0));
  await until("the backend to see the BLPOP", async () => await clientsIn(server, "blpop") === 1);
  assert.equal((await dedicated(s.proxy))[index], 1);
  await c[Symbol.asyncDispose]();
  await until(
    "the dedicated connection to close",
    async () => await clientsIn(server, "blpop") === 0,
  );
  await until("the gauge to drop", async () => (await dedicated(s.proxy))[index] === 0);
  // The list still works; nothing was popped for the dead client.
  await using d = await RawClient.connect(s.proxy.port);
  assert.equal(await raw(d, "RPUSH", key, "x"), ":1\r\n");
  assert.equal(await raw(d, "LPOP", key), "$1\r\nx\r\n");
});

Deno.test("dedicated_connections caps dedicated connections per server with a clear error", async () => {
  // With several workers the cap is the process's (lib/runtime/shared_quota.ts),
  // on whichever workers the two clients land.
  await using s = await setup("  dedicated_connections: 1\n");
  const key = "{k}list";
  await using a = await RawClient.connect(s.proxy.port);
  await a.send(cmd("BLPOP", key, 0));
  const server = portOf(s.proxy, key);
  await until("the backend to see the BLPOP", async () => await clientsIn(server, "blpop") === 1);
  await using b = await RawClient.connect(s.proxy.port);
  assert.match(
    await raw(b, "BLPOP", key, 0),
    /^-ERR cannot serve 'blpop': server '127\.0\.0\.1:\d+' has 1 dedicated connections already \(dedicated_connections: 1 in pool 'alpha'\)/,
  );
  assert.equal(await raw(b, "RPUSH", key, "v"), ":1\r\n");
  assert.equal(latin1(await a.readUntil(replies(1))), `*2\r\n$7\r\n${key}\r\n$1\r\nv\r\n`);
});

Deno.test("a server failing under a blocked client: the client gets an error reply and goes on", async () => {
  await using backend = await startRedis();
  await using proxy = await startProxy(pool([backend.port]));
  await using c = await RawClient.connect(proxy.port);
  await c.send(cmd("BLPOP", "l", 0));
  await until(
    "the backend to see the BLPOP",
    async () => await clientsIn(backend.port, "blpop") === 1,
  );
  await using killer = await RawClient.connect(backend.port);
  assert.match(await raw(killer, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"), /^:[1-9]/);
  assert.match(latin1(await c.readUntil(replies(1))), /^-ERR /);
  assert.equal(await raw(c, "PING"), "+PONG\r\n");
  assert.equal((await dedicated(proxy))[0], 0);
});

// ---- transactions ---------------------------------------------------------

Deno.test("MULTI/EXEC with tagged keys over a 3-server pool, as redis-server runs it", async () => {
  await using s = await setup();
  const got = await sameAsDirect(s, async (c) => {
    return [
      ...await pipeline(c, [
        ["MULTI"],
        ["PING"],
        ["SET", "{t}a", 1],
        ["INCR", "{t}a"],
        ["MGET", "{t}a", "{t}b"],
        ["ECHO", "hi"],
        ["LPUSH", "{t}l", "x"],
        ["EXEC"],
      ]),
      await raw(c, "GET", "{t}a"),
      ...await pipeline(c, [["MULTI"], ["EXEC"]]),
      ...await pipeline(c, [["MULTI"], ["PING"], ["EXEC"]]),
      ...await pipeline(c, [["MULTI"], ["SET", "{t}d", 1], ["DISCARD"], ["GET", "{t}d"]]),
      await raw(c, "EXEC"),
      await raw(c, "DISCARD"),
      ...await pipeline(c, [["MULTI"], ["MULTI"], ["WATCH", "{t}a"], ["INCR", "{t}a"], ["EXEC"]]),
    ];
  });
  assert.equal(got[7], "*6\r\n+PONG\r\n+OK\r\n:2\r\n*2\r\n$1\r\n2\r\n$-1\r\n$2\r\nhi\r\n:1\r\n");
  assert.ok(await noneDedicated(s.proxy), `dedicated connections ${await dedicated(s.proxy)}`);
});

Deno.test("WATCH: the transaction aborts when another client changes a watched key", async () => {
  await using s = await setup();
  const got = await sameAsDirect(s, async (c, other) => {
    const out = [
      await raw(c, "WATCH", "{w}k", "{w}j"),
      await raw(c, "GET", "{w}k"),
      await raw(other, "SET", "{w}k", "changed"),
      ...await pipeline(c, [["MULTI"], ["SET", "{w}k", "mine"], ["EXEC"]]),
      await raw(c, "GET", "{w}k"),
      // Unchanged this time: the transaction runs.
      await raw(c, "WATCH", "{w}k"),
      ...await pipeline(c, [["MULTI"], ["SET", "{w}k", "mine"], ["EXEC"]]),
      // UNWATCH ends it.
      await raw(c, "WATCH", "{w}k"),
      await raw(c, "UNWATCH"),
      await raw(other, "SET", "{w}k", "again"),
      ...await pipeline(c, [["MULTI"], ["GET", "{w}k"], ["EXEC"]]),
    ];
    return out;
  });
  assert.equal(got[5], "*-1\r\n");
  assert.equal(got[6], "$7\r\nchanged\r\n");
});

Deno.test("EXECABORT after an error while queueing: a cross-server key, an unknown command", async () => {
  await using s = await setup();
  await sameAsDirect(s, async (c) => {
    return [
      ...await pipeline(c, [["MULTI"], ["SET", "{t}a", 1], ["NOSUCH"], ["EXEC"]]),
      ...await pipeline(c, [["MULTI"], ["SET", "{t}a", 1], ["GET"], ["EXEC"]]),
      await raw(c, "GET", "{t}a"),
    ];
  });
  const a = tagOn(s.proxy, 0);
  const b = tagOn(s.proxy, 1);
  await using c = await RawClient.connect(s.proxy.port);
  const got = await pipeline(c, [
    ["MULTI"],
    ["SET", `${a}x`, 1],
    ["SET", `${b}y`, 2],
    ["EXEC"],
    ["GET", `${a}x`],
    ["WATCH", `${a}x`, `${b}y`],
    ["WATCH", `${a}x`],
    ["WATCH", `${b}y`],
    ["UNWATCH"],
  ]);
  assert.deepEqual(got.slice(0, 2), ["+OK\r\n", "+QUEUED\r\n"]);
  assert.match(got[2]!, /^-ERR 'set' in a transaction maps to another server/);
  assert.equal(got[3], "-EXECABORT Transaction discarded because of previous errors.\r\n");
  assert.equal(got[4], "$-1\r\n");
  assert.match(got[5]!, /^-ERR keys in 'watch' command map to different servers/);
  assert.equal(got[6], "+OK\r\n");
  assert.match(got[7]!, /^-ERR 'watch' in a transaction maps to another server/);
  assert.equal(got[8], "+OK\r\n");
  await until("dedicated connections to close", () => noneDedicated(s.proxy));
});

// ---- pub/sub --------------------------------------------------------------

/** Channel names placed on every server of the pool (hash tags on each). */
function channelsOnEveryServer(proxy: TestProxy): string[] {
  return [0, 1, 2].map((i) => `${tagOn(proxy, i)}news`);
}

Deno.test("SUBSCRIBE + PUBLISH across 3 servers: frames and counts as from redis-server", async () => {
  await using s = await setup();
  const [a, b, c3] = channelsOnEveryServer(s.proxy);
  const got = await sameAsDirect(s, async (c, other) => {
    await c.send(cmd("SUBSCRIBE", a!, b!, c3!, a!));
    const confirmed = latin1(await c.readUntil(replies(4)));
    const published = [
      await raw(other, "PUBLISH", a!, "one"),
      await raw(other, "PUBLISH", b!, "two"),
      await raw(other, "PUBLISH", c3!, "three"),
      await raw(other, "PUBLISH", "nobody", "x"),
    ];
    const messages = latin1(await c.readUntil(replies(3)));
    const inContext = [
      await raw(c, "PING"),
      await raw(c, "PING", "hi"),
      await raw(c, "GET", "k"),
      await raw(c, "PUBLISH", a!, "x"),
    ];
    await c.send(cmd("UNSUBSCRIBE", b!, "never"));
    const unsub = latin1(await c.readUntil(replies(2)));
    const numsub = await raw(other, "PUBSUB", "NUMSUB", a!, b!, c3!);
    const channels = decodeAll(new TextEncoder().encode(await raw(other, "PUBSUB", "CHANNELS")));
    await c.send(cmd("UNSUBSCRIBE", a!));
    await c.send(cmd("UNSUBSCRIBE", c3!));
    const rest = latin1(await c.readUntil(replies(2)));
    const after = [await raw(c, "SET", "{x}k", "v"), await raw(c, "UNSUBSCRIBE")];
    return [
      confirmed,
      ...published,
      messages,
      ...inContext,
      unsub,
      numsub,
      JSON.stringify((channels[0] as string[]).sort()),
      rest,
      ...after,
    ];
  });
  assert.equal(
    got[0],
    [a, b, c3, a].map((ch, i) =>
      `*3\r\n$9\r\nsubscribe\r\n$${ch!.length}\r\n${ch}\r\n:${Math.min(i + 1, 3)}\r\n`
    ).join(""),
  );
  await until("dedicated connections to close", () => noneDedicated(s.proxy));
});

Deno.test("PSUBSCRIBE receives from channels on every server, merged into one stream", async () => {
  await using s = await setup();
  const channels = channelsOnEveryServer(s.proxy);
  await sameAsDirect(s, async (c, other) => {
    await c.send(cmd("PSUBSCRIBE", "*news", "nothing*"));
    const confirmed = latin1(await c.readUntil(replies(2)));
    const out = [confirmed];
    for (const ch of channels) {
      out.push(await raw(other, "PUBLISH", ch, `to ${ch}`));
      out.push(latin1(await c.readUntil(replies(1))));
    }
    out.push(await raw(other, "PUBSUB", "NUMPAT"));
    await c.send(cmd("SUBSCRIBE", channels[1]!));
    out.push(latin1(await c.readUntil(replies(1))));
    out.push(await raw(other, "PUBLISH", channels[1]!, "both"));
    out.push(latin1(await c.readUntil(replies(2))));
    await c.send(cmd("PUNSUBSCRIBE"));
    out.push(latin1(await c.readUntil(replies(2))).split("\r\n").sort().join(","));
    await c.send(cmd("UNSUBSCRIBE"));
    out.push(latin1(await c.readUntil(replies(1))));
    out.push(await raw(c, "PING"));
    return out;
  });
});

Deno.test("SSUBSCRIBE and SPUBLISH: shard channels on their servers, counted apart", async () => {
  await using s = await setup();
  const [a, b] = channelsOnEveryServer(s.proxy);
  await sameAsDirect(s, async (c, other) => {
    await c.send(cmd("SSUBSCRIBE", a!, b!));
    const out = [latin1(await c.readUntil(replies(2)))];
    await c.send(cmd("SUBSCRIBE", "plain"));
    out.push(latin1(await c.readUntil(replies(1))));
    out.push(await raw(other, "SPUBLISH", b!, "sharded"));
    out.push(latin1(await c.readUntil(replies(1))));
    out.push(await raw(other, "PUBSUB", "SHARDNUMSUB", a!, b!));
    await c.send(cmd("SUNSUBSCRIBE", a!, b!));
    out.push(latin1(await c.readUntil(replies(2))));
    await c.send(cmd("UNSUBSCRIBE"));
    out.push(latin1(await c.readUntil(replies(1))));
    return out;
  });
});

Deno.test("a subscriber that hangs up closes its dedicated connections at once", async () => {
  await using s = await setup();
  const c = await RawClient.connect(s.proxy.port);
  await c.send(cmd("PSUBSCRIBE", "*"));
  await c.readUntil(replies(1));
  assert.deepEqual(await dedicated(s.proxy), [1, 1, 1]);
  await c[Symbol.asyncDispose]();
  await until("dedicated connections to close", () => noneDedicated(s.proxy));
  for (const p of s.ports) assert.equal(await clientsIn(p, "psubscribe"), 0);
});

Deno.test("RESP3 (HELLO 3): SUBSCRIBE, PSUBSCRIBE and messages as push frames, other commands allowed", async () => {
  await using s = await setup();
  const [a, b] = channelsOnEveryServer(s.proxy);
  await sameAsDirect(s, async (c, other) => {
    await c.send(cmd("HELLO", "3"));
    await c.readUntil(replies(1));
    await c.send(cmd("SUBSCRIBE", a!, b!));
    const out = [latin1(await c.readUntil(replies(2)))];
    await c.send(cmd("PSUBSCRIBE", "*news"));
    out.push(latin1(await c.readUntil(replies(1))));
    out.push(await raw(c, "SET", "{z}k", "v"));
    out.push(await raw(c, "PING"));
    out.push(await raw(other, "PUBLISH", b!, "m"));
    out.push(latin1(await c.readUntil(replies(2))).split(">").sort().join(">"));
    await c.send(cmd("UNSUBSCRIBE", a!, b!));
    out.push(latin1(await c.readUntil(replies(2))));
    await c.send(cmd("PUNSUBSCRIBE"));
    out.push(latin1(await c.readUntil(replies(1))));
    await c.send(cmd("UNSUBSCRIBE"));
    out.push(latin1(await c.readUntil(replies(1))));
    return out;
  });
});

export type { Reply };
