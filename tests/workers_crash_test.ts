/**
 * A worker of `--workers 2` that dies of an uncaught error: it is logged,
 * its clients are lost, the other worker's clients keep being served
 * through the death and the restart, and the restarted worker takes new
 * clients. The death is brought on with the test-only trigger of
 * lib/runtime/worker_main.ts (NUTMEG_TEST_CRASH_FILE naming a file that
 * holds the worker's number; the next stats request makes it throw).
 *
 * @module
 */
import assert from "node:assert/strict";
import { RawClient, startRedis } from "./_support/servers.ts";
import { cmd, decode, replies } from "./_support/resp.ts";
import { startNutmegChild } from "./_support/nutmeg_child.ts";
import { freePort } from "./_support/ports.ts";
import { clients, perWorker, setAll, waitLog } from "./_support/workers.ts";

/** Whether `c` still gets a reply to PING (false: its connection was closed). */
async function alive(c: RawClient): Promise<boolean> {
  try {
    await c.send(cmd("PING"));
    return decode(await c.readUntil(replies(1)))![0] === "PONG";
  } catch {
    return false;
  }
}

Deno.test("--workers 2: a worker that dies is logged and restarted; the other keeps serving", async () => {
  await using r1 = await startRedis();
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-crash-" });
  const trigger = `${dir}/crash`;
  try {
    const conf = `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n` +
      `  servers:\n    - 127.0.0.1:${r1.port}:1 r1\n`;
    await using nm = await startNutmegChild(conf, ["--workers", "2"], 5, {
      NUTMEG_TEST_CRASH_FILE: trigger,
    });
    const held = await clients(port, 40);
    try {
      await setAll(held, "before", 5);
      const spread = await perWorker(nm.statsPort);
      assert.ok(spread.every((n) => n > 0), `clients per worker: ${spread}`);

      await Deno.writeTextFile(trigger, "1");
      await nm.stats(); // the stats request worker 1 dies at
      await waitLog(nm.log, (l) => /worker 1 died: .*crashed on purpose/.test(l), "the death");
      const states = await Promise.all(held.map(alive));
      const kept = held.filter((_, i) => states[i]);
      const lost = states.filter((s) => !s).length;
      assert.ok(kept.length > 0 && lost > 0, `${kept.length} clients kept, ${lost} lost`);
      await waitLog(nm.log, (l) => /worker 1 restarted/.test(l), "the restart");
      // Worker 0's clients were served through the death and the restart.
      await setAll(kept, "through", 5);
      assert.equal((await Promise.all(kept.map(alive))).every((s) => s), true);
    } finally {
      for (const c of held) await c.close();
    }
    // The restarted worker takes new clients again.
    const fresh = await clients(port, 40);
    try {
      await setAll(fresh, "after", 5);
      const spread = await perWorker(nm.statsPort);
      assert.ok(spread.every((n) => n > 0), `clients per worker after the restart: ${spread}`);
    } finally {
      for (const c of fresh) await c.close();
    }
    const log = await nm.log();
    assert.match(log, /worker 1 died: .*; its clients are lost; restarting it/);
    assert.equal((await nm.stop()).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--workers 2: client_connections counts for the process, and a dead worker's clients stop counting", async () => {
  await using r1 = await startRedis();
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-crash-" });
  const trigger = `${dir}/crash`;
  const limit = 20;
  const refused = async () => {
    await using extra = await RawClient.connect(port);
    return await extra.readLine();
  };
  try {
    const conf = `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n` +
      `  client_connections: ${limit}\n  servers:\n    - 127.0.0.1:${r1.port}:1 r1\n`;
    await using nm = await startNutmegChild(conf, ["--workers", "2"], 5, {
      NUTMEG_TEST_CRASH_FILE: trigger,
    });
    const held = await clients(port, limit);
    const fresh: RawClient[] = [];
    try {
      assert.deepEqual(await Promise.all(held.map(alive)), held.map(() => true));
      const spread = await perWorker(nm.statsPort);
      assert.ok(spread.every((n) => n > 0), `clients per worker: ${spread}`);
      assert.equal(await refused(), "-ERR max number of clients reached", "one over the limit");

      await Deno.writeTextFile(trigger, "1");
      await nm.stats(); // the stats request worker 1 dies at
      await waitLog(nm.log, (l) => /worker 1 restarted/.test(l), "the restart");
      const states = await Promise.all(held.map(alive));
      const lost = states.filter((s) => !s).length;
      assert.equal(lost, spread[1], "worker 1's clients are lost");
      // Their places are free again, and no more than those.
      for (let i = 0; i < lost; i++) fresh.push(await RawClient.connect(port));
      assert.deepEqual(await Promise.all(fresh.map(alive)), fresh.map(() => true));
      assert.equal(await refused(), "-ERR max number of clients reached", "the limit holds");
    } finally {
      for (const c of [...held, ...fresh]) await c.close();
    }
    assert.equal((await nm.stop()).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
