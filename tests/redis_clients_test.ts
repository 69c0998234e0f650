/**
 * End-to-end: real Redis clients with their default settings through
 * nutmeg to a 3-server pool — ioredis, node-redis v4 and v5 (AUTH or
 * HELLO, then CLIENT SETINFO on connect), redis-cli (arguments, stdin,
 * --pipe, -a) and redis-benchmark's default suite.
 */
import assert from "node:assert/strict";
import { Redis } from "npm:ioredis@5.9.2";
import { createClient as createClientV4 } from "npm:redis@4.7.0";
import { createClient as createClientV5 } from "npm:redis@5.8.3";
import { startRedis, startRedises } from "./_support/servers.ts";
import { redisPool as pool, serverOf, startProxy, type TestProxy } from "./_support/proxy.ts";

const PASSWORD = "s3cret";

/**
 * `n` keys named `prefix0`, `prefix1`, ..., with more names added until
 * every server of the pool holds at least one of them.
 */
function spreadKeys(proxy: TestProxy, prefix: string, n: number): string[] {
  const keys: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; keys.length < n || seen.size < proxy.placement.pools[0]!.serverCount; i++) {
    const k = `${prefix}${i}`;
    const s = serverOf(proxy, k);
    if (keys.length < n || !seen.has(s)) {
      keys.push(k);
      seen.add(s);
    }
  }
  return keys;
}

/** Runs a command to completion (killed after 2 minutes); its exit code, stdout and stderr. */
async function run(
  cmd: string,
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  try {
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
    }
    const o = await child.output();
    const dec = new TextDecoder();
    return { code: o.code, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("ioredis: get/set, pipeline, MGET across servers, Lua scripts on one server, a password", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports, `  redis_auth: ${PASSWORD}\n`));
  const r = new Redis({ host: "127.0.0.1", port: proxy.port, password: PASSWORD });
  try {
    // Connected with AUTH, CLIENT SETINFO and INFO (ioredis's ready check).
    assert.match(String(await r.client("INFO")), /lib-name=ioredis lib-ver=5\.9\.2/);
    assert.equal(await r.set("io:a", "1"), "OK");
    assert.equal(await r.get("io:a"), "1");
    assert.equal(await r.get("io:none"), null);
    assert.equal(await r.incrby("io:n", 5), 5);
    assert.equal(await r.hset("io:h", { f: "1", g: "2" }), 2);
    assert.deepEqual(await r.hgetall("io:h"), { f: "1", g: "2" });
    assert.deepEqual(await r.lrange("io:none", 0, -1), []);

    const p = r.pipeline();
    for (let i = 0; i < 100; i++) p.set(`io:p${i}`, String(i));
    for (let i = 0; i < 100; i++) p.get(`io:p${i}`);
    p.mget("io:p1", "io:none", "io:p99");
    const res = await p.exec();
    assert.ok(res !== null);
    assert.deepEqual(res.slice(0, 100), Array.from({ length: 100 }, () => [null, "OK"]));
    assert.deepEqual(res.slice(100, 200), Array.from({ length: 100 }, (_, i) => [null, String(i)]));
    assert.deepEqual(res[200], [null, ["1", null, "99"]]);

    const keys = spreadKeys(proxy, "io:k", 60);
    assert.equal(await r.mset(Object.fromEntries(keys.map((k) => [k, `v-${k}`]))), "OK");
    assert.deepEqual(await r.mget(...keys), keys.map((k) => `v-${k}`));
    assert.equal(await r.mset({ "io:m1": "x", "io:m2": "y", "io:m3": "z" }), "OK");
    assert.equal(await r.exists("io:m1", "io:m2", "io:none", "io:m1"), 3);
    assert.equal(await r.del("io:a", "io:p0", "io:nothing", "io:m3"), 3);

    // Lua: EVAL, and a defined command (EVALSHA, then EVAL after NOSCRIPT).
    const sum = await r.eval(
      "return redis.call('incrby', KEYS[1], ARGV[1]) + redis.call('incrby', KEYS[2], ARGV[1])",
      2,
      "{io}x",
      "{io}y",
      5,
    );
    assert.equal(sum, 10);
    r.defineCommand("swap", {
      numberOfKeys: 2,
      lua:
        "local a = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], redis.call('get', KEYS[2])) " +
        "redis.call('set', KEYS[2], a) return {a, redis.call('get', KEYS[1])}",
    });
    const swap = (r as unknown as { swap(a: string, b: string): Promise<unknown> }).swap;
    await r.set("{io}x", "X");
    assert.deepEqual(await swap.call(r, "{io}x", "{io}y"), ["X", "5"]);
    assert.deepEqual(await swap.call(r, "{io}x", "{io}y"), ["5", "X"]);
    await assert.rejects(
      r.eval(
        "return 1",
        2,
        "{io}x",
        spreadKeys(proxy, "io:", 1).find((k) => serverOf(proxy, k) !== serverOf(proxy, "{io}x"))!,
      ),
      /keys in 'eval' command map to different servers/,
    );
    await assert.rejects(r.keys("*"), /ERR unsupported command 'keys'/);
    assert.equal(await r.ping(), "PONG");
  } finally {
    await r.quit();
  }
});

