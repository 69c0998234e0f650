/**
 * Pool with fake server connections (PoolEnv.connect) and a fake clock:
 * keys placed on the live servers, a server that keeps failing ejected after
 * server_failure_limit failures in a row and back in the ring after
 * server_retry_timeout, clients accepted and counted.
 */
import assert from "node:assert/strict";
import type { Address } from "../config/types.ts";
import { parseConfig } from "../config/load.ts";
import { FakeClock } from "../../tests/_support/fake_clock.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { LineProtocol, RecordingTarget } from "../../tests/_support/line_protocol.ts";
import { bytesOf } from "../../tests/_support/bytes.ts";
import { DEFAULT_CLIENT_LIMITS } from "../net/client_conn.ts";
import { Request } from "../net/request.ts";
import { type ConnectionCounters, Pool, type PoolEnv } from "./pool.ts";

const YAML = `alpha:
  listen: 127.0.0.1:22121
  hash: fnv1a_64
  distribution: ketama
  auto_eject_hosts: true
  server_failure_limit: 2
  server_retry_timeout: 30000
  servers:
    - 127.0.0.1:7001:1 one
    - 127.0.0.1:7002:1 two
`;

/** Ports whose connections are refused; the others get a fresh fake connection each. */
function makePool(refused: Set<number>) {
  const conns: FakeConn[] = [];
  const logs: string[] = [];
  const counters: ConnectionCounters = { total_connections: 0, curr_connections: 0 };
  const env: PoolEnv = {
    protocol: new LineProtocol(),
    chunk: 16384,
    limits: DEFAULT_CLIENT_LIMITS,
    counters,
    log: (_level, message) => logs.push(message),
    logLevel: () => 11,
    connect: (address: Address) => {
      if (address.transport === "tcp" && refused.has(address.port)) {
        return Promise.reject(new Deno.errors.ConnectionRefused("refused by the test"));
      }
      const conn = new FakeConn();
      conns.push(conn);
      return Promise.resolve(conn.conn);
    },
  };
  const pool = new Pool(parseConfig(YAML, "test.yml").pools[0]!, env);
  return { pool, conns, logs, counters };
}

const KEYS = Array.from({ length: 200 }, (_, i) => bytesOf(`key:${i}`));

function placement(pool: Pool): number[] {
  return KEYS.map((k) => pool.serverOf(k, 0, k.length));
}

/** Sends one request to server `index` and lets it fail or wait. */
function request(pool: Pool, index: number, target: RecordingTarget): void {
  const bytes = bytesOf("get k\r\n");
  pool.send(index, Request.forward(target, 0, performance.now()), bytes, 0, bytes.length);
}

Deno.test("Pool ejects a server after server_failure_limit failures and takes it back after the retry timeout", async () => {
  using clock = new FakeClock();
  const { pool, logs } = makePool(new Set([7001]));
  const before = placement(pool);
  assert.ok(before.includes(0) && before.includes(1), "keys are spread over both servers");
  const target = new RecordingTarget();

  request(pool, 0, target);
  await settle();
  assert.equal(pool.servers[0]!.failures, 1);
  assert.deepEqual(placement(pool), before, "one failure does not eject");
  assert.equal(pool.stats.server_ejects, 0);

  request(pool, 0, target);
  await settle();
  assert.deepEqual(target.replies.map((r) => r.reply), [
    "-Connection refused\r\n",
    "-Connection refused\r\n",
  ]);
  assert.equal(pool.stats.server_ejects, 1);
  assert.ok(placement(pool).every((s) => s === 1), "every key goes to the live server");
  assert.equal(pool.servers[0]!.retryAt, clock.now + 30000);
  assert.ok(
    logs.some((l) => l.includes("server 'one' (127.0.0.1:7001) ejected after 2 failures")),
    logs.join("\n"),
  );

  clock.advance(29999);
  assert.ok(placement(pool).every((s) => s === 1), "still out before the retry timeout");
  clock.advance(1);
  assert.deepEqual(placement(pool), before, "back in the ring: the same placement as before");
  assert.equal(pool.servers[0]!.retryAt, 0);
  assert.ok(logs.some((l) => l.includes("server 'one' (127.0.0.1:7001) back in the ring")));
  await pool.close();
});

Deno.test("Pool: a response between failures resets the count, so the server stays in", async () => {
  using _clock = new FakeClock();
  const refused = new Set([7001]);
  const { pool, conns } = makePool(refused);
  const target = new RecordingTarget();
  request(pool, 0, target);
  await settle();
  assert.equal(pool.servers[0]!.failures, 1);
  refused.clear();
  request(pool, 0, target);
  await settle();
  conns[0]!.deliver("ok\r\n");
  await settle();
  assert.equal(pool.servers[0]!.failures, 0);
  conns[0]!.end();
  await settle();
  assert.equal(
    pool.servers[0]!.failures,
    1,
    "an idle connection closed by the server is a failure, as twemproxy counts it",
  );
  request(pool, 0, target);
  await settle();
  conns[1]!.deliver("ok\r\n");
  await settle();
  assert.equal(pool.servers[0]!.failures, 0);
  assert.equal(pool.stats.server_ejects, 0);
  await pool.close();
});

Deno.test("Pool.accept() serves a client and counts it until it goes", async () => {
  const { pool, conns, counters } = makePool(new Set());
  const client = new FakeConn();
  pool.accept(client.conn);
  assert.equal(pool.clients.size, 1);
  assert.equal(counters.curr_connections, 1);
  assert.equal(pool.stats.client_connections, 1);
  const key = KEYS.findIndex((k) => pool.serverOf(k, 0, k.length) === 1);
  client.deliver(`get key:${key}\r\nping\r\n`);
  await settle();
  assert.equal(conns.length, 1);
  assert.equal(conns[0]!.written, `get key:${key}\r\n`);
  conns[0]!.deliver("v\r\n");
  await settle();
  assert.equal(client.written, "v\r\npong\r\n");
  client.end();
  await settle();
  assert.equal(pool.clients.size, 0);
  assert.equal(counters.curr_connections, 0);
  assert.equal(counters.total_connections, 1);
  await pool.close();
});
