import assert from "node:assert/strict";
import { ForwardFlags, FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, concat, latin1 } from "../../../tests/_support/bytes.ts";
import { everySplit, feedEvents, whole } from "../../../tests/_support/parser_feed.ts";
import { RecordingSink, type TextCall, textOf } from "../../../tests/_support/sink.ts";
import { MemcacheProtocol } from "./mod.ts";

const Quiet = ForwardFlags.Quiet;

function protocol(): MemcacheProtocol {
  return new MemcacheProtocol({
    version: "9.9.9",
    stats: () => [["uptime", 42], ["version", "9.9.9"], ["curr connections", 3]],
  });
}

/** Parses and handles every request of `input` (whole); the sink's calls, then "framing" if any. */
function handleAll(input: string | Uint8Array, sink = new RecordingSink(1)): (TextCall | string)[] {
  const proto = protocol();
  const parser = proto.newRequestParser(proto.newClientState());
  const buf = typeof input === "string" ? bytesOf(input) : input;
  let start = 0;
  const out: (TextCall | string)[] = [];
  while (start < buf.length) {
    const end = parser.parse(buf, start, buf.length);
    if (end === NEED_MORE) break;
    if (end === FRAMING_ERROR) {
      out.push(...sink.calls.splice(0).map(textOf), `framing: ${latin1(parser.error!)}`);
      return out;
    }
    proto.handle(parser, proto.newClientState(), buf, start, end, sink);
    start = end;
  }
  out.push(...sink.calls.splice(0).map(textOf));
  return out;
}

const fwd = (request: string, key: string, flags = 0): TextCall => ({
  type: "forward",
  request,
  key,
  flags,
});
const local = (reply: string): TextCall => ({ type: "local", reply });

/** Route keys by their first letter: a -> 0, b -> 1, c -> 2, ...; z -> -1 (no live server). */
const byLetter = (key: string): number => key[0] === "z" ? -1 : key.charCodeAt(0) - 97;

function value(key: string, data: string, flags = 0, cas?: number): string {
  return `VALUE ${key} ${flags} ${data.length}${cas === undefined ? "" : ` ${cas}`}\r\n${data}\r\n`;
}

/** The only fan-out among the calls. */
function theFanOut(calls: (TextCall | string)[]): Extract<TextCall, { type: "fanOut" }> {
  assert.equal(calls.length, 1);
  const call = calls[0]!;
  assert.ok(typeof call !== "string" && call.type === "fanOut", JSON.stringify(call));
  return call;
}

function theBroadcast(calls: (TextCall | string)[]): Extract<TextCall, { type: "broadcast" }> {
  assert.equal(calls.length, 1);
  const call = calls[0]!;
  assert.ok(typeof call !== "string" && call.type === "broadcast", JSON.stringify(call));
  return call;
}

function merged(call: { merge: (r: Uint8Array[]) => Uint8Array }, replies: string[]): string {
  return latin1(call.merge(replies.map(bytesOf)));
}

Deno.test("handle() forwards single-key commands as they came, by their key", () => {
  const cases = [
    "set k 1 2 3\r\nabc\r\n",
    "add k 0 0 1\r\nx\r\n",
    "replace k 0 0 1\r\nx\r\n",
    "append k 0 0 1\r\nx\r\n",
    "prepend k 0 0 1\r\nx\r\n",
    "cas k 0 0 1 77\r\nx\r\n",
    "set k 0 0 1 whatever\r\nx\r\n",
    "  set  k 0 0 1\nx\r\n",
    "delete k\r\n",
    "delete k 0\r\n",
    "incr k 1\r\n",
    "decr k 18446744073709551615\r\n",
    "touch k -1\r\n",
    "get k\r\n",
    "gets k\n",
    "gat 10 k\r\n",
    "gats 10 k\r\n",
  ];
  for (const input of cases) {
    assert.deepEqual(handleAll(input, new RecordingSink(4)), [fwd(input, "k")], input);
  }
});

