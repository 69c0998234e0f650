/**
 * End-to-end: when an address nutmeg must listen on is taken, the error
 * names the address and what it is for: a pool's listen address (which
 * pool, which line) or the stats port (and, when one of nutmeg's own pools
 * holds it, which one).
 */
import assert from "node:assert/strict";
import { freePort } from "./_support/servers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function run(conf: string, stats: number): Promise<{ code: number; stderr: string }> {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/n.yml`;
    await Deno.writeTextFile(file, conf);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "-c", file, "-s", String(stats), "-a", "127.0.0.1"],
      cwd: ROOT,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stderr: new TextDecoder().decode(out.stderr).replaceAll(file, "FILE"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function conf(port: number): string {
  return `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n    - 127.0.0.1:${freePort()}:1\n`;
}

Deno.test("a taken stats port is named as the stats port, with the flags that move it", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const r = await run(conf(freePort()), port);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `cannot open the stats port on 127\\.0\\.0\\.1:${port}: Address already in use; ` +
        "stop what holds that address or give the stats port another -s port \\(or -a address\\)",
    ),
  );
  assert.doesNotMatch(r.stderr, /os error/);
});

Deno.test("a stats port that is a pool's listen address names the pool", async () => {
  const port = freePort();
  const r = await run(conf(port), port);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `cannot open the stats port on 127\\.0\\.0\\.1:${port}: Address already in use ` +
        `\\(it is the listen address of pool 'alpha' \\(FILE:1\\)\\)`,
    ),
  );
});

Deno.test("a taken listen address names the pool and its line", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const r = await run(conf(port), freePort());
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `FILE:1: pool 'alpha': cannot listen on '127\\.0\\.0\\.1:${port}': Address already in use`,
    ),
  );
});
