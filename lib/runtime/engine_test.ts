/**
 * Engine reloads with real redis-servers: what a swap keeps (listener,
 * client connections, connections to kept servers, counters), what it
 * changes (placement for requests read after it), how removed servers and
 * pools are drained, and that an address that cannot be bound changes
 * nothing.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../config/load.ts";
import { Engine } from "./engine.ts";
import { ListenError } from "./listeners.ts";
import {
  freePort,
  RawClient,
  startMemcacheds,
  startRedises,
} from "../../tests/_support/servers.ts";
import { cmd, decode, replies, type Reply, ReplyError } from "../../tests/_support/resp.ts";

const enc = new TextEncoder();

function conf(pools: Record<string, { port: number; servers: string[]; extra?: string }>) {
  let text = "";
  for (const [name, p] of Object.entries(pools)) {
    text += `${name}:\n  listen: 127.0.0.1:${p.port}\n  redis: true\n${p.extra ?? ""}  servers:\n`;
    for (const s of p.servers) text += `    - ${s}\n`;
  }
  return parseConfig(text, "reload.yml");
}

/** Waits (bounded) until `check` holds: ordering, not timing. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), "condition not reached");
}

async function call(c: RawClient, ...args: string[]): Promise<Reply> {
  await c.send(cmd(...args));
  const raw = await c.readUntil(replies(1));
  return decode(raw)![0];
}

/** The backend (index into `ports`) holding `key`, asked of each backend directly. */
async function holder(ports: number[], key: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ports.length; i++) {
    await using c = await RawClient.connect(ports[i]!);
    if ((await call(c, "EXISTS", key)) === 1) out.push(i);
  }
  return out;
}

Deno.test("reload() keeps the listener, the client and kept server connections; new placement after", async () => {
  await using b = await startRedises(3);
  const [p0, p1, p2] = b.ports as [number, number, number];
  const port = freePort();
  const engine = new Engine(conf({ alpha: { port, servers: [`127.0.0.1:${p0}:1 a`] } }));
  engine.open();
  try {
    await using c = await RawClient.connect(port);
    assert.equal(await call(c, "SET", "before", "1"), "OK");
    const a = engine.pool("alpha").servers[0]!;
    assert.equal(a.stats.server_connections, 1);
    const requests = a.stats.requests;

    await engine.reload(conf({
      alpha: {
        port,
        servers: [`127.0.0.1:${p0}:1 a`, `127.0.0.1:${p1}:2 b`, `127.0.0.1:${p2}:1 c`],
      },
    }));
    const pool = engine.pool("alpha");
    assert.equal(engine.generation.number, 2);
    assert.equal(pool.servers.length, 3);
    // The same client, on the same connection, now uses the new placement.
    const perServer = [0, 0, 0];
    for (let i = 0; i < 120; i++) {
      const key = `key:${i * 7919}`;
      assert.equal(await call(c, "SET", key, "v"), "OK");
      const bytes = enc.encode(key);
      const at = pool.serverOf(bytes, 0, bytes.length);
      perServer[at]!++;
      assert.deepEqual(await holder(b.ports, key), [at]);
    }
    // Server 'a' kept its connection and its counters.
    const kept = pool.servers.find((s) => s.name === "a")!;
    assert.equal(kept.stats, a.stats);
    assert.equal(kept.stats.server_connections, 1);
    // Carried over and still counting (>=: health checks may add their own requests).
    assert.ok(kept.stats.requests >= requests + perServer[0]!);
    assert.ok(perServer.every((n) => n > 0), String(perServer));
    assert.equal(engine.counters.curr_connections, 1);
    assert.equal(engine.pool("alpha").stats.client_connections, 1);
  } finally {
    await engine.close();
  }
});