Deno.test("handle() forwards noreply requests without noreply, Quiet", () => {
  const cases: [string, string][] = [
    ["set k 0 0 1 noreply\r\na\r\n", "set k 0 0 1\r\na\r\n"],
    ["set k 0 0 1 noreply\na\r\n", "set k 0 0 1\r\na\r\n"],
    ["set k 0 0 1   noreply   \r\na\r\n", "set k 0 0 1\r\na\r\n"],
    ["cas k 0 0 1 5 noreply\r\na\r\n", "cas k 0 0 1 5\r\na\r\n"],
    ["append k 0 0 0 noreply\r\n\r\n", "append k 0 0 0\r\n\r\n"],
    ["delete k noreply\r\n", "delete k\r\n"],
    ["delete k 0 noreply\r\n", "delete k 0\r\n"],
    ["incr k 1 noreply\r\n", "incr k 1\r\n"],
    ["decr k 1 noreply\r\n", "decr k 1\r\n"],
    ["touch k 1 noreply\r\n", "touch k 1\r\n"],
  ];
  for (const [input, sent] of cases) {
    assert.deepEqual(handleAll(input, new RecordingSink(2)), [fwd(sent, "k", Quiet)], input);
  }
});

Deno.test("handle() rebuilds noreply requests with big values and in a row", () => {
  const big = "v".repeat(200_000);
  const input = `set k 0 0 1 noreply\r\na\r\nset big 0 0 ${big.length} noreply\r\n${big}\r\n` +
    "set k2 0 0 2 noreply\r\nbc\r\n";
  assert.deepEqual(handleAll(input), [
    fwd("set k 0 0 1\r\na\r\n", "k", Quiet),
    fwd(`set big 0 0 ${big.length}\r\n${big}\r\n`, "big", Quiet),
    fwd("set k2 0 0 2\r\nbc\r\n", "k2", Quiet),
  ]);
});

Deno.test("handle() forwards a binary value untouched", () => {
  const data = new Uint8Array(256).map((_, i) => i);
  const input = concat([bytesOf("set bin 0 0 256\r\n"), data, bytesOf("\r\n")]);
  const calls = handleAll(input);
  assert.deepEqual(calls, [fwd(latin1(input), "bin")]);
});

Deno.test("handle() forwards a multi-key get whole when one server owns every key", () => {
  const input = "get a1 a2 a3\r\n";
  assert.deepEqual(handleAll(input, new RecordingSink(3, byLetter)), [fwd(input, "a1")]);
  // with one server there is nothing to split
  assert.deepEqual(handleAll("get x y z\r\n", new RecordingSink(1)), [fwd("get x y z\r\n", "x")]);
});

Deno.test("handle() fans a get out, one fragment per server, keys in request order", () => {
  const call = theFanOut(handleAll("get a1 b1 a2 c1 b2\r\n", new RecordingSink(3, byLetter)));
  assert.deepEqual(call.fragments, [
    { server: 0, request: "get a1 a2\r\n" },
    { server: 1, request: "get b1 b2\r\n" },
    { server: 2, request: "get c1\r\n" },
  ]);
  const reply = merged(
    call,
    [
      value("a1", "x"),
      value("b1", "yy", 5) + value("b2", "") + "",
      "",
    ].map((v, i) => i === 2 ? "END\r\n" : v + "END\r\n"),
  );
  assert.equal(reply, value("a1", "x") + value("b1", "yy", 5) + value("b2", "") + "END\r\n");
});

Deno.test("merge orders values by the request's keys, whatever the fragment order", () => {
  const call = theFanOut(handleAll("get b1 a1 b2 a2\r\n", new RecordingSink(2, byLetter)));
  assert.deepEqual(call.fragments, [
    { server: 1, request: "get b1 b2\r\n" },
    { server: 0, request: "get a1 a2\r\n" },
  ]);
  const reply = merged(call, [
    value("b1", "1") + value("b2", "2") + "END\r\n",
    value("a1", "3") + value("a2", "4") + "END\r\n",
  ]);
  assert.equal(
    reply,
    value("b1", "1") + value("a1", "3") + value("b2", "2") + value("a2", "4") + "END\r\n",
  );
});

Deno.test("merge answers a key asked twice twice, as memcached does", () => {
  const call = theFanOut(handleAll("get a b a\r\n", new RecordingSink(2, byLetter)));
  assert.deepEqual(call.fragments, [
    { server: 0, request: "get a a\r\n" },
    { server: 1, request: "get b\r\n" },
  ]);
  const reply = merged(call, [
    value("a", "A") + value("a", "A") + "END\r\n",
    value("b", "B") + "END\r\n",
  ]);
  assert.equal(reply, value("a", "A") + value("b", "B") + value("a", "A") + "END\r\n");
});