Deno.test("ioredis: a wrong password is refused with WRONGPASS", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(pool(backends.ports, `  redis_auth: ${PASSWORD}\n`));
  const r = new Redis({
    host: "127.0.0.1",
    port: proxy.port,
    password: "wrong",
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  const errors: string[] = [];
  r.on("error", (e: unknown) => errors.push(String(e)));
  try {
    // ioredis reports the AUTH error as an event, then closes the connection itself.
    await assert.rejects(r.connect(), /Connection is closed/);
    assert.deepEqual(errors, [
      "ReplyError: WRONGPASS invalid username-password pair or user is disabled.",
    ]);
  } finally {
    r.disconnect();
  }
});

/** What both node-redis versions offer that the test uses. */
interface NodeRedis {
  connect(): Promise<unknown>;
  on(event: "error", f: (e: unknown) => void): unknown;
  sendCommand(args: string[]): Promise<unknown>;
  set(k: string, v: string): Promise<unknown>;
  get(k: string): Promise<unknown>;
  mSet(kv: Record<string, string>): Promise<unknown>;
  mGet(keys: string[]): Promise<unknown>;
  exists(keys: string[]): Promise<unknown>;
  del(keys: string[]): Promise<unknown>;
  hSet(k: string, v: Record<string, string>): Promise<unknown>;
  hGetAll(k: string): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  ping(): Promise<unknown>;
  quit(): Promise<unknown>;
}

async function nodeRedis(c: NodeRedis, proxy: TestProxy, libVer: RegExp): Promise<void> {
  c.on("error", () => {});
  await c.connect();
  try {
    const info = String(await c.sendCommand(["CLIENT", "INFO"]));
    assert.match(info, /lib-name=node-redis /);
    assert.match(info, libVer);
    assert.equal(await c.set("nr:a", "x"), "OK");
    assert.equal(await c.get("nr:a"), "x");
    const kv: Record<string, string> = {};
    const keys = spreadKeys(proxy, "nr:", 30);
    for (const [i, k] of keys.entries()) kv[k] = String(i);
    assert.equal(await c.mSet(kv), "OK");
    assert.deepEqual(
      await c.mGet([...Object.keys(kv), "nr:none"]),
      [...Object.values(kv), null],
    );
    assert.equal(await c.exists(["nr:1", "nr:2", "nr:none", "nr:1"]), 3);
    assert.equal(await c.hSet("nr:h", { f: "1", g: "2" }), 2);
    assert.deepEqual({ ...(await c.hGetAll("nr:h") as Record<string, string>) }, {
      f: "1",
      g: "2",
    });
    assert.deepEqual(
      await c.eval("return {KEYS[1], ARGV[1], redis.call('get', KEYS[2])}", {
        keys: ["{nr}a", "{nr}b"],
        arguments: ["arg"],
      }),
      ["{nr}a", "arg", null],
    );
    assert.equal(await c.del(keys), keys.length);
    await assert.rejects(c.sendCommand(["KEYS", "*"]), /ERR unsupported command 'keys'/);
    assert.equal(await c.ping(), "PONG");
  } finally {
    await c.quit();
  }
}

Deno.test("node-redis v4: connects (AUTH, CLIENT SETINFO), get/set, multi-key commands, EVAL", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports, `  redis_auth: ${PASSWORD}\n`));
  const c = createClientV4({ url: `redis://:${PASSWORD}@127.0.0.1:${proxy.port}` });
  await nodeRedis(c as unknown as NodeRedis, proxy, /lib-ver=1\.\d+\.\d+/);
});

