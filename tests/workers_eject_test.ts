/**
 * One placement with `--workers 2` and auto_eject_hosts: a pool of a real
 * redis-server and a broken one (a gate in front of a second redis-server
 * closes every connection at once, tests/_support/gate.ts), many
 * clients spread over both workers by SO_REUSEPORT. The failures both
 * workers see are counted once, on the main thread: one ejection (counted
 * once in server_ejects) is applied by every worker, so every key then lands
 * on the live server, read back directly from it; when the gate opens and
 * the retry timeout is over, every worker takes it back and
 * each key is on exactly the server one event loop would place it on.
 *
 * @module
 */
import assert from "node:assert/strict";
import { RawClient, startRedis } from "./_support/servers.ts";
import { cmd } from "./_support/resp.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";
import { freePort } from "./_support/ports.ts";
import { startGate } from "./_support/gate.ts";
import {
  call,
  clients,
  expectedPlacement,
  flush,
  perWorker,
  pipeline,
  placement,
  setAll,
  text,
  waitLog,
} from "./_support/workers.ts";

const CLIENTS = 40;
const KEYS = 10;
const RETRY_MS = 5000;

function yaml(port: number, p1: number, p2: number): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  hash: fnv1a_64\n  distribution: ketama\n` +
    `  redis: true\n  auto_eject_hosts: true\n  server_failure_limit: 3\n` +
    `  server_retry_timeout: ${RETRY_MS}\n  timeout: 2000\n` +
    `  servers:\n    - 127.0.0.1:${p1}:1 r1\n    - 127.0.0.1:${p2}:1 r2\n`;
}

async function closeAll(cs: readonly RawClient[]): Promise<void> {
  for (const c of cs) await c.close();
}

Deno.test("--workers 2: an ejection is decided once and applied by every worker, and so is the return", async () => {
  await using r1 = await startRedis();
  await using r2 = await startRedis();
  await using gate = startGate(r2.port); // shut: r2 is broken until it opens
  const port = freePort();
  const conf = yaml(port, r1.port, gate.port);
  await using nm = await startNutmegChild(conf, ["--workers", "2"]);

  // Clients on both workers send to r2's keys: its connections close at
  // once, one failure per connection; rounds of requests until it is out.
  const first = await clients(port, CLIENTS);
  try {
    let ejected = await nm.stats();
    for (let round = 0; round < 50 && !(ejected.alpha?.server_ejects >= 1); round++) {
      await Promise.all(
        first.map((c, i) =>
          pipeline(c, Array.from({ length: KEYS }, (_, k) => cmd("GET", `f:${i}:${k}`)))
        ),
      );
      ejected = await nm.stats();
    }
    ejected = await nm.waitStats((s) => s.alpha?.server_ejects >= 1, "an ejection");
    assert.ok(ejected.alpha.r2.server_ejected_at > 0);
    assert.equal(ejected.alpha.r1.server_ejected_at, 0);
  } finally {
    await closeAll(first);
  }
  const log = await waitLog(
    nm.log,
    (l) =>
      /worker 0: pool 'alpha': server 'r2'.* ejected after/.test(l) &&
      /worker 1: pool 'alpha': server 'r2'.* ejected after/.test(l),
    "the ejection on both workers",
  );
  assert.equal(log.match(/ejected after/g)!.length, 2, "one ejection, applied once by each worker");

  // While r2 is out: clients on both workers put every key on r1.
  await flush([r1.port]);
  const before = await perWorker(nm.statsPort);
  const during = await clients(port, CLIENTS);
  let keys: string[];
  try {
    keys = await setAll(during, "e", KEYS);
    const spread = await perWorker(nm.statsPort);
    assert.ok(spread.every((n, i) => n > before[i]!), `clients per worker: ${before} -> ${spread}`);
  } finally {
    await closeAll(during);
  }
  assert.deepEqual((await placement([r1.port]))[0], keys);
  {
    await using c = await RawClient.connect(r1.port);
    for (const k of keys.slice(0, 20)) assert.equal(text(await call(c, "GET", k)), `v:${k}`);
  }
  const counted = await nm.stats();
  assert.equal(counted.alpha.server_ejects, 1, "the ejection is counted once over the workers");

  // r2 is mended; after the retry timeout every worker takes it back.
  gate.open = true;
  await waitLog(
    nm.log,
    (l) =>
      /worker 0: pool 'alpha': server 'r2'.* back in the ring/.test(l) &&
      /worker 1: pool 'alpha': server 'r2'.* back in the ring/.test(l),
    "the return on both workers",
  );
  await flush([r1.port, r2.port]);
  const after = await clients(port, CLIENTS);
  let all: string[];
  try {
    all = await setAll(after, "a", KEYS);
  } finally {
    await closeAll(after);
  }
  const [onR1, onR2] = await placement([r1.port, r2.port]);
  const want = expectedPlacement(conf, all);
  assert.deepEqual(onR1, all.filter((k) => want.get(k) === 0), "keys on r1");
  assert.deepEqual(onR2, all.filter((k) => want.get(k) === 1), "keys on r2");
  assert.ok(onR2!.length > 0 && onR1!.length > 0, `${onR1!.length} and ${onR2!.length} keys`);
  const end = await nm.stats();
  assert.equal(end.alpha.server_ejects, 1);
  assert.equal((await nm.stop()).code, 0);
});
