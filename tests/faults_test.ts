/**
 * End-to-end: backend and client faults. Every request gets its own reply or
 * an error reply, no reply reaches the wrong request, the proxy stays up and
 * its memory stays bounded.
 */
import assert from "node:assert/strict";
import { RawClient, startRedis, startRedises } from "./_support/servers.ts";
import { ejected, serverLines, startProxy, type TestProxy } from "./_support/proxy.ts";
import { cmd, concat, decodeAll, replies, type Reply, ReplyError } from "./_support/resp.ts";
import { FakeBackend } from "./_support/fake_backend.ts";

async function call(c: RawClient, ...args: (string | number)[]): Promise<Reply> {
  await c.send(cmd(...args));
  return decodeAll(await c.readUntil(replies(1)))[0]!;
}

function pool(ports: number[], extra = ""): string {
  return `alpha:\n  listen: AUTO\n  redis: true\n${extra}  servers:\n${serverLines(ports)}\n`;
}

function isErr(r: Reply, pattern: RegExp): boolean {
  return r instanceof ReplyError && pattern.test(r.message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Memory held by the proxy: on one event loop, this test's isolate (JS heap
 * plus buffers, which unlike RSS leaves out the code and the allocator's
 * slack); with several workers, whose isolates this one cannot see, the
 * process's RSS.
 */
function proxyBytes(proxy: TestProxy): number {
  const m = Deno.memoryUsage();
  return proxy.workers === 1 ? m.heapUsed + m.external : m.rss;
}

Deno.test("faults: a stalled backend times out, and replies after SIGCONT are not shifted", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports, "  timeout: 300\n"));
  await using c = await RawClient.connect(proxy.port);
  assert.equal(await call(c, "SET", "a", "1"), "OK");
  assert.equal(await call(c, "SET", "b", "2"), "OK");
  await backends.list[0]!.pause();
  try {
    const r = await call(c, "GET", "a");
    assert.ok(isErr(r, /^ERR Connection timed out$/), String(r));
  } finally {
    backends.list[0]!.signal("SIGCONT");
  }
  // The late reply to GET a must never be taken as the reply to GET b.
  assert.equal(await call(c, "GET", "b"), "2");
  assert.equal(await call(c, "GET", "a"), "1");
  const stats = (await proxy.stats()).pools[0]!.servers[0]!.stats;
  assert.equal(stats.server_timedout, 1);
});

Deno.test("faults: garbage from a backend fails the request, and the next one uses a new connection", async () => {
  let n = 0;
  await using fake = new FakeBackend(() =>
    n++ === 0 ? { send: "%%%garbage\r\n" } : { send: "+OK\r\n" }
  );
  await using proxy = await startProxy(pool([fake.port]));
  await using c = await RawClient.connect(proxy.port);
  const r = await call(c, "SET", "k", "v");
  assert.ok(isErr(r, /^ERR Protocol error/), String(r));
  assert.equal(await call(c, "SET", "k", "v"), "OK");
  assert.equal(fake.accepted, 2);
  assert.equal((await proxy.stats()).pools[0]!.servers[0]!.stats.server_err, 1);
});

Deno.test("faults: a backend that closes mid-bulk fails the request; the client stays", async () => {
  let n = 0;
  await using fake = new FakeBackend(() =>
    n++ === 0 ? { send: "$10\r\nabc", close: true } : { send: "$3\r\nxyz\r\n" }
  );
  await using proxy = await startProxy(pool([fake.port]));
  await using c = await RawClient.connect(proxy.port);
  const r = await call(c, "GET", "k");
  assert.ok(isErr(r, /^ERR Connection (closed by server|reset by peer)$/), String(r));
  assert.equal(await call(c, "GET", "k"), "xyz");
});

