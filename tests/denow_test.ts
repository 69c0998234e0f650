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
