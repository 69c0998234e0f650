/**
 * End-to-end: the operators' tools see a memcached pool through nutmeg as
 * one server. `memcstat` shows the pool's summed counters (curr_items,
 * limit_maxbytes ...) beside the proxy's own; `stats items`, `stats slabs`
 * and `stats settings` are merged from every server; `memcdump` lists the
 * keys of every server (libmemcached-tools).
 */
import assert from "node:assert/strict";
import { Backends, RawClient, startMemcached, startMemcacheds } from "./_support/servers.ts";
import { memcachePool as pool, startProxy } from "./_support/proxy.ts";

async function tool(name: string, port: number): Promise<string> {
  const out = await new Deno.Command(name, {
    args: [`--servers=127.0.0.1:${port}`],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

async function stats(port: number, which = ""): Promise<Map<string, string>> {
  await using c = await RawClient.connect(port);
  await c.send(`stats${which}\r\n`);
  const text = await c.readUntilText("END\r\n");
  return new Map([...text.matchAll(/^STAT (\S+) (.*)\r$/gm)].map((m) => [m[1]!, m[2]!]));
}

Deno.test("memcstat and memcdump show the pool as one server", async () => {
  // A flat LRU: `stats cachedump` (memcdump) lists every item at once, not
  // only those the LRU maintainer has moved to the cold segment yet.
  await using backends = new Backends(
    await Promise.all([0, 1, 2].map(() => startMemcached(undefined, ["-o", "no_lru_maintainer"]))),
  );
  await using proxy = await startProxy(pool(backends.ports));
  const keys = Array.from({ length: 30 }, (_, i) => `${i}:key`);
  {
    await using c = await RawClient.connect(proxy.port);
    for (const k of keys) {
      await c.send(`set ${k} 0 0 2\r\nhi\r\n`);
      assert.equal(await c.readLine(), "STORED");
    }
  }
  const direct = await Promise.all(backends.ports.map((p) => stats(p)));
  const sum = (name: string) => direct.reduce((n, s) => n + Number(s.get(name)), 0);
  assert.ok(direct.every((s) => Number(s.get("curr_items")) > 0), "keys on every server");

  const memcstat = await tool("memcstat", proxy.port);
  const shown = new Map([...memcstat.matchAll(/^\t(\S+): (.*)$/gm)].map((m) => [m[1]!, m[2]!]));
  assert.equal(shown.get("curr_items"), "30");
  assert.equal(shown.get("limit_maxbytes"), String(sum("limit_maxbytes")));
  assert.equal(shown.get("pid"), String(Deno.pid));
  assert.equal(shown.get("nutmeg_servers"), "3");
  assert.ok(shown.has("client_connections"));

  const items = await stats(proxy.port, " items");
  assert.equal(items.get("items:1:number"), "30");
  const slabs = await stats(proxy.port, " slabs");
  assert.equal(slabs.get("1:chunk_size"), "96"); // alike on every server: kept, not summed
  assert.equal(slabs.get("active_slabs"), "3");
  const settings = await stats(proxy.port, " settings");
  assert.equal(settings.get("maxbytes"), "67108864");
  // A setting that differs lists every server's value, in pool order.
  assert.deepEqual(
    settings.get("tcpport")!.split(",").toSorted(),
    backends.ports.map(String).toSorted(),
  );

  const dumped = (await tool("memcdump", proxy.port)).trim().split("\n").toSorted();
  assert.deepEqual(dumped, keys.toSorted());
});

Deno.test("stats sub-commands a proxy cannot merge are refused clearly", async () => {
  await using backends = await startMemcacheds(2);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  await c.send("stats conns\r\nstats bogus\r\nstats reset\r\n");
  assert.match(await c.readLine(), /^CLIENT_ERROR stats conns is per server/);
  assert.equal(await c.readLine(), "ERROR");
  assert.equal(await c.readLine(), "RESET");
});