Deno.test("reload() drains a removed server: the reply owed is delivered, then its connection closes", async () => {
  await using b = await startRedises(2);
  const [p0, p1] = b.ports as [number, number];
  const port = freePort();
  const engine = new Engine(conf({ alpha: { port, servers: [`127.0.0.1:${p0}:1 a`] } }));
  engine.open();
  try {
    await using c = await RawClient.connect(port);
    // A script that keeps server 'a' busy for 300 ms, sent before the reload.
    const slow = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] " +
      "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 300000 " +
      "return redis.call('SET', KEYS[1], 'slow')";
    await c.send(cmd("EVAL", slow, "1", "slowkey"));
    await new Promise((r) => setTimeout(r, 50));
    await engine.reload(conf({ alpha: { port, servers: [`127.0.0.1:${p1}:1 b`] } }));
    assert.deepEqual(decode(await c.readUntil(replies(1)))![0], "OK");
    assert.equal(await call(c, "SET", "after", "1"), "OK");
    assert.deepEqual(await holder(b.ports, "after"), [1]);
    assert.deepEqual(await holder(b.ports, "slowkey"), [0]);
    // Only our own probe is connected to 'a' now.
    await using probe = await RawClient.connect(p0);
    const list = await call(probe, "CLIENT", "LIST");
    const text = list instanceof Uint8Array ? new TextDecoder().decode(list) : String(list);
    assert.equal(text.trim().split("\n").length, 1, text);
  } finally {
    await engine.close();
  }
});

Deno.test("reload() adds, removes and moves pools; a removed pool's client gets its replies, then EOF", async () => {
  await using b = await startRedises(1);
  const server = `127.0.0.1:${b.ports[0]}:1 a`;
  const [pa, pb, pc] = [freePort(), freePort(), freePort()];
  const engine = new Engine(conf({ alpha: { port: pa, servers: [server] } }));
  engine.open();
  try {
    await using ca = await RawClient.connect(pa);
    assert.equal(await call(ca, "SET", "k", "v"), "OK");
    // Add beta.
    await engine.reload(conf({
      alpha: { port: pa, servers: [server] },
      beta: { port: pb, servers: [server] },
    }));
    await using cb = await RawClient.connect(pb);
    assert.equal(await call(cb, "GET", "k"), "v");
    assert.equal(await call(ca, "GET", "k"), "v");
    // Remove alpha, move beta: alpha's client is answered, then closed.
    const sent = engine.pool("alpha").servers[0]!.stats.requests;
    await ca.send(cmd("GET", "k"));
    await until(() => engine.pool("alpha").servers[0]!.stats.requests > sent);
    await engine.reload(conf({ beta: { port: pc, servers: [server] } }));
    assert.equal(decode(await ca.readUntil(replies(1)))![0], "v");
    assert.ok(await ca.closedWithin(2000));
    assert.ok(await cb.closedWithin(2000));
    await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port: pa }));
    await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port: pb }));
    await using cc = await RawClient.connect(pc);
    assert.equal(await call(cc, "GET", "k"), "v");
    assert.deepEqual(engine.pools.map((p) => p.name), ["beta"]);
    assert.equal(engine.counters.curr_connections, 1);
  } finally {
    await engine.close();
  }
});

Deno.test("reload() with an address that cannot be bound throws ListenError and changes nothing", async () => {
  await using b = await startRedises(2);
  const [p0, p1] = b.ports as [number, number];
  const port = freePort();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const takenPort = (taken.addr as Deno.NetAddr).port;
  const engine = new Engine(conf({ alpha: { port, servers: [`127.0.0.1:${p0}:1 a`] } }));
  engine.open();
  try {
    await using c = await RawClient.connect(port);
    assert.equal(await call(c, "SET", "k", "v"), "OK");
    const before = engine.generation;
    const extra = freePort();
    await assert.rejects(
      () =>
        engine.reload(conf({
          alpha: { port, servers: [`127.0.0.1:${p1}:1 b`] },
          fresh: { port: extra, servers: [`127.0.0.1:${p1}:1 b`] },
          beta: { port: takenPort, servers: [`127.0.0.1:${p1}:1 b`] },
        })),
      (e: unknown) => {
        assert.ok(e instanceof ListenError);
        assert.match(
          e.message,
          /^reload\.yml:\d+: pool 'beta': cannot listen on '127\.0\.0\.1:\d+': /,
        );
        assert.match(e.message, /give the pool another 'listen:'$/);
        return true;
      },
    );
    assert.equal(engine.generation, before);
    assert.equal(await call(c, "GET", "k"), "v");
    // The address bound before the failure was released again.
    await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port: extra }));
  } finally {
    await engine.close();
  }
});

