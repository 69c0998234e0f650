/**
 * End-to-end: real Redis clients with default settings through nutmeg —
 * ioredis, node-redis (HELLO / CLIENT SETINFO handshakes), redis-cli and
 * redis-benchmark's default suite.
 */
import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@5.9.2";
import { createClient } from "npm:redis@4.7.0";
import { startRedis, startRedises } from "./_support/servers.ts";
import { serverLines, startProxy } from "./_support/proxy.ts";

function pool(ports: number[], extra = ""): string {
  return `alpha:\n  listen: AUTO\n  redis: true\n  hash_tag: "{}"\n${extra}  servers:\n${
    serverLines(ports)
  }\n`;
}

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const o = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test({
  name: "ioredis: get/set, pipeline, MGET across servers, a Lua script, with a password",
  fn: async () => {
    await using backends = await startRedises(3);
    await using proxy = startProxy(pool(backends.ports, "  redis_auth: s3cret\n"));
    const r = new Redis({ port: proxy.port, host: "127.0.0.1", password: "s3cret" });
    try {
      assert.equal(await r.set("io:a", "1"), "OK");
      assert.equal(await r.get("io:a"), "1");
      const p = r.pipeline();
      for (let i = 0; i < 50; i++) p.set(`io:p${i}`, String(i));
      for (let i = 0; i < 50; i++) p.get(`io:p${i}`);
      const res = await p.exec();
      assert.ok(res !== null);
      const gets = res.slice(50).map(([err, value]: [Error | null, unknown]) => [err, value]);
      assert.deepEqual(gets, Array.from({ length: 50 }, (_, i) => [null, String(i)]));
      const keys = Array.from({ length: 30 }, (_, i) => `io:p${i}`);
      assert.deepEqual(await r.mget(...keys), keys.map((_, i) => String(i)));
      assert.equal(await r.del("io:a", "io:p0", "io:nothing"), 2);
      const sum = await r.eval(
        "return redis.call('incrby', KEYS[1], ARGV[1]) + redis.call('incrby', KEYS[2], ARGV[1])",
        2,
        "{io}x",
        "{io}y",
        5,
      );
      assert.equal(sum, 10);
      await assert.rejects(r.keys("*"), /unsupported|ERR/);
      assert.equal(await r.ping(), "PONG");
    } finally {
      await r.quit();
    }
  },
});

Deno.test({
  name: "node-redis: connects (HELLO, CLIENT SETINFO), get/set, multi-key, with a password",
  fn: async () => {
    await using backends = await startRedises(2);
    await using proxy = startProxy(pool(backends.ports, "  redis_auth: s3cret\n"));
    const c = createClient({ url: `redis://:s3cret@127.0.0.1:${proxy.port}` });
    c.on("error", () => {});
    await c.connect();
    try {
      assert.equal(await c.set("nr:a", "x"), "OK");
      assert.equal(await c.get("nr:a"), "x");
      await c.mSet({ "nr:1": "1", "nr:2": "2", "nr:3": "3" });
      assert.deepEqual(await c.mGet(["nr:1", "nr:2", "nr:3", "nr:none"]), ["1", "2", "3", null]);
      assert.equal(await c.exists(["nr:1", "nr:2", "nr:none"]), 2);
      assert.equal(await c.ping(), "PONG");
    } finally {
      await c.quit();
    }
  },
});

Deno.test("redis-cli: commands, and -a with a password", async () => {
  await using backends = await startRedises(2);
  await using plain = startProxy(pool(backends.ports));
  await using authed = startProxy(pool(backends.ports, "  redis_auth: pw\n"));
  const p = String(plain.port);
  assert.equal((await run("redis-cli", ["-p", p, "set", "cli:a", "hello"])).out.trim(), "OK");
  assert.equal((await run("redis-cli", ["-p", p, "get", "cli:a"])).out.trim(), "hello");
  assert.equal((await run("redis-cli", ["-p", p, "ping"])).out.trim(), "PONG");
  const denied = await run("redis-cli", ["-p", String(authed.port), "get", "cli:a"]);
  assert.match(denied.out, /NOAUTH Authentication required/);
  const ok = await run("redis-cli", [
    "-p",
    String(authed.port),
    "-a",
    "pw",
    "--no-auth-warning",
    "get",
    "cli:a",
  ]);
  assert.equal(ok.out.trim(), "hello");
});

Deno.test("redis-benchmark's default suite completes through the proxy with no errors", async () => {
  await using backend = await startRedis();
  await using proxy = startProxy(pool([backend.port]));
  const { code, out } = await run("redis-benchmark", [
    "-p",
    String(proxy.port),
    "-q",
    "-n",
    "2000",
    "-c",
    "10",
  ]);
  assert.equal(code, 0, out);
  const lines = out.split(/\r|\n/).map((l) => l.trim()).filter((l) =>
    /requests per second/.test(l)
  );
  const rates = new Map(lines.map((l) => {
    const m = /^(.+?): ([\d.]+) requests per second/.exec(l)!;
    return [m[1]!, Number(m[2])] as const;
  }));
  for (
    const t of [
      "PING_INLINE",
      "PING_MBULK",
      "SET",
      "GET",
      "INCR",
      "LPUSH",
      "RPUSH",
      "LPOP",
      "RPOP",
      "SADD",
      "HSET",
      "SPOP",
      "ZADD",
      "ZPOPMIN",
      "LRANGE_100 (first 100 elements)",
      "LRANGE_600 (first 600 elements)",
      "MSET (10 keys)",
    ]
  ) {
    assert.ok((rates.get(t) ?? 0) > 0, `${t} ran: ${lines.join(" | ")}`);
  }
  assert.doesNotMatch(out, /ERR|error/i);
});

Deno.test("AUTH and redis_db: NOAUTH before AUTH, WRONGPASS, then keys land in the backend's db", async () => {
  await using backend = await startRedis(undefined, ["--requirepass", "backendpw"]);
  const yaml = `alpha:\n  listen: AUTO\n  redis: true\n  redis_auth: backendpw\n  redis_db: 3\n` +
    `  servers:\n${serverLines([backend.port])}\n`;
  await using proxy = startProxy(yaml);
  const cli = (port: number, ...args: string[]) =>
    run("redis-cli", ["-p", String(port), "--no-auth-warning", ...args]);
  assert.match((await cli(proxy.port, "get", "k")).out, /NOAUTH/);
  assert.match((await cli(proxy.port, "-a", "wrong", "get", "k")).out, /WRONGPASS/);
  assert.equal((await cli(proxy.port, "-a", "backendpw", "set", "dbkey", "v3")).out.trim(), "OK");
  // Directly on the backend: the key is in db 3, not db 0.
  assert.equal(
    (await cli(backend.port, "-a", "backendpw", "-n", "3", "get", "dbkey")).out.trim(),
    "v3",
  );
  assert.equal(
    (await cli(backend.port, "-a", "backendpw", "-n", "0", "get", "dbkey")).out.trim(),
    "",
  );
});
