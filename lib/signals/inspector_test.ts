import assert from "node:assert/strict";
import { inspectorGuard, shutInspectorSignal } from "./inspector.ts";

Deno.test({
  name:
    "shutInspectorSignal() sets SIGUSR1 to SIG_IGN, so a SIGUSR1 neither kills nor opens a port",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const guard = shutInspectorSignal();
    assert.deepEqual(guard, { shut: true, how: "SIGUSR1 set to SIG_IGN" });
    assert.equal(shutInspectorSignal(), guard, "idempotent");
    assert.equal(inspectorGuard(), guard);
    const status = await Deno.readTextFile("/proc/self/status");
    const ignored = BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(status)![1]}`);
    assert.equal((ignored >> 9n) & 1n, 1n, "bit of signal 10 set in SigIgn");
    Deno.kill(Deno.pid, "SIGUSR1");
    // Still here: the kernel discarded it (no handler ran, nothing listens).
    await new Promise((r) => setTimeout(r, 50));
  },
});
