/**
 * ClientConn against a fake connection and a recording pool, with the
 * tests' line protocol: replies in request order whatever order servers
 * answer in, fan-out merged in fragment order, pause and resume at the
 * pending and unsent-bytes bounds, and how the connection ends.
 */
import assert from "node:assert/strict";
import { bytesOf } from "../../tests/_support/bytes.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { LineProtocol } from "../../tests/_support/line_protocol.ts";
import { Histogram } from "../stats/histogram.ts";
import { newPoolStats } from "../stats/metrics.ts";
import {
  ClientConn,
  type ClientLimits,
  type ClientPool,
  DEFAULT_CLIENT_LIMITS,
} from "./client_conn.ts";
import type { Request } from "./request.ts";

/** A pool that records what its client sends: keys starting `a` go to 0, `b` to 1, `!` nowhere. */
class TestPool implements ClientPool {
  readonly protocol = new LineProtocol();
  readonly stats = newPoolStats();
  readonly latency = new Histogram();
  readonly serverCount = 2;
  readonly chunk = 16384;
  readonly sent: { server: number; req: Request; text: string }[] = [];
  readonly closed: ClientConn[] = [];

  constructor(readonly limits: ClientLimits = DEFAULT_CLIENT_LIMITS) {}

  serverOf(buf: Uint8Array, start: number, _end: number): number {
    return buf[start] === 0x21 ? -1 : buf[start] === 0x62 ? 1 : 0;
  }

  send(
    server: number,
    req: Request,
    buf: Uint8Array,
    start: number,
    end: number,
    _set: number,
  ): void {
    this.sent.push({ server, req, text: String.fromCharCode(...buf.subarray(start, end)) });
  }

  dedicate(): string {
    return "no dedicated connections in this test";
  }

  clientClosed(client: ClientConn): void {
    this.closed.push(client);
  }

  log(): void {}

  logLevel(): number {
    return 0;
  }
}

/** Answers the `i`-th request sent with `text`. */
function answer(pool: TestPool, i: number, text: string): void {
  const reply = bytesOf(text);
  pool.sent[i]!.req.respond(reply, 0, reply.length);
}

function open(limits?: ClientLimits) {
  const pool = new TestPool(limits);
  const conn = new FakeConn();
  const client = new ClientConn(pool, conn.conn);
  const served = client.serve();
  return { pool, conn, client, served };
}

Deno.test("ClientConn writes replies in request order when servers answer out of order", async () => {
  const { pool, conn, served } = open();
  conn.deliver("get a1\r\nget b2\r\nping\r\nget a3\r\n");
  await settle();
  assert.deepEqual(pool.sent.map((s) => [s.server, s.text]), [
    [0, "get a1\r\n"],
    [1, "get b2\r\n"],
    [0, "get a3\r\n"],
  ]);
  answer(pool, 2, "A3\r\n");
  await settle();
  assert.equal(conn.written, "", "the last reply waits for the ones before");
  answer(pool, 0, "A1\r\n");
  await settle();
  assert.equal(conn.written, "A1\r\n", "B2 still owed, so pong and A3 wait");
  answer(pool, 1, "B2\r\n");
  await settle();
  assert.equal(conn.written, "A1\r\nB2\r\npong\r\nA3\r\n");
  conn.end();
  await served;
  assert.equal(conn.closed, true);
});

Deno.test("ClientConn merges a fan-out in fragment order whatever order the fragments answer in", async () => {
  const { pool, conn, served } = open();
  conn.deliver("mget a1 b1 a2\r\nping\r\n");
  await settle();
  assert.deepEqual(pool.sent.map((s) => [s.server, s.text]), [
    [0, "get a1\r\n"],
    [1, "get b1\r\n"],
    [0, "get a2\r\n"],
  ]);
  answer(pool, 2, "v:a2\r\n");
  answer(pool, 1, "v:b1\r\n");
  await settle();
  assert.equal(conn.written, "");
  answer(pool, 0, "v:a1\r\n");
  await settle();
  assert.equal(conn.written, "v:a1\r\nv:b1\r\nv:a2\r\npong\r\n");
  assert.equal(pool.stats.fragments, 3);
  conn.end();
  await served;
});

Deno.test("ClientConn keeps a merged reply that waits for an earlier one, though mergers reuse their buffer", async () => {
  const { pool, conn, served } = open();
  conn.deliver("get a0\r\nmget a1 b1\r\nmget a2 b2\r\n");
  await settle();
  assert.equal(pool.sent.length, 5);
  // Both splits merge (into the one join buffer) while "get a0" is still owed.
  answer(pool, 1, "v:a1\r\n");
  answer(pool, 2, "v:b1\r\n");
  answer(pool, 4, "v:b2\r\n");
  answer(pool, 3, "v:a2\r\n");
  await settle();
  assert.equal(conn.written, "");
  answer(pool, 0, "v:a0\r\n");
  await settle();
  assert.equal(conn.written, "v:a0\r\nv:a1\r\nv:b1\r\nv:a2\r\nv:b2\r\n");
  conn.end();
  await served;
});

