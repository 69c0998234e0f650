/**
 * End-to-end: what the proxy logs at each level — connection life cycle at
 * INFO, per-request detail only at VERB and above.
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/load.ts";
import { Engine } from "../lib/runtime/engine.ts";
import { freePort, RawClient, startRedises } from "./_support/servers.ts";
import { serverLines } from "./_support/proxy.ts";
import { cmd, replies } from "./_support/resp.ts";

async function linesAt(level: number): Promise<string[]> {
  await using backends = await startRedises(2);
  const lines: string[] = [];
  const config = parseConfig(
    `alpha:\n  listen: 127.0.0.1:${freePort()}\n  redis: true\n  servers:\n${
      serverLines(backends.ports)
    }\n`,
    "log.yml",
  );
  const proxy = new Engine(config, {
    log: (l, m) => {
      if (l <= level) lines.push(`${l} ${m}`);
    },
    logLevel: () => level,
  });
  proxy.open();
  try {
    await using c = await RawClient.connect((proxy.addr("alpha") as Deno.NetAddr).port);
    await c.send(cmd("SET", "logkey", "v"));
    await c.send(cmd("MGET", ...Array.from({ length: 40 }, (_, i) => `key:${i * 7919}`)));
    await c.readUntil(replies(2));
  } finally {
    await proxy.close();
  }
  return lines;
}

Deno.test("logging: client life cycle at INFO, per-request lines only at VERB", async () => {
  const info = await linesAt(6);
  assert.ok(
    info.some((l) => /^6 pool 'alpha': accepted client 127\.0\.0\.1:\d+$/.test(l)),
    info.join("\n"),
  );
  assert.ok(info.some((l) => /^6 pool 'alpha': closed client /.test(l)));
  assert.ok(info.some((l) => /connected to server '127\.0\.0\.1:\d+'/.test(l)));
  assert.ok(!info.some((l) => l.includes("req from")));
  const verb = await linesAt(8);
  assert.ok(
    verb.some((l) => /^8 pool 'alpha': req from .*key 'logkey' -> server \d$/.test(l)),
    verb.join("\n"),
  );
  assert.ok(verb.some((l) => /split into \d fragments/.test(l)));
});
