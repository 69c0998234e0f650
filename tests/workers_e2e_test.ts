/**
 * The end-to-end suites' representative cases with `--workers 2` and
 * `--workers 4` (nutmeg as a process, real redis-servers and memcacheds,
 * clients spread over the workers by SO_REUSEPORT):
 *
 * - stats: after a known workload the summed counters equal its counts
 *   exactly (requests, responses and request bytes per server, client
 *   connections);
 * - placement: each key is on exactly the server one event loop places it
 *   on (read back from the backends), Redis and memcached;
 * - split commands: MSET, MGET, EXISTS, DEL and memcached multi-get over
 *   several servers merge in key order on every worker;
 * - faults: a backend killed under pipelined load from every worker never
 *   misdelivers (each reply is the right value or an error), and once it is
 *   back every worker uses it again.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Backend, RawClient, startMemcached, startRedis } from "./_support/servers.ts";
import { cmd, ReplyError } from "./_support/resp.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";
import { freePort } from "./_support/ports.ts";
import {
  call,
  clients,
  expectedPlacement,
  perWorker,
  pipeline,
  placement,
  setAll,
  text,
} from "./_support/workers.ts";

function yaml(
  redis: number,
  memcache: number,
  rs: readonly number[],
  ms: readonly number[],
): string {
  const lines = (ports: readonly number[], name: string) =>
    ports.map((p, i) => `    - 127.0.0.1:${p}:1 ${name}${i}\n`).join("");
  return `alpha:\n  listen: 127.0.0.1:${redis}\n  redis: true\n  hash: murmur\n` +
    `  distribution: ketama\n  timeout: 2000\n  servers:\n${lines(rs, "r")}` +
    `beta:\n  listen: 127.0.0.1:${memcache}\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  timeout: 2000\n  servers:\n${lines(ms, "m")}`;
}

async function closeAll(cs: readonly RawClient[]): Promise<void> {
  for (const c of cs) await c.close();
}

/** Which of `ports` (memcacheds) hold `key`, read directly. */
async function memcachedsHolding(ports: readonly number[], key: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ports.length; i++) {
    await using c = await RawClient.connect(ports[i]!);
    await c.send(`get ${key}\r\n`);
    if ((await c.readUntilText("END\r\n")).startsWith("VALUE ")) out.push(i);
  }
  return out;
}

async function run(workers: number): Promise<void> {
  const redises: Backend[] = await Promise.all([startRedis(), startRedis(), startRedis()]);
  const memcacheds: Backend[] = await Promise.all([startMemcached(), startMemcached()]);
  try {
    await scenario(workers, redises, memcacheds);
  } finally {
    await Promise.all([...redises, ...memcacheds].map((b) => b.stop()));
  }
}

