/**
 * End-to-end with a real memcached client library: pylibmc (libmemcached),
 * Debian's python3-pylibmc, through a 3-server pool. With `binary=True` it
 * must fail at once with an error (the binary protocol is not served), not
 * hang until its timeout; with the default ASCII protocol it works.
 * Skipped when /usr/bin/python3 cannot import pylibmc
 * (tools/ensure_deps.ts installs it).
 */
import assert from "node:assert/strict";
import { startMemcacheds } from "./_support/servers.ts";
import { memcachePool as pool, startProxy } from "./_support/proxy.ts";

const PYTHON = "/usr/bin/python3";

function hasPylibmc(): boolean {
  try {
    return new Deno.Command(PYTHON, { args: ["-c", "import pylibmc"], stderr: "null" })
      .outputSync().code === 0;
  } catch {
    return false;
  }
}

async function python(script: string, port: number): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command(PYTHON, {
    args: ["-c", script, String(port)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, out: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

const ASCII = `
import sys, pylibmc
c = pylibmc.Client(["127.0.0.1:" + sys.argv[1]])
keys = ["k%d" % i for i in range(50)]
for k in keys:
    assert c.set(k, "v" + k)
got = c.get_multi(keys)
assert got == {k: "v" + k for k in keys}, got
assert c.incr("n", 1) if c.set("n", 5) else False
assert c.get("n") == 6
assert c.delete("k0") and c.get("k0") is None
print("ok")
`;

const BINARY = `
import sys, time, pylibmc
c = pylibmc.Client(["127.0.0.1:" + sys.argv[1]], binary=True,
                   behaviors={"connect_timeout": 5000, "receive_timeout": 5000000, "send_timeout": 5000000})
start = time.monotonic()
try:
    c.set("k", "v")
    print("no error")
except pylibmc.Error as e:
    print("error after %.1f s: %s" % (time.monotonic() - start, type(e).__name__))
`;

Deno.test({
  name: "pylibmc: ASCII works through the pool; binary=True fails at once instead of hanging",
  ignore: !hasPylibmc(),
  fn: async () => {
    await using backends = await startMemcacheds(3);
    await using proxy = await startProxy(pool(backends.ports));
    const ascii = await python(ASCII, proxy.port);
    assert.equal(ascii.out.trim(), "ok", ascii.out);
    const binary = await python(BINARY, proxy.port);
    // An error, well before pylibmc's 5 s timeouts: the proxy answered and closed.
    assert.match(binary.out, /^error after [0-4]\.\d s: /, binary.out);
  },
});
