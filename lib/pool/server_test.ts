/**
 * Server with fake connections: requests spread over server_connections,
 * a connection opened again after one closed, failures counted towards the
 * owner's ejection only when auto_eject_hosts is on and reset by a
 * response, and connections handed to a successor.
 */
import assert from "node:assert/strict";
import type { ServerConfig } from "../config/types.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { LineProtocol, RecordingTarget } from "../../tests/_support/line_protocol.ts";
import { bytesOf } from "../../tests/_support/bytes.ts";
import { Histogram } from "../stats/histogram.ts";
import { newPoolStats } from "../stats/metrics.ts";
import { Request } from "../net/request.ts";
import type { ServerConnOptions } from "../net/server_conn.ts";
import { Server, type ServerOwner } from "./server.ts";

const CONFIG: ServerConfig = {
  name: "one",
  spec: "127.0.0.1:7001:1 one",
  address: { transport: "tcp", host: "127.0.0.1", port: 7001 },
  weight: 1,
  line: 1,
};

function owner(options: { connections?: number; refuse?: boolean } = {}) {
  const conns: FakeConn[] = [];
  const failed: Server[] = [];
  const recovered: Server[] = [];
  const connOptions: ServerConnOptions = {
    protocol: new LineProtocol(),
    timeout: null,
    chunk: 16384,
    poolStats: newPoolStats(),
    poolLatency: new Histogram(),
    log: () => {},
    connect: () => {
      if (options.refuse) return Promise.reject(new Deno.errors.ConnectionRefused("refused"));
      const conn = new FakeConn();
      conns.push(conn);
      return Promise.resolve(conn.conn);
    },
  };
  const o: ServerOwner = {
    connOptions,
    serverConnections: options.connections ?? 1,
    followed: false,
    failure: (s) => failed.push(s),
    recovered: (s) => {
      recovered.push(s);
      s.failures = 0;
    },
  };
  return { owner: o, conns, failed, recovered };
}

function send(server: Server, target: RecordingTarget, text: string): void {
  const bytes = bytesOf(text);
  server.send(Request.forward(target, 0, 0), bytes, 0, bytes.length);
}

Deno.test("Server spreads requests over its server_connections in turn", async () => {
  const { owner: o, conns } = owner({ connections: 2 });
  const server = new Server(0, CONFIG, o);
  const target = new RecordingTarget();
  for (const k of ["a", "b", "c", "d"]) send(server, target, `get ${k}\r\n`);
  await settle();
  assert.equal(conns.length, 2);
  assert.equal(conns[0]!.written, "get a\r\nget c\r\n");
  assert.equal(conns[1]!.written, "get b\r\nget d\r\n");
  assert.equal(server.load, 4);
  server.close("done");
  assert.equal(target.replies.length, 4);
});

Deno.test("Server opens a new connection after one closed", async () => {
  const { owner: o, conns } = owner();
  const server = new Server(0, CONFIG, o);
  const target = new RecordingTarget();
  send(server, target, "get a\r\n");
  await settle();
  conns[0]!.deliver("A\r\n");
  conns[0]!.end();
  await settle();
  send(server, target, "get b\r\n");
  await settle();
  assert.equal(conns.length, 2);
  assert.equal(conns[1]!.written, "get b\r\n");
  server.close("done");
});

Deno.test("Server reports each failure, and the first response after failures, to its owner", async () => {
  const eject = owner({ refuse: true });
  const server = new Server(0, CONFIG, eject.owner);
  const target = new RecordingTarget();
  send(server, target, "get a\r\n");
  await settle();
  assert.deepEqual(eject.failed, [server]);
  send(server, target, "get b\r\n");
  await settle();
  assert.deepEqual(eject.failed, [server, server], "the owner counts, not the server");

  const live = owner();
  const up = new Server(0, CONFIG, live.owner);
  send(up, target, "get c\r\n");
  await settle();
  live.conns[0]!.deliver("C\r\n");
  await settle();
  assert.deepEqual(live.recovered, [], "no failures known: nothing to report");
  up.failures = 1;
  send(up, target, "get d\r\n");
  await settle();
  live.conns[0]!.deliver("D\r\n");
  await settle();
  assert.deepEqual(live.recovered, [up]);
  up.close("done");
});

Deno.test("Server hands its open connections to the same server in the next generation", async () => {
  const first = owner({ connections: 2 });
  const old = new Server(0, CONFIG, first.owner);
  old.preconnect();
  await settle();
  assert.equal(first.conns.length, 2);
  const next = owner({ connections: 1 });
  const successor = new Server(0, CONFIG, next.owner, old);
  assert.equal(successor.stats, old.stats, "the counters carry over");
  const extra = successor.takeConnections(old);
  assert.equal(extra.length, 1, "one connection does not fit and is handed back to drain");
  const target = new RecordingTarget();
  send(successor, target, "get a\r\n");
  await settle();
  assert.equal(next.conns.length, 0, "the kept connection is used, none is opened");
  assert.equal(first.conns[0]!.written, "get a\r\n");
  await extra[0]!.drain(1000);
  successor.close("done");
});
