/**
 * ServerConn over a fake connection (through ServerConnOptions.connect)
 * with the tests' line protocol and a fake clock: responses paired FIFO
 * with the requests in flight however they are cut, every request failed
 * when the connection closes mid-reply or cannot be trusted, one timer for
 * the oldest deadline, the handshake.
 */
import assert from "node:assert/strict";
import type { Address } from "../config/types.ts";
import { FakeClock } from "../../tests/_support/fake_clock.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { LineProtocol, RecordingTarget } from "../../tests/_support/line_protocol.ts";
import { bytesOf } from "../../tests/_support/bytes.ts";
import { Histogram } from "../stats/histogram.ts";
import { newPoolStats, newServerStats } from "../stats/metrics.ts";
import { CLOSED_BY_SERVER, TIMED_OUT } from "./reason.ts";
import { Request } from "./request.ts";
import { type Backend, ServerConn, type ServerConnOptions } from "./server_conn.ts";

class TestBackend implements Backend {
  readonly name = "s0";
  readonly address: Address = { transport: "tcp", host: "127.0.0.1", port: 1 };
  readonly stats = newServerStats();
  readonly latency = new Histogram();
  readonly closes: boolean[] = [];
  responses = 0;

  connClosed(_conn: ServerConn, failed: boolean): void {
    this.closes.push(failed);
  }

  responded(): void {
    this.responses++;
  }
}

function setup(
  options: { timeout?: number | null; handshake?: string[]; refuse?: boolean } = {},
) {
  const conn = new FakeConn();
  const backend = new TestBackend();
  const logs: string[] = [];
  const opts: ServerConnOptions = {
    protocol: new LineProtocol(options.handshake),
    timeout: options.timeout ?? null,
    chunk: 16384,
    poolStats: newPoolStats(),
    poolLatency: new Histogram(),
    log: (_level, message) => logs.push(message),
    connect: () =>
      options.refuse
        ? Promise.reject(new Deno.errors.ConnectionRefused("refused by the test"))
        : Promise.resolve(conn.conn),
  };
  const server = new ServerConn(backend, opts);
  const target = new RecordingTarget();
  let next = 0;
  const send = (text: string): Request => {
    const req = target.name(Request.forward(target, 0, performance.now()), next++);
    const bytes = bytesOf(text);
    server.send(req, bytes, 0, bytes.length);
    return req;
  };
  return { conn, backend, opts, server, target, send, logs };
}

Deno.test("ServerConn pairs responses with requests in order, however the responses are cut", async () => {
  const { conn, backend, target, send } = setup();
  send("get a\r\n");
  send("get b\r\n");
  send("get c\r\n");
  await settle();
  assert.equal(conn.written, "get a\r\nget b\r\nget c\r\n");
  assert.equal(conn.writes.length, 1, "requests of one turn go in one write");
  conn.deliver("A\r\nB");
  await settle();
  assert.deepEqual(target.replies, [{ id: 0, reply: "A\r\n" }]);
  conn.deliver("\r\n-C failed\r\n");
  await settle();
  assert.deepEqual(target.replies, [
    { id: 0, reply: "A\r\n" },
    { id: 1, reply: "B\r\n" },
    { id: 2, reply: "-C failed\r\n" },
  ]);
  assert.equal(backend.stats.requests, 3);
  assert.equal(backend.stats.responses, 3);
  assert.ok(backend.responses >= 1);
  conn.end();
  await settle();
  assert.deepEqual(
    backend.closes,
    [true],
    "an idle connection closed by the server counts as a failure, as in twemproxy",
  );
});

Deno.test("ServerConn fails every request in flight when the server closes mid-reply", async () => {
  const { conn, backend, server, target, send } = setup();
  send("get a\r\n");
  send("get b\r\n");
  send("get c\r\n");
  await settle();
  conn.deliver("A\r\nhalf of B");
  conn.end();
  await settle();
  assert.deepEqual(target.replies, [
    { id: 0, reply: "A\r\n" },
    { id: 1, reply: `-${CLOSED_BY_SERVER}\r\n` },
    { id: 2, reply: `-${CLOSED_BY_SERVER}\r\n` },
  ]);
  assert.equal(server.closed, true);
  assert.deepEqual(backend.closes, [true]);
  assert.equal(backend.stats.server_eof, 1);
  // A closed connection is never reused: a later request fails at once.
  send("get d\r\n");
  assert.deepEqual(target.replies[3], { id: 3, reply: `-${CLOSED_BY_SERVER}\r\n` });
  assert.equal(conn.closed, true);
});