Deno.test("faults: an unsolicited reply closes that backend connection; later replies stay in step", async () => {
  let n = 0;
  await using fake = new FakeBackend(() => ({
    send: n++ === 0 ? "+FIRST\r\n+EXTRA\r\n" : `+LATER${n}\r\n`,
  }));
  await using proxy = await startProxy(pool([fake.port]));
  await using c = await RawClient.connect(proxy.port);
  assert.equal(await call(c, "GET", "a"), "FIRST");
  // Let the extra reply arrive and be rejected.
  await sleep(50);
  assert.equal(await call(c, "GET", "b"), "LATER2");
  assert.equal(fake.accepted, 2);
});

Deno.test("faults: killing and restarting a backend under pipelined load never misdelivers", async () => {
  const backend = await startRedis();
  const port = backend.port;
  await using proxy = await startProxy(pool([port], "  timeout: 2000\n"));
  const clients = 10;
  const rounds = 30;
  let restarted: Awaited<ReturnType<typeof startRedis>> | null = null;
  const killer = (async () => {
    await sleep(60);
    await backend.stop();
    await sleep(100);
    restarted = await startRedis(port);
  })();
  let errors = 0;
  let ok = 0;
  await Promise.all(Array.from({ length: clients }, async (_, ci) => {
    await using c = await RawClient.connect(proxy.port);
    for (let r = 0; r < rounds; r++) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 20; i++) {
        parts.push(cmd("SET", `c${ci}:${r}:${i}`, `v${ci}:${r}:${i}`));
        parts.push(cmd("GET", `c${ci}:${r}:${i}`));
      }
      await c.send(concat(parts));
      const got = decodeAll(await c.readUntil(replies(40), 10000));
      for (let i = 0; i < 20; i++) {
        const set = got[2 * i]!;
        const get = got[2 * i + 1]!;
        assert.ok(set === "OK" || set instanceof ReplyError, `SET reply ${String(set)}`);
        if (get instanceof ReplyError) errors++;
        else if (get === null) assert.ok(set instanceof ReplyError, "nil only after a failed SET");
        else {
          assert.equal(get, `v${ci}:${r}:${i}`);
          ok++;
        }
      }
      await sleep(5);
    }
  }));
  await killer;
  await (restarted as unknown as AsyncDisposable | null)?.[Symbol.asyncDispose]();
  assert.ok(ok > 0, "some requests succeeded");
  assert.ok(errors > 0, "the kill was noticed");
});

Deno.test("faults: auto_eject_hosts ejects a dead server, rebuilds the ring, and retries it later", async () => {
  await using backends = await startRedises(2);
  const [a, b] = backends.list;
  await using proxy = await startProxy(
    pool(
      backends.ports,
      "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 400\n",
    ),
  );
  const p = proxy.placement.pools[0]!;
  const enc = new TextEncoder();
  // A key owned by server `a` on the full ring.
  const aIndex = p.servers.findIndex((s) =>
    s.address.transport === "tcp" && s.address.port === a!.port
  );
  let key = "";
  for (let i = 0; key === ""; i++) {
    const k = enc.encode(`ej${i}`);
    if (p.serverOf(k, 0, k.length) === aIndex) key = `ej${i}`;
  }
  await using c = await RawClient.connect(proxy.port);
  await a!.stop();
  const first = await call(c, "SET", key, "x");
  assert.ok(isErr(first, /^ERR Connection refused$/), String(first));
  await ejected(proxy, 1);
  assert.ok((await proxy.stats()).pools[0]!.servers[aIndex]!.stats.server_ejected_at > 0);
  // Ejected: the key now lives on b.
  assert.equal(await call(c, "SET", key, "on-b"), "OK");
  {
    await using d = await RawClient.connect(b!.port);
    assert.equal(await call(d, "GET", key), "on-b");
  }
  // a comes back; after the retry timeout it rejoins the ring.
  await using a2 = await startRedis(a!.port);
  await sleep(600);
  assert.equal(await call(c, "SET", key, "on-a"), "OK");
  {
    await using d = await RawClient.connect(a2.port);
    assert.equal(await call(d, "GET", key), "on-a");
  }
});

