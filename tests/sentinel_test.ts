/**
 * End-to-end Redis Sentinel with real processes on loopback: a master, its
 * replica, an unrelated second master, and three sentinels. The proxy finds
 * the masters through the sentinels, follows a SENTINEL FAILOVER within
 * seconds (also after the sentinel it listened to died), fails only the
 * requests in flight on the old master, never hands a reply to the wrong
 * request, sends writes after the switch to the new master, and keeps every
 * key on the same logical server. Without any sentinel it still starts,
 * answers with an error for masters it cannot place, and catches up when a
 * sentinel appears.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/load.ts";
import { Engine } from "../lib/runtime/engine.ts";
import { freePort, RawClient, startRedis, startSentinel } from "./_support/servers.ts";
import { cmd, concat, decodeAll, replies, type Reply, ReplyError } from "./_support/resp.ts";
import { startStats } from "./_support/proxy.ts";

const enc = new TextEncoder();

/** An engine built from YAML that records its log lines. */
async function engineWithLog(yaml: string) {
  const port = freePort();
  const lines: string[] = [];
  const text = yaml.replace("listen: AUTO", `listen: 127.0.0.1:${port}`);
  const engine = new Engine(parseConfig(text, "test.yml"), {
    log: (_level, message) => lines.push(message),
  });
  engine.open();
  await engine.ready();
  return {
    engine,
    lines,
    port,
    text,
    async logged(re: RegExp, ms = 20_000): Promise<string> {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const line = lines.find((l) => re.test(l));
        if (line !== undefined) return line;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no log line matches ${re}; have:\n${lines.join("\n")}`);
    },
    [Symbol.asyncDispose]: () => engine.close(),
  };
}

/** Sends one command to a server and returns its reply. */
async function ask(port: number, ...args: string[]): Promise<Reply> {
  await using c = await RawClient.connect(port);
  await c.send(cmd(...args));
  return decodeAll(await c.readUntil(replies(1)))[0]!;
}

/** Polls `check` every 100 ms until it holds, at most `ms`. */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether the sentinel on `port` knows a healthy replica of `name` on `replicaPort`. */
async function knowsReplica(sentinel: number, name: string, replicaPort: number) {
  const reply = await ask(sentinel, "SENTINEL", "replicas", name);
  if (!Array.isArray(reply)) return false;
  return reply.some((r) => {
    if (!Array.isArray(r)) return false;
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < r.length; i += 2) f[String(r[i])] = String(r[i + 1]);
    return f.port === String(replicaPort) && f.flags === "slave" &&
      f["master-link-status"] === "ok";
  });
}

/** `role:` from INFO replication. */
async function role(port: number): Promise<string> {
  const info = String(await ask(port, "INFO", "replication"));
  return /role:(\w+)/.exec(info)?.[1] ?? "?";
}

Deno.test("sentinel: the proxy finds the masters, follows SENTINEL FAILOVER, and misdelivers nothing", async () => {
  await using master = await startRedis();
  await using replica = await startRedis(undefined, [
    "--replicaof",
    "127.0.0.1",
    String(master.port),
  ]);
  await using other = await startRedis();
  const masters = { mymaster: master.port, other: other.port };
  await using s1 = await startSentinel(masters);
  await using s2 = await startSentinel(masters);
  await using s3 = await startSentinel(masters);
  await until("the replica to sync", async () =>
    (await role(replica.port)) === "slave" &&
    /master_link_status:up/.test(String(await ask(replica.port, "INFO", "replication"))));

  await using p = await engineWithLog(
    `ha:\n  listen: AUTO\n  redis: true\n  sentinels:\n` +
      [s1, s2, s3].map((s) => `    - 127.0.0.1:${s.port}\n`).join("") +
      `  servers:\n    - mymaster:1\n    - 127.0.0.1:1:1 other\n`,
  );
  const pool = p.engine.pools[0]!;
  const [mine, theirs] = ["mymaster", "other"].map((n) => pool.servers.find((s) => s.name === n)!);
  assert.equal(mine!.address.transport === "tcp" && mine!.address.port, master.port);
  // "other" was written at 127.0.0.1:1: the sentinels moved it (a switch).
  assert.equal(theirs!.address.transport === "tcp" && theirs!.address.port, other.port);
  await p.logged(
    new RegExp(
      `server 'mymaster': sentinel .* says the master is at 127\\.0\\.0\\.1:${master.port}`,
    ),
  );
  await p.logged(
    new RegExp(`server 'other' switched from 127\\.0\\.0\\.1:1 to 127\\.0\\.0\\.1:${other.port}`),
  );
  await p.logged(/subscribed to \+switch-master on sentinel/);

  // Keys and where they live, before anything moves.
  const keys = Array.from({ length: 200 }, (_, i) => `${i}:key`);
  const owner = new Map<string, string>();
  {
    await using c = await RawClient.connect(p.port);
    await c.send(concat(keys.map((k) => cmd("SET", k, `v:${k}`))));
    const rs = decodeAll(await c.readUntil(replies(keys.length)));
    assert.ok(rs.every((r) => r === "OK"), JSON.stringify(rs.find((r) => r !== "OK")));
    for (const k of keys) {
      const b = enc.encode(k);
      owner.set(k, pool.servers[pool.serverOf(b, 0, b.length)]!.name);
    }
  }
  const onMine = keys.filter((k) => owner.get(k) === "mymaster");
  const onOther = keys.filter((k) => owner.get(k) === "other");
  assert.ok(onMine.length > 20 && onOther.length > 20, `${onMine.length} ${onOther.length}`);
  assert.equal(await ask(master.port, "GET", onMine[0]!), `v:${onMine[0]}`);
  assert.equal(await ask(other.port, "GET", onOther[0]!), `v:${onOther[0]}`);
  await until(
    "the replica to hold the keys",
    async () => (await ask(replica.port, "DBSIZE")) === onMine.length,
  );

  // The sentinel the proxy listens to dies: it moves to the next one.
  await s1.stop();
  await p.logged(/sentinel 127\.0\.0\.1:\d+ subscription lost .*; trying the next/);
  await until(
    "a second subscription",
    () => p.lines.filter((l) => /subscribed to \+switch-master/.test(l)).length >= 2,
  );
  await until(
    "the sentinels to know the replica",
    () => knowsReplica(s2.port, "mymaster", replica.port),
  );

  // Clients read their own keys all through the failover; every reply must be
  // the value of the key asked for, or an error.
  let stop = false;
  let errors = 0;
  let values = 0;
  const load = (async () => {
    await using c = await RawClient.connect(p.port);
    for (let round = 0; !stop && round < 5000; round++) {
      const batch = onMine.slice(0, 20);
      await c.send(concat(batch.map((k) => cmd("GET", k))));
      const rs = decodeAll(await c.readUntil(replies(batch.length), 20_000));
      for (const [i, r] of rs.entries()) {
        if (r instanceof ReplyError) errors++;
        else {
          assert.equal(r, `v:${batch[i]}`, "a reply went to the wrong request");
          values++;
        }
      }
    }
  })();

  assert.equal(await ask(s2.port, "SENTINEL", "FAILOVER", "mymaster"), "OK");
  await until(
    "the proxy to follow",
    () => mine!.address.transport === "tcp" && mine!.address.port === replica.port,
  );
  stop = true;
  await load;
  assert.ok(values > 0);
  const line = await p.logged(/server 'mymaster' switched from/);
  assert.match(
    line,
    new RegExp(
      `switched from 127\\.0\\.0\\.1:${master.port} to 127\\.0\\.0\\.1:${replica.port} .*sentinel`,
    ),
  );
  assert.equal(mine!.switches, 1);
  assert.equal(await role(replica.port), "master");

  // Writes after the switch land on the new master; "other" never moved.
  {
    await using c = await RawClient.connect(p.port);
    await c.send(concat(onMine.map((k) => cmd("SET", k, `after:${k}`))));
    const rs = decodeAll(await c.readUntil(replies(onMine.length)));
    assert.ok(rs.every((r) => r === "OK"), JSON.stringify(rs.filter((r) => r !== "OK")));
    await c.send(cmd("SET", onOther[0]!, "still other"));
    assert.deepEqual(decodeAll(await c.readUntil(replies(1))), ["OK"]);
  }
  assert.equal(await ask(replica.port, "GET", onMine[0]!), `after:${onMine[0]}`);
  assert.equal(await ask(other.port, "GET", onOther[0]!), "still other");
  for (const k of keys) {
    const b = enc.encode(k);
    assert.equal(pool.servers[pool.serverOf(b, 0, b.length)]!.name, owner.get(k), k);
  }

  // Stats: the current address and server_switches of each followed server.
  await using stats = await startStats({ workers: 1, stats: () => Promise.resolve(p.engine) });
  stats.aggregate();
  await using sc = await RawClient.connect(stats.addr.port);
  assert.ok(await sc.closedWithin(2000));
  const doc = JSON.parse(new TextDecoder().decode(sc.buffered));
  assert.equal(doc.ha.mymaster.address, `127.0.0.1:${replica.port}`);
  assert.equal(doc.ha.mymaster.server_switches, 1);
  assert.equal(doc.ha.other.server_switches, 1);
});

Deno.test("sentinel: with no sentinel reachable the proxy starts, errors for unplaced masters, and catches up", async () => {
  await using master = await startRedis();
  const sentinelPort = freePort();
  await using p = await engineWithLog(
    `ha:\n  listen: AUTO\n  redis: true\n  sentinels:\n    - 127.0.0.1:${sentinelPort}\n` +
      `  servers:\n    - mymaster:1\n`,
  );
  await p.logged(/no sentinel says where 'mymaster' is \(127\.0\.0\.1:\d+: Connection refused\)/);
  {
    await using c = await RawClient.connect(p.port);
    await c.send(cmd("GET", "k"));
    assert.equal(await c.readLine(), "-ERR Master address unknown: no sentinel has answered");
  }
  await using s = await startSentinel({ mymaster: master.port }, sentinelPort);
  await p.logged(/server 'mymaster': sentinel .* says the master is at/);
  await using c = await RawClient.connect(p.port);
  await c.send(cmd("SET", "k", "v"));
  assert.equal(await c.readLine(), "+OK");
  assert.equal(await ask(master.port, "GET", "k"), "v");
  assert.ok(s.port > 0);

  // A reload keeps the followed address and hands the subscription on.
  const before = p.lines.filter((l) => /subscribed to \+switch-master/.test(l)).length;
  await p.engine.reload(parseConfig(p.text, "test.yml"));
  const server = p.engine.pools[0]!.servers[0]!;
  assert.equal(server.address.transport === "tcp" && server.address.port, master.port);
  await until(
    "the new generation to subscribe",
    () => p.lines.filter((l) => /subscribed to \+switch-master/.test(l)).length > before,
  );
  await c.send(cmd("GET", "k"));
  assert.equal(await c.readLine(), "$1");
  assert.equal(await c.readLine(), "v");
});