Deno.test("reload() with new AUTH settings applies them to new clients; old ones keep theirs", async () => {
  await using b = await startRedises(1);
  const server = `127.0.0.1:${b.ports[0]}:1 a`;
  const port = freePort();
  const engine = new Engine(conf({ alpha: { port, servers: [server] } }));
  engine.open();
  try {
    await using old = await RawClient.connect(port);
    assert.equal(await call(old, "SET", "k", "v"), "OK");
    await engine.reload(conf({
      alpha: { port, servers: [server], extra: "  redis_auth: sesame\n" },
    }));
    assert.equal(await call(old, "GET", "k"), "v");
    await using fresh = await RawClient.connect(port);
    const denied = await call(fresh, "GET", "k");
    assert.ok(denied instanceof ReplyError && denied.message.startsWith("NOAUTH"));
    assert.equal(engine.counters.curr_connections, 2);
  } finally {
    await engine.close();
  }
});

Deno.test("reload() that removes the timeout: a slow request on a kept connection is not timed out", async () => {
  await using b = await startRedises(1);
  const server = `127.0.0.1:${b.ports[0]}:1 a`;
  const port = freePort();
  const engine = new Engine(
    conf({ alpha: { port, servers: [server], extra: "  timeout: 300\n" } }),
  );
  engine.open();
  try {
    await using c = await RawClient.connect(port);
    // Arms the connection's timeout timer (300 ms).
    assert.equal(await call(c, "SET", "k", "v"), "OK");
    await engine.reload(conf({ alpha: { port, servers: [server] } }));
    const slow = "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] " +
      "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s > 500000 return 'slow'";
    assert.equal(await call(c, "EVAL", slow, "1", "k"), "slow");
    assert.equal(engine.pool("alpha").servers[0]!.stats.server_timedout, 0);
  } finally {
    await engine.close();
  }
});

Deno.test("reload() of a memcached pool keeps the client; keys go where the new generation says", async () => {
  await using b = await startMemcacheds(2);
  const [m0, m1] = b.ports as [number, number];
  const port = freePort();
  const mc = (servers: string[]) =>
    parseConfig(
      `mc:\n  listen: 127.0.0.1:${port}\n  servers:\n${
        servers.map((s) => `    - ${s}\n`).join("")
      }`,
      "mc.yml",
    );
  const engine = new Engine(mc([`127.0.0.1:${m0}:1 m0`]));
  engine.open();
  try {
    await using c = await RawClient.connect(port);
    await c.send("set a 0 0 1\r\nx\r\n");
    assert.equal(await c.readLine(), "STORED");
    await engine.reload(mc([`127.0.0.1:${m0}:1 m0`, `127.0.0.1:${m1}:1 m1`]));
    const pool = engine.pool("mc");
    for (let i = 0; i < 40; i++) {
      const key = `key:${i * 7919}`;
      await c.send(`set ${key} 0 0 1\r\ny\r\n`);
      assert.equal(await c.readLine(), "STORED");
      const bytes = enc.encode(key);
      const at = pool.serverOf(bytes, 0, bytes.length);
      await using direct = await RawClient.connect(b.ports[at]!);
      await direct.send(`get ${key}\r\n`);
      assert.equal(await direct.readUntilText("END\r\n"), `VALUE ${key} 0 1\r\ny\r\nEND\r\n`);
    }
    assert.equal(pool.servers[0]!.stats.server_connections, 1);
    assert.equal(engine.counters.total_connections, 1);
  } finally {
    await engine.close();
  }
});

Deno.test("prepare() binds and builds without changing anything; abort() releases, a stale commit throws", async () => {
  await using b = await startRedises(1);
  const server = `127.0.0.1:${b.ports[0]}:1 a`;
  const [pa, pb] = [freePort(), freePort()];
  const engine = new Engine(conf({ alpha: { port: pa, servers: [server] } }));
  engine.open();
  try {
    const two = conf({
      alpha: { port: pa, servers: [server] },
      beta: { port: pb, servers: [server] },
    });
    const first = engine.prepare(two);
    assert.equal(engine.generation.number, 1);
    assert.deepEqual(engine.pools.map((p) => p.name), ["alpha"]);
    first.abort();
    // Released: the address can be bound again.
    engine.prepare(two).abort();
    const a = engine.prepare(two);
    const stale = engine.prepare(conf({ alpha: { port: pa, servers: [server] } }));
    await a.commit();
    assert.deepEqual(engine.pools.map((p) => p.name), ["alpha", "beta"]);
    await assert.rejects(() => stale.commit(), /another configuration was swapped in/);
    await using c = await RawClient.connect(pb);
    assert.equal(await call(c, "SET", "k", "v"), "OK");
  } finally {
    await engine.close();
  }
});
