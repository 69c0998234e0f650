/**
 * End-to-end: shutting down while a backend owes replies. Once the grace
 * is over, every request still owed is answered with the protocol's error
 * reply (so the client knows which requests may not have been applied),
 * in request order with the replies already made, and only then is the
 * client connection closed.
 */
import assert from "node:assert/strict";
import { RawClient, startMemcached, startRedis } from "./_support/servers.ts";
import { startProxy } from "./_support/proxy.ts";

const SETS = 100;

Deno.test("shutdown with a stalled redis: each owed request gets -ERR Proxy is shutting down", async () => {
  await using redis = await startRedis();
  await using proxy = await startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1\n`,
  );
  await using c = await RawClient.connect(proxy.port);
  await c.send("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n");
  assert.equal(await c.readLine(), "+OK");
  await redis.pause();
  try {
    let batch = "";
    for (let i = 0; i < SETS; i++) batch += `*3\r\n$3\r\nSET\r\n$2\r\nk${i % 10}\r\n$1\r\nv\r\n`;
    batch += "*1\r\n$4\r\nPING\r\n"; // answered by the proxy, after the SETs
    await c.send(batch);
    await new Promise((r) => setTimeout(r, 100));
    await proxy.close(200);
    const lines: string[] = [];
    for (let i = 0; i <= SETS; i++) lines.push(await c.readLine());
    assert.deepEqual(lines.slice(0, SETS), Array(SETS).fill("-ERR Proxy is shutting down"));
    assert.equal(lines[SETS], "+PONG");
    assert.ok(await c.closedWithin(2000), "client closed after the replies");
  } finally {
    redis.signal("SIGCONT");
  }
});

Deno.test("shutdown with a stalled memcached: each owed request gets SERVER_ERROR, noreply none", async () => {
  await using mc = await startMemcached();
  await using proxy = await startProxy(
    `beta:\n  listen: AUTO\n  servers:\n    - 127.0.0.1:${mc.port}:1\n`,
  );
  await using c = await RawClient.connect(proxy.port);
  await c.send("version\r\n");
  assert.match(await c.readLine(), /^VERSION /);
  await mc.pause();
  try {
    let batch = "";
    for (let i = 0; i < SETS; i++) batch += `set k${i} 0 0 1\r\nv\r\n`;
    batch += "set quiet 0 0 1 noreply\r\nv\r\n";
    batch += "get k1\r\n";
    await c.send(batch);
    await new Promise((r) => setTimeout(r, 100));
    await proxy.close(200);
    const lines: string[] = [];
    for (let i = 0; i <= SETS; i++) lines.push(await c.readLine());
    assert.deepEqual(lines, Array(SETS + 1).fill("SERVER_ERROR Proxy is shutting down"));
    assert.ok(await c.closedWithin(2000), "client closed after the replies");
    assert.equal(c.buffered.length, 0);
  } finally {
    mc.signal("SIGCONT");
  }
});