async function scenario(workers: number, redises: Backend[], memcacheds: Backend[]) {
  const rPorts = redises.map((b) => b.port);
  const mPorts = memcacheds.map((b) => b.port);
  const rPort = freePort();
  const mPort = freePort();
  const conf = yaml(rPort, mPort, rPorts, mPorts);
  await using nm = await startNutmegChild(conf, ["--workers", String(workers)]);

  // Stats and placement: 40 clients SET then GET 10 keys each.
  const n = 40;
  const per = 10;
  const first = await clients(rPort, n);
  let keys: string[];
  try {
    keys = await setAll(first, "k", per);
    await Promise.all(first.map(async (c, i) => {
      const got = await pipeline(
        c,
        Array.from({ length: per }, (_, k) => cmd("GET", `k:${i}:${k}`)),
      );
      assert.deepEqual(got.map(text), Array.from({ length: per }, (_, k) => `v:k:${i}:${k}`));
    }));
    const spread = await perWorker(nm.statsPort);
    assert.equal(spread.length, workers);
    assert.ok(spread.every((c) => c > 0), `clients per worker: ${spread}`);
    const where = expectedPlacement(conf, keys, "alpha");
    const want = rPorts.map(() => ({ requests: 0, bytes: 0 }));
    for (const k of keys) {
      const w = want[where.get(k)!]!;
      w.requests += 2;
      w.bytes += cmd("SET", k, `v:${k}`).length + cmd("GET", k).length;
    }
    const s = await nm.waitStats(
      (s) =>
        [0, 1, 2].reduce((t, i) => t + (s.alpha?.[`r${i}`]?.responses ?? 0), 0) === 2 * n * per,
      "every response",
    );
    for (let i = 0; i < rPorts.length; i++) {
      const srv = s.alpha[`r${i}`];
      assert.equal(srv.requests, want[i]!.requests, `r${i} requests`);
      assert.equal(srv.responses, want[i]!.requests, `r${i} responses`);
      assert.equal(srv.request_bytes, want[i]!.bytes, `r${i} request_bytes`);
    }
    assert.equal(s.alpha.client_connections, n);
    assert.equal(s.total_connections, n);
    assert.equal(s.curr_connections, n);
    const held = await placement(rPorts);
    for (let i = 0; i < rPorts.length; i++) {
      assert.deepEqual(held[i], keys.filter((k) => where.get(k) === i), `keys on r${i}`);
    }
  } finally {
    await closeAll(first);
  }

  // Split commands from clients on every worker.
  const splitters = await clients(rPort, 20);
  try {
    await Promise.all(splitters.map(async (c, i) => {
      const ks = Array.from({ length: 20 }, (_, k) => `s:${i}:${k}`);
      const [mset, mget, exists, del, after] = await pipeline(c, [
        cmd("MSET", ...ks.flatMap((k) => [k, `w:${k}`])),
        cmd("MGET", ...ks, "missing"),
        cmd("EXISTS", ...ks, "missing", ks[0]!),
        cmd("DEL", ...ks.slice(0, 5), "missing"),
        cmd("MGET", ks[0]!, ks[5]!),
      ]);
      assert.equal(mset, "OK");
      assert.deepEqual((mget as unknown[]).map((r) => r === null ? null : text(r as string)), [
        ...ks.map((k) => `w:${k}`),
        null,
      ]);
      assert.equal(exists, 21);
      assert.equal(del, 5);
      assert.deepEqual((after as unknown[]).map((r) => r === null ? null : text(r as string)), [
        null,
        `w:${ks[5]}`,
      ]);
    }));
  } finally {
    await closeAll(splitters);
  }
  const mcs = await clients(mPort, 20);
  const mkeys: string[] = [];
  try {
    await Promise.all(mcs.map(async (c, i) => {
      const ks = Array.from({ length: 20 }, (_, k) => `m:${i}:${k}`);
      mkeys.push(...ks);
      await c.send(ks.map((k) => `set ${k} 0 0 ${`x:${k}`.length}\r\nx:${k}\r\n`).join(""));
      for (const _ of ks) assert.equal(await c.readLine(), "STORED");
      await c.send(`get ${ks.join(" ")} nothere\r\n`);
      const got = await c.readUntilText("END\r\n");
      const want = ks.map((k) => `VALUE ${k} 0 ${`x:${k}`.length}\r\nx:${k}\r\n`).join("") +
        "END\r\n";
      assert.equal(got, want);
    }));
  } finally {
    await closeAll(mcs);
  }
  const mWhere = expectedPlacement(conf, mkeys, "beta");
  const sample = mkeys.filter((_, i) => i % 8 === 0);
  const spreadOver = new Set<number>();
  for (const k of sample) {
    const holding = await memcachedsHolding(mPorts, k);
    assert.deepEqual(holding, [mWhere.get(k)], `memcached holding ${k}`);
    spreadOver.add(holding[0]!);
  }
  assert.equal(spreadOver.size, 2, "both memcacheds hold keys");

  // Faults: r2 killed under pipelined load from every worker, then back.
  const known = keys!;
  const loaders = await clients(rPort, 20);
  let killed: Promise<void> | null = null;
  let errors = 0;
  try {
    await Promise.all(loaders.map(async (c, ci) => {
      for (let round = 0; round < 6; round++) {
        if (round === 2 && ci === 0) killed ??= redises[2]!.stop();
        // Rounds after the kill see it (the others run before, during or after).
        if (round === 3 && ci === 0) await killed;
        const ks = Array.from(
          { length: 40 },
          (_, j) => known[(ci * 40 + j + round) % known.length]!,
        );
        const got = await pipeline(c, ks.map((k) => cmd("GET", k)));
        got.forEach((r, j) => {
          if (r instanceof ReplyError) {
            errors++;
            return;
          }
          assert.equal(text(r), `v:${ks[j]}`, `reply to GET ${ks[j]} (round ${round})`);
        });
      }
    }));
    await killed;
  } finally {
    await closeAll(loaders);
  }
  assert.ok(errors > 0, "keys of the killed server got error replies");
  redises[2] = await startRedis(rPorts[2]);
  const back = await clients(rPort, 20);
  try {
    // Every worker reconnects on demand: every SET succeeds.
    const again = await setAll(back, "b", 10);
    const where = expectedPlacement(conf, again, "alpha");
    assert.ok(again.some((k) => where.get(k) === 2));
    await using d = await RawClient.connect(rPorts[2]!);
    const onR2 = again.filter((k) => where.get(k) === 2);
    for (const k of onR2.slice(0, 10)) assert.equal(text(await call(d, "GET", k)), `v:${k}`);
  } finally {
    await closeAll(back);
  }
  assert.equal((await nm.stop()).code, 0);
}

for (const workers of [2, 4]) {
  Deno.test(`--workers ${workers}: exact stats, one placement, split commands and a killed backend`, () =>
    run(workers));
}
