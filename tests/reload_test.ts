/**
 * End-to-end reloads of a nutmeg process: SIGUSR2 and --watch, with real
 * redis-servers. Covers twemproxy's tests/test_system/test_reload.py
 * scenarios (the same file again, a new port, pools added and removed,
 * preconnect after the swap), refused files (syntax error, unknown hash, a
 * port in use) that change nothing, and counters that carry over.
 */
import assert from "node:assert/strict";
import { freePort, RawClient, startRedises } from "./_support/servers.ts";
import { cmd, decode, replies, type Reply } from "./_support/resp.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";
import { TEST_WORKERS } from "./_support/test_workers.ts";

interface PoolSpec {
  readonly name: string;
  readonly port: number;
  readonly servers: readonly string[];
  readonly extra?: string;
}

function yaml(pools: readonly PoolSpec[]): string {
  return pools.map((p) =>
    `${p.name}:\n  listen: 127.0.0.1:${p.port}\n  hash: fnv1a_64\n  distribution: modula\n` +
    `  redis: true\n${p.extra ?? ""}  servers:\n${p.servers.map((s) => `    - ${s}\n`).join("")}`
  ).join("\n");
}

async function call(c: RawClient, ...args: string[]): Promise<Reply> {
  await c.send(cmd(...args));
  return decode(await c.readUntil(replies(1)))![0];
}

async function refused(port: number): Promise<boolean> {
  try {
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    c.close();
    return false;
  } catch (e) {
    return e instanceof Deno.errors.ConnectionRefused;
  }
}

