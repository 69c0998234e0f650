/**
 * End-to-end: the README's launcher, `./denow`, leaves Deno itself as the
 * process that operators and supervisors signal. Through `npx deno ...`
 * npm's Node.js process stays the parent, and a SIGUSR1 sent to it opens
 * Node's inspector on 127.0.0.1:9229; `./denow` execs the Deno binary, so
 * the process started is nutmeg's, which ignores SIGUSR1.
 */
import assert from "node:assert/strict";
import { RawClient, startRedis, waitForPort } from "./_support/servers.ts";
import { listeningPorts, startNutmeg } from "./_support/nutmeg_process.ts";

Deno.test({
  name: "./denow execs Deno: the process started is nutmeg's, and SIGUSR1 to it opens no port",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using redis = await startRedis();
    await using nm = await startNutmeg(
      `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1\n`,
      { viaDenow: true },
    );
    // The pid we started is the Deno binary (no shell, no Node.js in between).
    const exe = await Deno.readLink(`/proc/${nm.pid}/exe`);
    assert.match(exe, /\/deno$/, `the started process runs ${exe}`);
    const cmdline = (await Deno.readTextFile(`/proc/${nm.pid}/cmdline`)).split("\0");
    assert.ok(cmdline.includes("main.ts"), cmdline.join(" "));
    // The stats port opens after the pools: wait for it, so that `before`
    // is every socket nutmeg means to listen on.
    await waitForPort(nm.statsPort);
    const before = await listeningPorts(nm.pid);
    assert.deepEqual(before, [nm.port, nm.statsPort].sort((a, b) => a - b));
    nm.child.kill("SIGUSR1");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(nm.running(), "SIGUSR1 killed nutmeg");
    assert.deepEqual(await listeningPorts(nm.pid), before, "a SIGUSR1 opened a port");
    await using c = await RawClient.connect(nm.port);
    await c.send("*1\r\n$4\r\nPING\r\n");
    assert.equal(await c.readLine(), "+PONG");
  },
});

Deno.test({
  name:
    "./denow: SIGUSR1 and SIGUSR2 in the first milliseconds, before nutmeg's handlers exist, kill nothing",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using redis = await startRedis();
    // One process per moment of Deno's start-up, counted from the exec of
    // the Deno binary (the launcher shell has run its `trap` by then):
    // at once, and a little later, all before main.ts installs its
    // handlers. Without the launcher's ignore, a SIGUSR1 or SIGUSR2 then
    // has its default action: the process dies.
    for (const delayMs of [0, 10, 30]) {
      await using nm = await startNutmeg(
        `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1\n`,
        { viaDenow: true, noWait: true },
      );
      await untilExec(nm.pid, /\/deno$/);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      nm.child.kill("SIGUSR1");
      nm.child.kill("SIGUSR2");
      const died = nm.status.then((s) => `exited (${s.signal ?? s.code})`);
      const outcome = await Promise.race([waitForPort(nm.port, 60_000).then(() => "up"), died]);
      assert.equal(outcome, "up", `a signal ${delayMs} ms after the start killed nutmeg`);
      await using c = await RawClient.connect(nm.port);
      await c.send("*1\r\n$4\r\nPING\r\n");
      assert.equal(await c.readLine(), "+PONG");
    }
  },
});

/** Waits until process `pid` runs a binary whose path matches `exe` (it has exec'd). */
async function untilExec(pid: number, exe: RegExp): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const path = await Deno.readLink(`/proc/${pid}/exe`).catch(() => "");
    if (exe.test(path)) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`process ${pid} never ran ${exe}`);
}