Deno.test("ServerConn closes and fails the rest on a response it cannot frame or did not ask for", async () => {
  const garbage = setup();
  garbage.send("get a\r\n");
  garbage.send("get b\r\n");
  await settle();
  garbage.conn.deliver("A\r\n#garbage\r\n");
  await settle();
  assert.equal(garbage.target.replies[0]!.reply, "A\r\n");
  assert.match(garbage.target.replies[1]!.reply!, /^-Protocol error: invalid response/);
  assert.deepEqual(garbage.backend.closes, [true]);

  const extra = setup();
  extra.send("get a\r\n");
  await settle();
  extra.conn.deliver("A\r\nunasked\r\n");
  await settle();
  assert.deepEqual(extra.target.replies, [{ id: 0, reply: "A\r\n" }]);
  assert.equal(extra.server.closed, true);
  assert.deepEqual(extra.backend.closes, [true]);
});

Deno.test("ServerConn fails queued requests with the reason when it cannot connect", async () => {
  const { backend, target, send } = setup({ refuse: true });
  send("get a\r\n");
  send("get b\r\n");
  await settle();
  assert.deepEqual(target.replies.map((r) => r.reply), [
    "-Connection refused\r\n",
    "-Connection refused\r\n",
  ]);
  assert.deepEqual(backend.closes, [true]);
});

Deno.test("ServerConn keeps one timer, for the oldest request's deadline", async () => {
  using clock = new FakeClock();
  const { conn, backend, target, send } = setup({ timeout: 1000 });
  send("get a\r\n");
  await settle();
  assert.equal(clock.armed, 1);
  clock.advance(400);
  send("get b\r\n");
  send("get c\r\n");
  await settle();
  assert.equal(clock.armed, 1, "later requests arm no timer of their own");
  clock.advance(300);
  conn.deliver("A\r\n");
  await settle();
  // t = 1000: the timer fires for a's deadline; a is answered, so it is set again for b's (1400).
  clock.advance(300);
  assert.equal(clock.armed, 1);
  assert.equal(target.replies.length, 1);
  clock.advance(399);
  assert.equal(target.replies.length, 1, "b is not late yet");
  clock.advance(1);
  assert.deepEqual(target.replies.slice(1), [
    { id: 1, reply: `-${TIMED_OUT}\r\n` },
    { id: 2, reply: `-${TIMED_OUT}\r\n` },
  ]);
  assert.equal(backend.stats.server_timedout, 1);
  assert.deepEqual(backend.closes, [true]);
  assert.equal(clock.armed, 0, "the timer goes with the connection");
  assert.equal(conn.closed, true);
});

Deno.test("ServerConn sends the handshake first and keeps its replies from the clients", async () => {
  const { conn, target, send } = setup({ handshake: ["hello\r\n"] });
  send("get a\r\n");
  await settle();
  assert.equal(conn.written, "hello\r\nget a\r\n");
  conn.deliver("welcome\r\nA\r\n");
  await settle();
  assert.deepEqual(target.replies, [{ id: 0, reply: "A\r\n" }]);
  conn.end();
  await settle();
});

Deno.test("ServerConn: a handshake reply alone is not a sign of a working server", async () => {
  const { conn, backend, send } = setup({ handshake: ["hello\r\n"] });
  send("get a\r\n");
  await settle();
  // The server answers the handshake, then drops the connection.
  conn.deliver("welcome\r\n");
  await settle();
  assert.equal(backend.responses, 0, "no reset of the failure count");
  conn.end();
  await settle();
  assert.deepEqual(backend.closes, [true]);
});

Deno.test("ServerConn fails the connection and what is queued when the handshake is refused", async () => {
  const { conn, backend, target, send, logs } = setup({ handshake: ["hello\r\n"] });
  send("get a\r\n");
  await settle();
  conn.deliver("-go away\r\n");
  await settle();
  assert.deepEqual(target.replies, [
    { id: 0, reply: "-handshake step 0 refused: -go away\r\n" },
  ]);
  assert.deepEqual(backend.closes, [true]);
  assert.ok(logs.some((l) => l.includes("handshake step 0 refused")), logs.join("\n"));
});

Deno.test("ServerConn.close() fails what is pending with the reason given", async () => {
  const { backend, server, target, send } = setup();
  send("get a\r\n");
  await settle();
  server.close("Proxy is shutting down");
  assert.deepEqual(target.replies, [{ id: 0, reply: "-Proxy is shutting down\r\n" }]);
  assert.deepEqual(backend.closes, [false], "a close by the proxy is no server failure");
});
