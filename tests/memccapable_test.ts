/**
 * End-to-end: libmemcached's memccapable ASCII suite through nutmeg
 * (nutcracker 0.5.0 passes 6 of its 27 tests).
 */
import assert from "node:assert/strict";
import { startMemcacheds } from "./_support/servers.ts";
import { serverLines, startProxy } from "./_support/proxy.ts";

async function memccapable(port: number): Promise<{ passed: string[]; failed: string[] }> {
  const child = new Deno.Command("memccapable", {
    args: ["-a", "-h", "127.0.0.1", "-p", String(port)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const passed: string[] = [];
  const failed: string[] = [];
  for (const m of text.matchAll(/^(ascii [a-z ]+?)\s+\[(pass|FAIL)\]/gm)) {
    (m[2] === "pass" ? passed : failed).push(m[1]!);
  }
  return { passed, failed };
}

for (const n of [1, 3]) {
  Deno.test(`memccapable -a passes every ASCII test through a ${n}-server pool`, async () => {
    await using backends = await startMemcacheds(n);
    await using proxy = startProxy(
      `beta:\n  listen: AUTO\n  servers:\n${serverLines(backends.ports)}\n`,
    );
    const { passed, failed } = await memccapable(proxy.port);
    assert.deepEqual(failed, []);
    assert.equal(passed.length, 27, `passed: ${passed.join(", ")}`);
  });
}