Deno.test("merge gives END alone when every key misses", () => {
  const call = theFanOut(handleAll("gets a b c\r\n", new RecordingSink(3, byLetter)));
  assert.equal(merged(call, ["END\r\n", "END\r\n", "END\r\n"]), "END\r\n");
});

Deno.test("merge keeps binary values, cas uniques and values that look like END", () => {
  const call = theFanOut(handleAll("gats 100 a b\r\n", new RecordingSink(2, byLetter)));
  assert.deepEqual(call.fragments, [
    { server: 0, request: "gats 100 a\r\n" },
    { server: 1, request: "gats 100 b\r\n" },
  ]);
  const tricky = "END\r\nVALUE b 0 1\r\n\x00\xff";
  const reply = merged(call, [
    value("a", tricky, 1, 18446744073709551615n as unknown as number) + "END\r\n",
    value("b", "\r\n", 2, 7) + "END\r\n",
  ]);
  assert.equal(
    reply,
    `VALUE a 1 ${tricky.length} 18446744073709551615\r\n${tricky}\r\n` + value("b", "\r\n", 2, 7) +
      "END\r\n",
  );
});

Deno.test("merge gives the first fragment error instead of values", () => {
  const call = theFanOut(handleAll("get a b c\r\n", new RecordingSink(3, byLetter)));
  const ok = value("a", "x") + "END\r\n";
  assert.equal(
    merged(call, [ok, "SERVER_ERROR Connection refused\r\n", "CLIENT_ERROR x\r\n"]),
    "SERVER_ERROR Connection refused\r\n",
  );
  assert.equal(merged(call, ["ERROR\r\n", ok, ok]), "ERROR\r\n");
  assert.equal(merged(call, [ok, "END\r\n", "CLIENT_ERROR bad\r\n"]), "CLIENT_ERROR bad\r\n");
  // an error line ending a partial value list
  assert.equal(
    merged(call, [value("a", "x") + "SERVER_ERROR out of memory\r\n", "END\r\n", "END\r\n"]),
    "SERVER_ERROR out of memory\r\n",
  );
});

Deno.test("merge drops values for keys that were not asked", () => {
  const call = theFanOut(handleAll("get a b\r\n", new RecordingSink(2, byLetter)));
  const reply = merged(call, [value("a", "1") + value("x", "?") + "END\r\n", "END\r\n"]);
  assert.equal(reply, value("a", "1") + "END\r\n");
});

Deno.test("handle() gives keys without a live server their own fragment", () => {
  const call = theFanOut(handleAll("get a z1 b z2\r\n", new RecordingSink(2, byLetter)));
  assert.deepEqual(call.fragments, [
    { server: 0, request: "get a\r\n" },
    { server: -1, request: "get z1 z2\r\n" },
    { server: 1, request: "get b\r\n" },
  ]);
});

Deno.test("handle() splits and merges a 1,000-key get over 4 servers", () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `key${i}`);
  const route = (key: string) => Number(key.slice(3)) % 4;
  const call = theFanOut(handleAll(`get ${keys.join(" ")}\r\n`, new RecordingSink(4, route)));
  assert.equal(call.fragments.length, 4);
  for (const f of call.fragments) {
    const asked = keys.filter((k) => route(k) === f.server);
    assert.equal(f.request, `get ${asked.join(" ")}\r\n`);
  }
  // servers answer every key whose number is not a multiple of 3
  const hit = (k: string) => Number(k.slice(3)) % 3 !== 0;
  const replies = call.fragments.map((f) =>
    keys.filter((k) => route(k) === f.server && hit(k)).map((k) => value(k, `v-${k}`)).join("") +
    "END\r\n"
  );
  const expect = keys.filter(hit).map((k) => value(k, `v-${k}`)).join("") + "END\r\n";
  assert.equal(merged(call, replies), expect);
});