Deno.test("faults: all servers ejected gives an error reply, not a crash", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(
    pool(
      backends.ports,
      "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 60000\n",
    ),
  );
  await using c = await RawClient.connect(proxy.port);
  await backends.list[0]!.stop();
  assert.ok(isErr(await call(c, "GET", "a"), /^ERR Connection refused$/));
  await ejected(proxy, 1);
  assert.ok(isErr(await call(c, "GET", "a"), /^ERR Host is down$/));
  assert.equal(await call(c, "PING"), "PONG");
});

Deno.test("faults: a half-closed client gets every reply owed", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 500; i++) parts.push(cmd("SET", `h${i}`, i), cmd("GET", `h${i}`));
  await c.send(concat(parts));
  await (c.conn as Deno.TcpConn).closeWrite();
  const got = decodeAll(await c.readUntil(replies(1000), 10000));
  for (let i = 0; i < 500; i++) assert.deepEqual([got[2 * i], got[2 * i + 1]], ["OK", String(i)]);
  assert.ok(await c.closedWithin(2000), "closed after the last reply");
});

Deno.test("faults: client_connections is enforced with an error reply", async () => {
  // With several workers the limit is the process's (lib/runtime/shared_quota.ts),
  // whichever worker the kernel hands each client to.
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports, "  client_connections: 3\n"));
  const held: RawClient[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const c = await RawClient.connect(proxy.port);
      held.push(c);
      assert.equal(await call(c, "PING"), "PONG");
    }
    await using extra = await RawClient.connect(proxy.port);
    assert.equal(await extra.readLine(), "-ERR max number of clients reached");
    assert.ok(await extra.closedWithin(2000));
    await held.pop()!.close();
    await sleep(50);
    await using again = await RawClient.connect(proxy.port);
    assert.equal(await call(again, "PING"), "PONG");
  } finally {
    for (const c of held) await c.close();
  }
});

Deno.test("faults: a client that sends 20,000 GETs of 100 KB and never reads cannot grow the proxy", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports));
  await using setup = await RawClient.connect(proxy.port);
  assert.equal(await call(setup, "SET", "big", "x".repeat(100_000)), "OK");
  const before = proxyBytes(proxy);
  // A bare socket that is never read from.
  const slow = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const burst = concat(Array.from({ length: 20_000 }, () => cmd("GET", "big")));
  // The proxy stops reading, so this write may never finish: do not await it.
  const writing = (async () => {
    let off = 0;
    while (off < burst.length) off += await slow.write(burst.subarray(off));
  })().catch(() => {});
  await sleep(500);
  // Another client sharing the same backend connection is served meanwhile.
  for (let i = 0; i < 100; i++) assert.equal(await call(setup, "SET", `f${i}`, "v"), "OK");
  await sleep(200);
  const grown = proxyBytes(proxy) - before;
  console.log(`slow reader: proxy heap and buffers grew by ${(grown / 1048576).toFixed(1)} MiB`);
  assert.ok(grown < 120 * 1048576, `heap and buffers grew by ${grown} bytes`);
  slow.close();
  await writing;
});

Deno.test("faults: 2,000 idle clients are held and the proxy still answers", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports));
  const before = proxyBytes(proxy);
  const idle: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 2000; i++) {
      idle.push(await Deno.connect({ hostname: "127.0.0.1", port: proxy.port }));
    }
    await sleep(100);
    assert.equal((await proxy.stats()).counters.curr_connections, 2000);
    await using c = await RawClient.connect(proxy.port);
    assert.equal(await call(c, "SET", "k", "v"), "OK");
    const grown = proxyBytes(proxy) - before;
    console.log(`2,000 idle clients: heap and buffers grew by ${(grown / 1048576).toFixed(1)} MiB`);
    assert.ok(grown < 100 * 1048576, `heap and buffers grew by ${grown} bytes`);
  } finally {
    for (const c of idle) c.close();
  }
});