Deno.test("node-redis v5: connects (AUTH, CLIENT SETINFO), get/set, multi-key commands, EVAL", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports, `  redis_auth: ${PASSWORD}\n`));
  const c = createClientV5({ url: `redis://:${PASSWORD}@127.0.0.1:${proxy.port}` });
  await nodeRedis(c as unknown as NodeRedis, proxy, /lib-ver=5\.\d+\.\d+/);
});

Deno.test("node-redis v5 with RESP 2: connects with HELLO 2 AUTH, then works", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports, `  redis_auth: ${PASSWORD}\n`));
  const c = createClientV5({ url: `redis://:${PASSWORD}@127.0.0.1:${proxy.port}`, RESP: 2 });
  await nodeRedis(c as unknown as NodeRedis, proxy, /lib-ver=5\.\d+\.\d+/);
});

Deno.test("redis-cli: arguments, commands on stdin, --pipe, and -a with a password", async () => {
  await using backends = await startRedises(3);
  await using plain = await startProxy(pool(backends.ports));
  await using authed = await startProxy(pool(backends.ports, `  redis_auth: ${PASSWORD}\n`));
  const cli = (port: number, ...args: string[]) => run("redis-cli", ["-p", String(port), ...args]);
  const p = plain.port;
  assert.equal((await cli(p, "set", "cli:a", "hello")).out, "OK\n");
  assert.equal((await cli(p, "get", "cli:a")).out, "hello\n");
  assert.equal((await cli(p, "ping")).out, "PONG\n");
  assert.equal((await cli(p, "mset", "cli:1", "x", "cli:2", "y", "cli:3", "z")).out, "OK\n");
  assert.equal((await cli(p, "mget", "cli:1", "cli:none", "cli:3", "cli:2")).out, "x\n\nz\ny\n");
  assert.equal((await cli(p, "del", "cli:1", "cli:2", "cli:none")).out, "2\n");
  assert.equal((await cli(p, "keys", "*")).out.trim(), "ERR unsupported command 'keys'");
  assert.match((await cli(p, "info")).out, /^# Server\r?\n/);
  // Commands on stdin, one per line.
  const piped = await run(
    "redis-cli",
    ["-p", String(p)],
    "set cli:s v\nget cli:s\nexists cli:s cli:3\n",
  );
  assert.equal(piped.out, "OK\nv\n2\n");
  // --pipe: raw RESP in, a count of replies out (it ends with an ECHO).
  let resp = "";
  for (let i = 0; i < 500; i++) {
    resp += `*3\r\n$3\r\nSET\r\n$${`cli:p${i}`.length}\r\ncli:p${i}\r\n$1\r\n${i % 10}\r\n`;
  }
  const mass = await run("redis-cli", ["-p", String(p), "--pipe"], resp);
  assert.equal(mass.code, 0, mass.out + mass.err);
  assert.match(mass.out, /errors: 0, replies: 500/);
  assert.equal((await cli(p, "get", "cli:p499")).out, "9\n");

  // With a password.
  const a = authed.port;
  const denied = await cli(a, "get", "cli:a");
  assert.equal(denied.out.trim(), "NOAUTH Authentication required.");
  const ok = await cli(a, "-a", PASSWORD, "--no-auth-warning", "get", "cli:a");
  assert.equal(ok.out, "hello\n");
  assert.equal(ok.err, "");
  const warned = await cli(a, "-a", PASSWORD, "get", "cli:a");
  assert.equal(warned.out, "hello\n");
  assert.match(warned.err, /Warning: Using a password/);
  const wrong = await cli(a, "-a", "wrong", "--no-auth-warning", "get", "cli:a");
  assert.match(wrong.err, /AUTH failed: WRONGPASS invalid username-password pair/);
  assert.equal(wrong.out.trim(), "NOAUTH Authentication required.");
  const url = await run("redis-cli", [
    "-u",
    `redis://default:${PASSWORD}@127.0.0.1:${a}`,
    "--no-auth-warning",
    "get",
    "cli:a",
  ]);
  assert.equal(url.out, "hello\n");
});

Deno.test("redis-cli: AUTH and redis_db 3 in front of a password-protected redis-server", async () => {
  await using backend = await startRedis(undefined, ["--requirepass", "backendpw"]);
  await using proxy = await startProxy(
    pool([backend.port], "  redis_auth: backendpw\n  redis_db: 3\n"),
  );
  const cli = (port: number, ...args: string[]) =>
    run("redis-cli", ["-p", String(port), "--no-auth-warning", ...args]);
  assert.equal((await cli(proxy.port, "get", "k")).out.trim(), "NOAUTH Authentication required.");
  assert.match((await cli(proxy.port, "-a", "wrong", "get", "k")).err, /WRONGPASS/);
  assert.equal((await cli(proxy.port, "-a", "backendpw", "set", "dbkey", "v3")).out, "OK\n");
  // Directly on the backend: the key is in db 3, not db 0.
  assert.equal((await cli(backend.port, "-a", "backendpw", "-n", "3", "get", "dbkey")).out, "v3\n");
  assert.equal((await cli(backend.port, "-a", "backendpw", "-n", "0", "get", "dbkey")).out, "\n");
});

/** The test names of `redis-benchmark -q` (redis-tools 7.0) with its default suite. */
const BENCHMARK_TESTS = [
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
  "LPUSH (needed to benchmark LRANGE)",
  "LRANGE_100 (first 100 elements)",
  "LRANGE_300 (first 300 elements)",
  "LRANGE_500 (first 500 elements)",
  "LRANGE_600 (first 600 elements)",
  "MSET (10 keys)",
];

/** Default tests the proxy does not serve: none. */
const BENCHMARK_UNSUPPORTED: string[] = [];

/** The results (test name -> requests per second) and the other lines of a `-q` run. */
function benchmarkResults(out: string): { rates: Map<string, number>; other: string[] } {
  const rates = new Map<string, number>();
  const other: string[] = [];
  // -q redraws progress lines with CR; the last text of each line counts.
  for (const raw of out.split("\n")) {
    const line = (raw.split("\r").filter((s) => s.trim() !== "").pop() ?? "").trim();
    if (line === "") continue;
    const m = /^(.+?): ([\d.]+) requests per second/.exec(line);
    if (m !== null) rates.set(m[1]!, Number(m[2]));
    else other.push(line);
  }
  return { rates, other };
}

Deno.test("redis-benchmark's default suite completes through the proxy with a positive rate for every test", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const { code, out, err } = await run("redis-benchmark", [
    "-p",
    String(proxy.port),
    "-q",
    "-n",
    "2000",
    "-c",
    "10",
  ]);
  console.log(out + err);
  assert.equal(code, 0, out + err);
  const { rates, other } = benchmarkResults(out + "\n" + err);
  assert.deepEqual(
    [...rates.keys()],
    BENCHMARK_TESTS.filter((t) => !BENCHMARK_UNSUPPORTED.includes(t)),
  );
  for (const [t, rate] of rates) assert.ok(rate > 0, `${t}: ${rate}`);
  // The one other line: redis-benchmark asks for CONFIG GET save/appendonly,
  // which a proxy does not serve.
  assert.deepEqual(other, ["WARNING: Could not fetch server CONFIG"]);
  assert.doesNotMatch(out + err, /ERR|error/i);
});

Deno.test("redis-benchmark with pipelining and random keys over three servers: no errors", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  const { code, out, err } = await run("redis-benchmark", [
    "-p",
    String(proxy.port),
    "-q",
    "-n",
    "20000",
    "-c",
    "20",
    "-P",
    "16",
    "-r",
    "10000",
    "-t",
    "set,get,incr,lpush,mset",
  ]);
  assert.equal(code, 0, out + err);
  const { rates, other } = benchmarkResults(out + "\n" + err);
  assert.deepEqual([...rates.keys()], ["SET", "GET", "INCR", "LPUSH", "MSET (10 keys)"]);
  for (const [t, rate] of rates) assert.ok(rate > 0, `${t}: ${rate}`);
  assert.deepEqual(other, ["WARNING: Could not fetch server CONFIG"]);
  // Random keys reached every server.
  for (const port of backends.ports) {
    const size = await run("redis-cli", ["-p", String(port), "dbsize"]);
    assert.ok(Number(size.out) > 100, `server ${port} holds ${size.out.trim()} keys`);
  }
});