Deno.test("handle() sends flush_all and verbosity to every server, rebuilt", () => {
  const cases: [string, string, boolean][] = [
    ["flush_all\r\n", "flush_all\r\n", false],
    ["flush_all 0\r\n", "flush_all 0\r\n", false],
    ["flush_all -1\r\n", "flush_all -1\r\n", false],
    ["flush_all 0 0\r\n", "flush_all 0\r\n", false],
    ["flush_all noreply\r\n", "flush_all\r\n", true],
    ["flush_all 10 noreply\r\n", "flush_all 10\r\n", true],
    ["verbosity 1\r\n", "verbosity 1\r\n", false],
    ["verbosity 1 foo\r\n", "verbosity 1\r\n", false],
    ["verbosity  2   noreply\n", "verbosity 2\r\n", true],
  ];
  for (const [input, sent, quiet] of cases) {
    const call = theBroadcast(handleAll(input, new RecordingSink(3)));
    assert.equal(call.request, sent, input);
    assert.equal(merged(call, ["OK\r\n", "OK\r\n", "OK\r\n"]), quiet ? "" : "OK\r\n", input);
    // An error wins, except under noreply: memcached keeps quiet, and so
    // must the proxy or the client's later replies would shift.
    assert.equal(
      merged(call, ["OK\r\n", "SERVER_ERROR Connection refused\r\n", "CLIENT_ERROR x\r\n"]),
      quiet ? "" : "SERVER_ERROR Connection refused\r\n",
      input,
    );
    assert.equal(
      merged(call, ["CLIENT_ERROR flush_all not allowed\r\n", "OK\r\n", "OK\r\n"]),
      quiet ? "" : "CLIENT_ERROR flush_all not allowed\r\n",
      input,
    );
  }
});

Deno.test("handle() answers version, stats and quit itself", () => {
  assert.deepEqual(handleAll("version\r\nversion x y\r\n"), [
    local("VERSION 9.9.9\r\n"),
    local("VERSION 9.9.9\r\n"),
  ]);
  const [stats] = handleAll("stats\r\n") as TextCall[];
  assert.ok(stats?.type === "broadcast" && stats.request === "stats\r\n");
  assert.equal(
    latin1(
      stats.merge([
        bytesOf("STAT curr_items 2\r\nSTAT pid 7\r\nEND\r\n"),
        bytesOf("SERVER_ERROR down\r\n"),
      ]),
    ),
    "STAT curr_items 2\r\nSTAT pid 7\r\nSTAT uptime 42\r\nSTAT version 9.9.9\r\n" +
      "STAT curr_connections 3\r\nSTAT nutmeg_servers 2\r\nSTAT nutmeg_servers_failed 1\r\nEND\r\n",
  );
  const [items] = handleAll("stats  items\r\n") as TextCall[];
  assert.ok(items?.type === "broadcast" && items.request === "stats items\r\n");
  assert.deepEqual(handleAll("stats conns\r\nstats bogus\r\n"), [
    local(
      "CLIENT_ERROR stats conns is per server and not served by the proxy: ask each server directly\r\n",
    ),
    local("ERROR\r\n"),
  ]);
  assert.deepEqual(handleAll("quit\r\n"), [{ type: "close" }]);
});

Deno.test("handle() answers bad requests locally with memcached's errors", () => {
  assert.deepEqual(
    handleAll(
      "GET k\r\nget\r\nincr k x\r\nincr k x noreply\r\ntouch k x\r\ngat x k\r\nverbosity x\r\n" +
        "flush_all x\r\ndelete k 1\r\nset k 0 0 1\r\nabc\r\nmn\r\n",
      new RecordingSink(2),
    ),
    [
      local("ERROR\r\n"),
      local("ERROR\r\n"),
      local("CLIENT_ERROR invalid numeric delta argument\r\n"),
      local(""),
      local("CLIENT_ERROR invalid exptime argument\r\n"),
      local("CLIENT_ERROR invalid exptime argument\r\n"),
      local("CLIENT_ERROR bad command line format\r\n"),
      local("CLIENT_ERROR invalid exptime argument\r\n"),
      local("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"),
      fwd("set k 0 0 1\r\nabc", "k"),
      local("ERROR\r\n"),
      local("MN\r\n"),
    ],
  );
});

Deno.test("handle() never forwards after a framing error", () => {
  assert.deepEqual(handleAll("get a\r\nPOST / HTTP/1.1\r\nget b\r\n"), [
    fwd("get a\r\n", "a"),
    "framing: ",
  ]);
});