Deno.test("ClientConn answers a key with no live server with the error reply, in order", async () => {
  const { pool, conn, served } = open();
  conn.deliver("get a1\r\nget !x\r\nmget a2 !y\r\n");
  await settle();
  assert.equal(pool.sent.length, 2, "only the keys with a server are sent");
  answer(pool, 0, "A1\r\n");
  answer(pool, 1, "A2\r\n");
  await settle();
  assert.equal(conn.written, "A1\r\n-Host is down\r\nA2\r\n-Host is down\r\n");
  assert.equal(pool.stats.forward_error, 2);
  conn.end();
  await served;
});

Deno.test("ClientConn stops reading at maxPending replies owed and resumes at half", async () => {
  const { pool, conn, served } = open({ maxPending: 4, maxOutBytes: 1 << 20 });
  conn.deliver(Array.from({ length: 10 }, (_, i) => `get a${i}\r\n`).join(""));
  await settle();
  assert.equal(pool.sent.length, 4, "paused with 4 replies owed");
  assert.equal(conn.reading, false, "no read while paused");
  answer(pool, 0, "0\r\n");
  await settle();
  assert.equal(pool.sent.length, 4, "3 owed is above half of 4: still paused");
  answer(pool, 1, "1\r\n");
  await settle();
  assert.equal(pool.sent.length, 6, "2 owed: resumed, and paused again at 4");
  for (let i = 2; i < 10; i++) {
    answer(pool, i, `${i}\r\n`);
    await settle();
  }
  assert.equal(pool.sent.length, 10);
  assert.equal(conn.written, Array.from({ length: 10 }, (_, i) => `${i}\r\n`).join(""));
  assert.equal(conn.reading, true, "reading again once nothing is owed");
  conn.end();
  await served;
});

Deno.test("ClientConn stops reading while maxOutBytes are unsent and resumes once written", async () => {
  const { conn, served } = open({ maxPending: 100, maxOutBytes: 64 });
  conn.holdWrites = true;
  conn.deliver("ping\r\n".repeat(20));
  await settle();
  assert.equal(conn.reading, false, "paused: 66 reply bytes unsent");
  assert.equal(conn.heldWrites, 1);
  assert.equal(conn.written, "");
  conn.releaseWrites();
  await settle();
  assert.equal(conn.written, "pong\r\n".repeat(20));
  assert.equal(conn.reading, true);
  conn.end();
  await served;
});

Deno.test("ClientConn delivers the replies owed after the client half-closes, then closes", async () => {
  const { pool, conn, served } = open();
  conn.deliver("get a1\r\nget b1\r\n");
  conn.end();
  await settle();
  assert.equal(conn.closed, false, "replies are still owed");
  answer(pool, 1, "B1\r\n");
  answer(pool, 0, "A1\r\n");
  await served;
  await settle();
  assert.equal(conn.written, "A1\r\nB1\r\n");
  assert.equal(conn.closed, true);
  assert.equal(pool.closed.length, 1);
  assert.equal(pool.stats.client_eof, 1);
});

Deno.test("ClientConn sends the framing error after the replies owed, then closes and reads no more", async () => {
  const { pool, conn, served } = open();
  conn.deliver("get a1\r\n!garbage\r\nget a2\r\n");
  await settle();
  assert.equal(pool.sent.length, 1, "nothing after the framing error is handled");
  answer(pool, 0, "A1\r\n");
  await served;
  await settle();
  assert.equal(conn.written, "A1\r\n-framing\r\n");
  assert.equal(conn.closed, true);
});

Deno.test("ClientConn closes after QUIT's reply", async () => {
  const { conn, served } = open();
  conn.deliver("ping\r\nquit\r\nping\r\n");
  await served;
  await settle();
  assert.equal(conn.written, "pong\r\nbye\r\n");
  assert.equal(conn.closed, true);
});

Deno.test("ClientConn drops a quiet request's reply, success or failure", async () => {
  const { pool, conn, served } = open();
  conn.deliver("quiet a1\r\nquiet !x\r\nget a2\r\n");
  await settle();
  answer(pool, 0, "STORED\r\n");
  answer(pool, 1, "A2\r\n");
  await settle();
  assert.equal(conn.written, "A2\r\n");
  conn.end();
  await served;
});

Deno.test("ClientConn.close() discards replies that arrive afterwards", async () => {
  const { pool, conn, client, served } = open();
  conn.deliver("get a1\r\n");
  await settle();
  client.close();
  await served;
  answer(pool, 0, "late\r\n");
  await settle();
  assert.equal(conn.written, "");
  assert.equal(conn.closed, true);
  assert.equal(pool.closed.length, 1);
});

Deno.test("ClientConn closes on a read error and counts it", async () => {
  const { pool, conn, served } = open();
  conn.failRead();
  await served;
  assert.equal(conn.closed, true);
  assert.equal(pool.stats.client_err, 1);
});
