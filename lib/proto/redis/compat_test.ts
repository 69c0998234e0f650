/**
 * The proxy's answers to client bytes against what redis-server 7.0.15
 * answered to the same bytes (`testdata/redis_7.0.15_replies.json`,
 * recorded by `tools/capture_redis_replies.ts`).
 */
import assert from "node:assert/strict";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import { chunks, replay } from "../../../tests/_support/parser_feed.ts";
import { loadFixture, PASSWORD } from "../../../tests/_support/redis_fixture.ts";
import { decodeAll, type RespValue } from "../../../tests/_support/resp_decode.ts";
import { RedisProtocol } from "./protocol.ts";

const fixture = loadFixture();

function protocolFor(server: "plain" | "auth"): RedisProtocol {
  return new RedisProtocol({
    auth: server === "auth" ? PASSWORD : null,
    db: 0,
    version: "0.1.0",
    info: () => "# Proxy\r\nversion:0.1.0\r\n",
  });
}

/** A HELLO 2 reply's fields, minus those that differ between a proxy and Redis. */
function helloShape(v: RespValue): Record<string, RespValue> {
  assert.ok(Array.isArray(v));
  const m: Record<string, RespValue> = {};
  for (let i = 0; i < v.length; i += 2) m[v[i] as string] = v[i + 1]!;
  delete m.server;
  delete m.version;
  delete m.id;
  return m;
}

/**
 * Where the proxy deliberately answers otherwise than Redis: the case name
 * and a check of the proxy's answer.
 */
const DEVIATIONS: Record<string, (text: string, redis: string) => void> = {
  // HELLO describes the proxy (server, version, id); the rest is Redis's.
  "hello 2": (text, redis) =>
    assert.deepEqual(helloShape(decodeAll(bytesOf(text))), helloShape(decodeAll(bytesOf(redis)))),
  "hello no version": (text, redis) =>
    assert.deepEqual(helloShape(decodeAll(bytesOf(text))), helloShape(decodeAll(bytesOf(redis)))),
  "hello setname": (text, redis) => {
    const cut = (s: string) => s.slice(0, s.indexOf("*0\r\n") + 4);
    assert.deepEqual(
      helloShape(decodeAll(bytesOf(cut(text)))),
      helloShape(decodeAll(bytesOf(cut(redis)))),
    );
    assert.equal(text.slice(cut(text).length), redis.slice(cut(redis).length));
  },
};

Deno.test("handle() answers client bytes exactly as redis-server 7.0.15 did", () => {
  assert.equal(fixture.version, "7.0.15");
  let compared = 0;
  for (const c of fixture.requests) {
    const input = bytesOf(c.send);
    const cutsList = input.length < 300
      ? [[], chunks(input.length, 1)]
      : [[], chunks(input.length, 1000)];
    for (const cuts of cutsList) {
      const protocol = protocolFor(c.server);
      const r = replay(protocol, protocol.newClientState(), input, cuts);
      const where = `"${c.name}" (${cuts.length + 1} reads)`;
      const deviation = DEVIATIONS[c.name];
      if (deviation !== undefined) {
        deviation(r.text, c.reply);
      } else {
        assert.equal(r.text, c.reply, where);
        // Nothing may have been forwarded: every recorded case is answered by the proxy.
        assert.ok(r.sink.calls.every((x) => x.type === "local" || x.type === "close"), where);
      }
      assert.equal(r.closed, c.closed, `${where}: closed`);
    }
    compared++;
  }
  assert.equal(compared, fixture.requests.length);
});

Deno.test("handle() forwards what redis-server would run, for the recorded cases that run commands", () => {
  // Cases whose bytes reach a command the proxy forwards, with a password set.
  const protocol = protocolFor("auth");
  const r = replay(protocol, protocol.newClientState(), bytesOf(`auth ${PASSWORD}\r\nget a\r\n`));
  assert.equal(r.text, "+OK\r\n");
  const fwd = r.sink.calls.find((c) => c.type === "forward");
  assert.ok(fwd !== undefined && fwd.type === "forward");
  assert.equal(latin1(fwd.bytes), "*2\r\n$3\r\nget\r\n$1\r\na\r\n");
});