Deno.test("handle() forwards meta commands by key, the q flag cut out and its reply filtered", () => {
  const calls = handleAll(
    "mg k v\r\nmg k q v O1\r\nms k 2 q\r\nhi\r\nmd k q\r\nma k q v\r\nme k\r\nmn\r\n" +
      "mg Zm9v b v\r\nmg Zm9 b q\r\nmg k q q\r\n",
  ) as TextCall[];
  assert.deepEqual(calls.map((c) => c.type === "forward" ? [c.request, c.key, c.flags] : c), [
    ["mg k v\r\n", "k", 0],
    ["mg k  v O1\r\n", "k", 0],
    ["ms k 2 \r\nhi\r\n", "k", 0],
    ["md k \r\n", "k", 0],
    ["ma k  v\r\n", "k", 0],
    ["me k\r\n", "k", 0],
    { type: "local", reply: "MN\r\n" },
    ["mg Zm9v b v\r\n", "foo", 0],
    ["mg Zm9 b \r\n", "Zm9", 0],
    ["mg k q q\r\n", "k", 0],
  ]);
  const keeps = (i: number, reply: string) => {
    const call = calls[i]!;
    assert.ok(call.type === "forward" && call.filter !== undefined);
    const b = bytesOf(`#${reply}#`);
    return call.filter(b, 1, b.length - 1);
  };
  // mg q: a miss is dropped; hits and errors are kept.
  assert.equal(keeps(1, "EN\r\n"), false);
  assert.equal(keeps(1, "EN O1\r\n"), false);
  assert.equal(keeps(1, "VA 2 O1\r\nhi\r\n"), true);
  assert.equal(keeps(1, "HD O1\r\n"), true);
  assert.equal(keeps(1, "CLIENT_ERROR bad token in command line format\r\n"), true);
  // ms q, md q: HD is dropped; NS, EX, NF and errors are kept.
  for (const i of [2, 3]) {
    assert.equal(keeps(i, "HD\r\n"), false);
    assert.equal(keeps(i, "HD k Oa\r\n"), false);
    for (const r of ["NS\r\n", "EX\r\n", "NF\r\n", "SERVER_ERROR x\r\n"]) {
      assert.equal(keeps(i, r), true, r);
    }
  }
  // ma q: HD and VA (success) are dropped.
  assert.equal(keeps(4, "VA 1\r\n5\r\n"), false);
  assert.equal(keeps(4, "HD\r\n"), false);
  assert.equal(keeps(4, "NF\r\n"), true);
  // Without q, or with q twice (an error is coming), no filter.
  for (const i of [0, 5, 7, 9]) {
    const call = calls[i]!;
    assert.ok(call.type === "forward" && call.filter === undefined, String(i));
  }
});

Deno.test("handle() makes the same calls for a pipeline split at every byte boundary", () => {
  const input = bytesOf(
    "get a1 b1 a2\r\nset k 0 0 5 noreply\r\nhello\r\nflush_all 1 noreply\r\nversion\r\n" +
      "bogus\r\nset k x 0 1\r\nz\r\ngets a b\r\ndelete k 0\r\n" +
      "mg Zm9v b q v\r\nms k 2 q T0\r\nhi\r\nmn\r\nquit\r\n",
  );
  const run = (cuts: number[], options: { move?: boolean; honourNeeded?: boolean }) => {
    const proto = protocol();
    const parser = proto.newRequestParser(proto.newClientState());
    const sink = new RecordingSink(2, byLetter);
    feedEvents(parser, input, cuts, (buf, start, end) => {
      proto.handle(parser, proto.newClientState(), buf, start, end, sink);
    }, options);
    return JSON.stringify(sink.calls.map(textOf));
  };
  const expect = run(whole(input), {});
  assert.equal(JSON.parse(expect).length, 13);
  for (const { label, result } of everySplit(input, run)) assert.equal(result, expect, label);
});

Deno.test("MemcacheProtocol fills the rest of the interface", () => {
  const proto = protocol();
  assert.equal(proto.name, "memcache");
  assert.equal(
    latin1(proto.errorReply("Connection refused")),
    "SERVER_ERROR Connection refused\r\n",
  );
  assert.equal(latin1(proto.errorReply("a\r\nb")), "SERVER_ERROR a  b\r\n");
  assert.deepEqual(proto.handshake(0), []);
  assert.equal(proto.connSets, 1);
  assert.equal(proto.handshakeFailure(), null);
  assert.equal(proto.newClientState().connSet, 0);
  assert.equal(proto.newClientState().trusted, true);
  const rp = proto.newResponseParser();
  const reply = bytesOf("VERSION 1.6.18\r\n");
  assert.equal(rp.parse(reply, 0, reply.length), reply.length);
  assert.equal(rp.isError, false);
});
