import assert from "node:assert/strict";
import { loadConfig } from "./load.ts";

const CONF = new URL("../../conf/", import.meta.url);

async function confFiles(): Promise<string[]> {
  const files = [new URL("nutcracker.yml", CONF).pathname];
  for await (const entry of Deno.readDir(new URL("examples/", CONF))) {
    if (entry.name.endsWith(".yml")) files.push(new URL(`examples/${entry.name}`, CONF).pathname);
  }
  return files.sort();
}

Deno.test("every conf/ file passes validation", async () => {
  const files = await confFiles();
  assert.ok(files.length >= 6, files.join(", "));
  for (const file of files) {
    const config = await loadConfig(file);
    assert.ok(config.pools.length >= 1, file);
  }
});

Deno.test("conf/nutcracker.yml proxies redis 22121 -> 6379 and memcached 22122 -> 11211", async () => {
  const config = await loadConfig(new URL("nutcracker.yml", CONF).pathname);
  const summary = config.pools.map((p) => ({
    redis: p.redis,
    listen: p.listen,
    servers: p.servers.map((s) => s.address),
  }));
  assert.deepEqual(summary, [
    {
      redis: true,
      listen: { transport: "tcp", host: "127.0.0.1", port: 22121 },
      servers: [{ transport: "tcp", host: "127.0.0.1", port: 6379 }],
    },
    {
      redis: false,
      listen: { transport: "tcp", host: "127.0.0.1", port: 22122 },
      servers: [{ transport: "tcp", host: "127.0.0.1", port: 11211 }],
    },
  ]);
});

Deno.test("conf/examples/all_keys.yml sets every key", async () => {
  const { POOL_KEY_NAMES } = await import("./keys.ts");
  const text = await Deno.readTextFile(new URL("examples/all_keys.yml", CONF));
  for (const key of POOL_KEY_NAMES) assert.match(text, new RegExp(`^  ${key}:`, "m"), key);
});
