/**
 * End-to-end: connection churn, clients that connect for one command and
 * close (PHP-FPM, CGI, cron jobs, health checkers). Every one of 2,000
 * connect-command-close cycles gets its own reply, and so does every
 * connection of a wave of 500 opened at once; afterwards the pool counts no
 * client left. (How fast is the benchmark's business: bench/churn.ts.)
 */
import assert from "node:assert/strict";
import { startRedises } from "./_support/servers.ts";
import { redisPool, startProxy, type TestProxy } from "./_support/proxy.ts";
import { until } from "./_support/nutmeg_process.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Connects, sends `request`, reads until `expected.length` bytes came, closes; returns them. */
async function once(port: number, request: Uint8Array, expected: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(request);
    const buf = new Uint8Array(expected.length);
    let got = 0;
    while (got < buf.length) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    return dec.decode(buf.subarray(0, got));
  } finally {
    conn.close();
  }
}

/** Whether the proxy holds no client connection any more (summed over workers). */
async function allClosed(proxy: TestProxy): Promise<boolean> {
  return (await proxy.stats()).pools[0]!.stats.client_connections === 0;
}

function get(key: string): Uint8Array {
  return enc.encode(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
}

Deno.test("churn: 2,000 connect+GET+close cycles each get their reply", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(redisPool(backends.ports, "  backlog: 1024\n"));
  await using setup = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const keys = Array.from({ length: 20 }, (_, i) => `churn:${i}`);
  for (const k of keys) {
    await setup.write(
      enc.encode(`*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$2\r\nv${k.length}\r\n`),
    );
    const buf = new Uint8Array(5);
    let got = 0;
    while (got < 5) got += (await setup.read(buf.subarray(got)))!;
    assert.equal(dec.decode(buf), "+OK\r\n");
  }
  setup.close();
  // 4 clients side by side, 500 cycles each.
  let answered = 0;
  await Promise.all(Array.from({ length: 4 }, async (_, c) => {
    for (let i = 0; i < 500; i++) {
      const k = keys[(c * 500 + i) % keys.length]!;
      assert.equal(
        await once(proxy.port, get(k), `$2\r\nv${k.length}\r\n`),
        `$2\r\nv${k.length}\r\n`,
      );
      answered++;
    }
  }));
  assert.equal(answered, 2000);
  assert.ok(await until(() => allClosed(proxy)), "every client closed");
  assert.ok((await proxy.stats()).pools[0]!.stats.client_eof >= 2000);
});

Deno.test("churn: a wave of 500 connections opened at once each get PONG", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(redisPool(backends.ports));
  const ping = enc.encode("*1\r\n$4\r\nPING\r\n");
  for (let wave = 0; wave < 2; wave++) {
    const replies = await Promise.all(
      Array.from({ length: 500 }, () => once(proxy.port, ping, "+PONG\r\n")),
    );
    assert.ok(replies.every((r) => r === "+PONG\r\n"));
  }
  assert.ok(await until(() => allClosed(proxy)), "every client closed");
});