/** Sockets the process holds (Linux), for twemproxy's fd count check. */
async function sockets(pid: number): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
    try {
      if ((await Deno.readLink(`/proc/${pid}/fd/${e.name}`)).startsWith("socket:")) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

const linux = Deno.build.os === "linux";

Deno.test({
  name: "reload: the same file again keeps every connection and changes nothing",
  ignore: !linux,
  async fn() {
    await using b = await startRedises(2);
    const servers = b.ports.map((p, i) => `127.0.0.1:${p}:1 redis-${i}`);
    const port = freePort();
    await using nc = await startNutmegChild(yaml([{ name: "reload_test", port, servers }]));
    await using c1 = await RawClient.connect(port);
    assert.equal(await call(c1, "SET", "k", "v"), "OK");
    const before = await nc.stats();
    assert.equal(before.reloads, 0);
    assert.match(before.config_sha256, /^[0-9a-f]{64}$/);
    const after = await nc.reload();
    assert.equal(after.reloads, 1);
    assert.equal(after.reload_errors, 0);
    assert.equal(after.config_sha256, before.config_sha256);
    assert.equal(await call(c1, "GET", "k"), "v", "the old connection is still served");
    await using c2 = await RawClient.connect(port);
    assert.equal(await call(c2, "GET", "k"), "v");
    assert.equal(await call(c1, "GET", "k"), "v");
    assert.equal(after.reload_test.client_connections, 1);
    assert.match(
      await nc.log(),
      /reload of '.*nutmeg\.yml' done( on \d+ workers)?: generation 2, sha256 [0-9a-f]{12}: no changes/,
    );
    const status = await nc.stop();
    assert.equal(status.code, 0);
  },
});

Deno.test({
  name: "reload: a new port (twemproxy test_new_port) moves the pool",
  ignore: !linux,
  async fn() {
    await using b = await startRedises(2);
    const servers = b.ports.map((p, i) => `127.0.0.1:${p}:1 redis-${i}`);
    const [p1, p2] = [freePort(), freePort()];
    await using nc = await startNutmegChild(yaml([{ name: "reload_test", port: p1, servers }]));
    {
      await using c = await RawClient.connect(p1);
      assert.equal(await call(c, "SET", "k", "v"), "OK");
    }
    await nc.write(yaml([{ name: "reload_test", port: p2, servers, extra: "  timeout: 400\n" }]));
    const s = await nc.reload();
    assert.equal(s.reloads, 1);
    assert.ok(await refused(p1));
    await using c2 = await RawClient.connect(p2);
    assert.equal(await call(c2, "GET", "k"), "v");
    assert.match(
      await nc.log(),
      /pool 'reload_test' moved from 127\.0\.0\.1:\d+ to 127\.0\.0\.1:\d+/,
    );
  },
});

Deno.test({
  name: "reload: pools added and removed (twemproxy test_pool_add_del), preconnect after the swap",
  ignore: !linux,
  async fn() {
    await using b = await startRedises(2);
    const servers = b.ports.map((p, i) => `127.0.0.1:${p}:1 redis-${i}`);
    const [p1, p2, p3] = [freePort(), freePort(), freePort()];
    await using nc = await startNutmegChild(yaml([{ name: "reload_test", port: p1, servers }]));
    {
      await using c = await RawClient.connect(p1);
      assert.equal(await call(c, "SET", "k", "v"), "OK");
    }
    await nc.write(yaml([
      { name: "reload_test", port: p1, servers },
      { name: "reload_test2", port: p2, servers },
    ]));
    assert.equal((await nc.reload()).reloads, 1);
    {
      await using c1 = await RawClient.connect(p1);
      await using c2 = await RawClient.connect(p2);
      assert.equal(await call(c1, "GET", "k"), "v");
      assert.equal(await call(c2, "GET", "k"), "v");
    }
    await nc.write(
      yaml([{ name: "reload_test", port: p3, servers, extra: "  preconnect: true\n" }]),
    );
    const s = await nc.reload();
    assert.equal(s.reloads, 2);
    assert.deepEqual(Object.keys(s).filter((k) => typeof s[k] === "object"), ["reload_test"]);
    assert.ok(await refused(p1));
    assert.ok(await refused(p2));
    await using c3 = await RawClient.connect(p3);
    assert.equal(await call(c3, "GET", "k"), "v");
    // No socket left behind by the removed pools: as many as a fresh nutmeg
    // started with the final file holds with one client (twemproxy counts
    // pool + stats + 2 backends + 1 client).
    // (Each worker preconnects its own: TEST_WORKERS per server.)
    // deno-lint-ignore no-explicit-any
    const preconnected = (st: any) =>
      st.reload_test["redis-0"].server_connections === TEST_WORKERS &&
      st.reload_test["redis-1"].server_connections === TEST_WORKERS;
    await nc.waitStats(preconnected, "preconnected servers");
    const p4 = freePort();
    await using fresh = await startNutmegChild(
      yaml([{ name: "reload_test", port: p4, servers, extra: "  preconnect: true\n" }]),
    );
    await using c4 = await RawClient.connect(p4);
    assert.equal(await call(c4, "GET", "k"), "v");
    await fresh.waitStats(preconnected, "preconnected servers");
    // Both counted again each time: either side may still hold a stats
    // connection that waitStats just closed.
    let want = 0;
    let count = 0;
    for (let i = 0; i < 200; i++) {
      want = await sockets(fresh.pid);
      count = await sockets(nc.pid);
      if (count === want) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(count, want);
  },
});

Deno.test({
  name: "reload: a syntax error, an unknown hash or a port in use changes nothing",
  ignore: !linux,
  async fn() {
    await using b = await startRedises(2);
    const servers = b.ports.map((p, i) => `127.0.0.1:${p}:1 redis-${i}`);
    const port = freePort();
    const good = yaml([{ name: "alpha", port, servers: [servers[0]!] }]);
    await using nc = await startNutmegChild(good);
    await using c = await RawClient.connect(port);
    assert.equal(await call(c, "SET", "k", "v"), "OK");
    const sha = (await nc.stats()).config_sha256;
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const broken: [string, RegExp][] = [
      [
        good.replace("  servers:\n", "  servers\n"),
        /nutmeg\.yml:\d+:\d+: .*; /,
      ],
      [
        good.replace("hash: fnv1a_64", "hash: fnv2"),
        /nutmeg\.yml:3:9: pool 'alpha': key 'hash': unknown hash 'fnv2'; /,
      ],
      [
        yaml([
          { name: "alpha", port, servers },
          { name: "beta", port: freePort(), servers },
          { name: "gamma", port: (taken.addr as Deno.NetAddr).port, servers },
        ]),
        /nutmeg\.yml:\d+: pool 'gamma': cannot listen on '127\.0\.0\.1:\d+': .*; stop what holds that address or give the pool another 'listen:'/,
      ],
    ];
    let errors = 0;
    for (const [text, message] of broken) {
      await nc.write(text);
      const s = await nc.reload();
      errors++;
      assert.equal(s.reload_errors, errors);
      assert.equal(s.reloads, 0);
      assert.equal(s.config_sha256, sha);
      assert.deepEqual(Object.keys(s.alpha).filter((k) => k.startsWith("redis-")), ["redis-0"]);
      const log = await nc.log();
      const line = log.split("\n").filter((l) => l.includes("refused, nothing changed")).at(-1);
      assert.match(line ?? "", message, log);
      assert.equal(await call(c, "GET", "k"), "v", "traffic continues on the same connection");
    }
    assert.equal((await nc.stats()).alpha.client_connections, 1);
    // The port bound for 'beta' before 'gamma' failed was released.
    await nc.write(good);
    assert.equal((await nc.reload()).reloads, 1);
  },
});

Deno.test({
  name: "reload: --watch picks up an edit, refuses a broken one once, and takes the fix",
  ignore: !linux,
  async fn() {
    await using b = await startRedises(2);
    const servers = b.ports.map((p, i) => `127.0.0.1:${p}:1 redis-${i}`);
    const port = freePort();
    await using nc = await startNutmegChild(
      yaml([{ name: "alpha", port, servers: [servers[0]!] }]),
      ["--watch"],
    );
    await using c = await RawClient.connect(port);
    assert.equal(await call(c, "SET", "k", "v"), "OK");
    await nc.write(yaml([{ name: "alpha", port, servers }]));
    let s = await nc.waitStats((st) => st.reloads === 1, "the watched edit");
    assert.deepEqual(Object.keys(s.alpha).filter((k) => k.startsWith("redis-")), [
      "redis-0",
      "redis-1",
    ]);
    await nc.write("alpha:\n  listen: [oops\n");
    s = await nc.waitStats((st) => st.reload_errors === 1, "the refused edit");
    assert.equal(s.reloads, 1);
    await nc.write(yaml([{ name: "alpha", port, servers: [servers[1]!] }]));
    s = await nc.waitStats((st) => st.reloads === 2, "the fixed edit");
    assert.equal(s.reload_errors, 1);
    assert.equal(s.alpha.client_connections, 1);
    assert.equal(await call(c, "SET", "k2", "v2"), "OK");
    await using direct = await RawClient.connect(b.ports[1]!);
    assert.equal(
      await call(direct, "GET", "k2"),
      "v2",
      "requests after the swap use the new placement",
    );
  },
});

Deno.test({
  name: "reload: stats of kept servers carry over; removed ones leave; /metrics shows the reloads",
  ignore: !linux,
  async fn() {
    await using b = await startRedises(3);
    const servers = b.ports.map((p, i) => `127.0.0.1:${p}:1 redis-${i}`);
    const port = freePort();
    await using nc = await startNutmegChild(
      yaml([{ name: "alpha", port, servers: [servers[0]!, servers[1]!] }]),
    );
    await using c = await RawClient.connect(port);
    for (let i = 0; i < 40; i++) {
      // Seen once with 2 workers on a loaded machine: an error reply here,
      // before any reload. Say which, so that it can be told apart.
      const r = await call(c, "SET", `key:${i}`, "v");
      assert.equal(r, "OK", `SET key:${i} answered ${JSON.stringify(r)}`);
    }
    const before = await nc.waitStats(
      (st) => st.alpha["redis-0"].requests + st.alpha["redis-1"].requests === 40,
      "40 requests",
    );
    await nc.write(yaml([{ name: "alpha", port, servers: [servers[0]!, servers[2]!] }]));
    const s = await nc.reload();
    assert.equal(s.alpha["redis-0"].requests, before.alpha["redis-0"].requests);
    assert.equal(s.alpha["redis-0"].server_connections, 1, "the kept connection");
    assert.equal(s.alpha["redis-1"], undefined);
    assert.equal(s.alpha["redis-2"].requests, 0);
    assert.equal(s.alpha.client_connections, 1);
    assert.equal(s.total_connections, before.total_connections);
    assert.ok(s.config_loaded_at >= before.config_loaded_at);
    assert.notEqual(s.config_sha256, before.config_sha256);
    // The port answers raw JSON to a request that comes later than its
    // sniffing window (a loaded machine): ask again then.
    let text = "";
    for (let attempt = 0; attempt < 5 && !text.startsWith("HTTP/1.1 200"); attempt++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: nc.statsPort });
      await conn.write(new TextEncoder().encode("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
      text = "";
      const buf = new Uint8Array(65536);
      for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      conn.close();
    }
    assert.match(text, /\nnutmeg_reloads_total 1\n/);
    assert.match(text, /\nnutmeg_reload_errors_total 0\n/);
    assert.ok(text.includes(`nutmeg_config_info{sha256="${s.config_sha256}"} 1`));
    assert.match(text, /\nnutmeg_config_loaded_timestamp_seconds \d+\n/);
  },
});
