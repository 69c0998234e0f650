import assert from "node:assert/strict";
import { NEED_MORE } from "../types.ts";
import { bytesOf, concat, latin1 } from "../../../tests/_support/bytes.ts";
import {
  everySplit,
  type FeedEvent,
  feedEvents,
  type FeedOptions,
  whole,
} from "../../../tests/_support/parser_feed.ts";
import { MAX_GET_LINE, MemcacheRequestParser } from "./request_parser.ts";

/** A one-line summary of the request just parsed. */
function summarize(p: MemcacheRequestParser, buf: Uint8Array, start: number, end: number): string {
  if (p.reply !== null) {
    const reply = latin1(p.reply).trimEnd();
    return `${end - start}:reply ${reply === "" ? "(none)" : reply}`;
  }
  const t = p.tokens;
  const args: string[] = [];
  for (let i = 1; i < p.tokenCount; i++) {
    args.push(latin1(buf.subarray(start + t[2 * i]!, start + t[2 * i + 1]!)));
  }
  const data = p.dataStart < end - start ? ` +${end - start - p.dataStart}` : "";
  return `${end - start}:${p.command!.name} ${args.join(" ")}${data}`.trimEnd();
}

function run(input: Uint8Array, cuts: number[], options: FeedOptions): string[] {
  const p = new MemcacheRequestParser();
  return feedEvents(p, input, cuts, (b, s, e) => summarize(p, b, s, e), options).map(show);
}

function show(e: FeedEvent<string>): string {
  return e.type === "message"
    ? e.value
    : e.type === "framing"
    ? "framing"
    : `incomplete ${e.bytes}`;
}

function parseWhole(input: string | Uint8Array): string[] {
  const b = typeof input === "string" ? bytesOf(input) : input;
  return run(b, whole(b), {});
}

/** Requests and what the parser makes of them. */
const FIXTURES: readonly { name: string; input: string; expect: string[] }[] = [
  { name: "get", input: "get foo\r\n", expect: ["9:get foo"] },
  { name: "get with LF only", input: "get foo\n", expect: ["8:get foo"] },
  { name: "get of several keys", input: "get a bb ccc\r\n", expect: ["14:get a bb ccc"] },
  { name: "gets with extra spaces", input: "  gets   a  b  \r\n", expect: ["17:gets a b"] },
  { name: "gat", input: "gat 10 a b\r\n", expect: ["12:gat 10 a b"] },
  { name: "gats with negative exptime", input: "gats -1 a\r\n", expect: ["11:gats -1 a"] },
  { name: "gat without key", input: "gat 10\r\n", expect: ["8:reply END"] },
  { name: "set", input: "set k 1 2 3\r\nabc\r\n", expect: ["18:set k 1 2 3 +5"] },
  { name: "set with LF-only line", input: "set k 1 2 3\nabc\r\n", expect: ["17:set k 1 2 3 +5"] },
  {
    name: "set with noreply",
    input: "set k 0 0 1 noreply\r\na\r\n",
    expect: ["24:set k 0 0 1 noreply +3"],
  },
  { name: "set of 0 bytes", input: "set k 0 0 0\r\n\r\n", expect: ["15:set k 0 0 0 +2"] },
  {
    name: "set whose value holds CRLF and a command",
    input: "set k 0 0 13\r\nget x\r\nquit\r\n\r\n",
    expect: ["29:set k 0 0 13 +15"],
  },
  { name: "add", input: "add k 0 0 1\r\nx\r\n", expect: ["16:add k 0 0 1 +3"] },
  { name: "replace", input: "replace k 0 0 1\r\nx\r\n", expect: ["20:replace k 0 0 1 +3"] },
  { name: "append", input: "append k 0 0 1\r\nx\r\n", expect: ["19:append k 0 0 1 +3"] },
  { name: "prepend", input: "prepend k 0 0 1\r\nx\r\n", expect: ["20:prepend k 0 0 1 +3"] },
  { name: "cas", input: "cas k 0 0 1 99\r\nx\r\n", expect: ["19:cas k 0 0 1 99 +3"] },
  {
    name: "cas with noreply",
    input: "cas k 0 0 1 99 noreply\r\nx\r\n",
    expect: ["27:cas k 0 0 1 99 noreply +3"],
  },
  { name: "delete", input: "delete k\r\n", expect: ["10:delete k"] },
  { name: "delete with 0", input: "delete k 0\r\n", expect: ["12:delete k 0"] },
  { name: "delete with noreply", input: "delete k noreply\r\n", expect: ["18:delete k noreply"] },
  {
    name: "delete with 0 noreply",
    input: "delete k 0 noreply\r\n",
    expect: ["20:delete k 0 noreply"],
  },
  {
    name: "delete with 1",
    input: "delete k 1\r\n",
    expect: ["12:reply CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]"],
  },
  { name: "incr", input: "incr k 5\r\n", expect: ["10:incr k 5"] },
  { name: "decr with noreply", input: "decr k 5 noreply\r\n", expect: ["18:decr k 5 noreply"] },
  { name: "touch", input: "touch k 10\r\n", expect: ["12:touch k 10"] },
  { name: "verbosity", input: "verbosity 1\r\n", expect: ["13:verbosity 1"] },
  { name: "flush_all", input: "flush_all\r\n", expect: ["11:flush_all"] },
  {
    name: "flush_all with delay and noreply",
    input: "flush_all 5 noreply\r\n",
    expect: ["21:flush_all 5 noreply"],
  },
  { name: "version", input: "version\r\n", expect: ["9:version"] },
  { name: "stats", input: "stats\r\n", expect: ["7:stats"] },
  { name: "stats with an argument", input: "stats items\r\n", expect: ["13:stats items"] },
  { name: "quit", input: "quit\r\n", expect: ["6:quit"] },
  {
    name: "pipelined requests",
    input: "get a\r\nset b 0 0 3\r\nxyz\r\ndelete c\r\nversion\r\n",
    expect: ["7:get a", "18:set b 0 0 3 +5", "10:delete c", "9:version"],
  },
  { name: "empty line", input: "\r\n", expect: ["2:reply ERROR"] },
  { name: "LF alone", input: "\n", expect: ["1:reply ERROR"] },
  { name: "unknown command", input: "foo bar\r\n", expect: ["9:reply ERROR"] },
  { name: "upper-case command", input: "GET k\r\n", expect: ["7:reply ERROR"] },
  { name: "meta get", input: "mg k v\r\n", expect: ["8:mg k v"] },
  { name: "meta set with a data block", input: "ms k 2 T0\r\nhi\r\n", expect: ["15:ms k 2 T0 +4"] },
  { name: "meta set of 0 bytes", input: "ms k 0\r\n\r\n", expect: ["10:ms k 0 +2"] },
  {
    name: "meta set with a length memcached truncates",
    input: "ms k 4294967298\r\nhi\r\n",
    expect: ["21:ms k 4294967298 +4"],
  },
  {
    name: "meta set with a bad length has no data block",
    input: "ms k x\r\nhi\r\n",
    expect: ["8:reply CLIENT_ERROR bad command line format", "4:reply ERROR"],
  },
  {
    name: "meta set without length",
    input: "ms k\r\nhi\r\n",
    expect: ["6:reply CLIENT_ERROR bad command line format", "4:reply ERROR"],
  },
  { name: "meta set without key", input: "ms\r\n", expect: ["4:reply ERROR"] },
  {
    name: "meta set with 20 tokens has no data block",
    input: `ms k 2 ${"a b c d e f g h i j k l m n o p r".replace(/ /g, " ")}\r\nhi\r\n`,
    expect: ["42:reply CLIENT_ERROR options flags too long", "4:reply ERROR"],
  },
  {
    name: "meta set with a bad flag still has its data block (the server swallows it)",
    input: "ms k 2 !\r\nhi\r\n",
    expect: ["14:ms k 2 ! +4"],
  },
  { name: "meta delete", input: "md k q\r\n", expect: ["8:md k q"] },
  { name: "meta arithmetic", input: "ma k D2 v\r\n", expect: ["11:ma k D2 v"] },
  { name: "meta debug", input: "me k\r\n", expect: ["6:me k"] },
  { name: "meta no-op", input: "mn\r\n", expect: ["4:reply MN"] },
  { name: "meta get without key", input: "mg\r\n", expect: ["4:reply ERROR"] },
  {
    name: "meta debug without key",
    input: "me\r\n",
    expect: ["4:reply CLIENT_ERROR bad command line format"],
  },
  {
    name: "meta get of a 251-byte key",
    input: `mg ${"k".repeat(251)}\r\n`,
    expect: ["256:reply CLIENT_ERROR bad command line format"],
  },
  { name: "unknown meta command", input: "mx k\r\n", expect: ["6:reply ERROR"] },
  { name: "get without key", input: "get\r\n", expect: ["5:reply ERROR"] },
  {
    name: "set with missing length (no data block expected)",
    input: "set k 0 0\r\nab\r\n",
    expect: ["11:reply ERROR", "4:reply ERROR"],
  },
  {
    name: "key of 251 bytes",
    input: `get ${"k".repeat(251)}\r\n`,
    expect: ["257:reply CLIENT_ERROR bad command line format"],
  },
  { name: "a NUL ends the line, as in memcached", input: "get a\x00b c\r\n", expect: ["11:get a"] },
  {
    name: "a NUL after a storage length",
    input: "set k 0 0 1\x00x\r\na\r\n",
    expect: ["18:set k 0 0 1 +3"],
  },
  {
    name: "storage with bad flags has no data block (memcached reads it as a command)",
    input: "set k x 0 3\r\nabc\r\nversion\r\n",
    expect: [
      "13:reply CLIENT_ERROR bad command line format",
      "5:reply ERROR",
      "9:version",
    ],
  },
  {
    name: "storage with bad flags and noreply: silent, then the block is a command",
    input: "set k abc 0 3 noreply\r\nabc\r\n",
    expect: ["23:reply (none)", "5:reply ERROR"],
  },
  {
    name: "cas with a negative cas unique",
    input: "cas k 0 0 3 -1\r\nabc\r\n",
    expect: ["16:reply CLIENT_ERROR bad command line format", "5:reply ERROR"],
  },
  {
    name: "data block not ending in CRLF: framed, the server says so",
    input: "set k 0 0 1\r\nabc\r\n",
    expect: ["16:set k 0 0 1 +3", "2:reply ERROR"],
  },
  {
    name: "negative length",
    input: "set k 0 0 -1\r\nabc\r\n",
    expect: ["14:reply CLIENT_ERROR bad command line format", "5:reply ERROR"],
  },
  {
    name: "length not a number",
    input: "set k 0 0 abc\r\nabc\r\n",
    expect: ["15:reply CLIENT_ERROR bad command line format", "5:reply ERROR"],
  },
  {
    name: "length memcached truncates to 32 bits",
    input: "set k 0 0 4294967297\r\na\r\n",
    expect: ["25:set k 0 0 4294967297 +3"],
  },
  {
    name: "length over 1 GiB: refused, its block swallowed as it comes",
    input: "set k 0 0 1073741825\r\n",
    expect: ["22:reply SERVER_ERROR object too large for cache"],
  },
  {
    name: "binary protocol",
    input:
      "\x80\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00k",
    expect: ["framing"],
  },
  { name: "HTTP request", input: "GET / HTTP/1.1\r\nHost: x\r\n\r\n", expect: ["framing"] },
  {
    name: "incomplete data block",
    input: "get a\r\nset k 0 0 10\r\nabc",
    expect: ["7:get a", "incomplete 17"],
  },
  { name: "incomplete line", input: "get a\r\nget b", expect: ["7:get a", "incomplete 5"] },
];

Deno.test("parse() frames each fixture as expected", () => {
  for (const f of FIXTURES) {
    assert.deepEqual(parseWhole(f.input), f.expect, f.name);
  }
});

Deno.test("parse() gives the same result whole and split at every byte boundary", () => {
  for (const f of FIXTURES) {
    const input = bytesOf(f.input);
    for (const { label, result } of everySplit(input, (cuts, o) => run(input, cuts, o))) {
      assert.deepEqual(result, f.expect, `${f.name}: ${label}`);
    }
  }
});

Deno.test("parse() splits get keys into tokens without copying them", () => {
  const buf = bytesOf("xxget a bb ccc\r\n");
  const p = new MemcacheRequestParser();
  assert.equal(p.parse(buf, 2, buf.length), buf.length);
  assert.equal(p.command?.name, "get");
  assert.equal(p.firstKey, 1);
  assert.equal(p.tokenCount, 4);
  assert.deepEqual([...p.tokens.subarray(0, 8)], [0, 3, 4, 5, 6, 8, 9, 12]);
});

Deno.test("parse() reports the whole length of a data block as needed", () => {
  const p = new MemcacheRequestParser();
  const buf = bytesOf("set k 0 0 100\r\n");
  assert.equal(p.parse(buf, 0, buf.length), NEED_MORE);
  assert.equal(p.needed, 15 + 100 + 2);
  const more = concat([buf, new Uint8Array(50)]);
  assert.equal(p.parse(more, 0, more.length), NEED_MORE);
  assert.equal(p.needed, 117);
});

Deno.test("parse() reports a lower bound of the line while it has no LF", () => {
  const p = new MemcacheRequestParser();
  const buf = bytesOf("get abc");
  assert.equal(p.parse(buf, 0, buf.length), NEED_MORE);
  assert.equal(p.needed, buf.length + 1);
});

function storage(value: Uint8Array, noreply = false): Uint8Array {
  return concat([
    bytesOf(`set key 7 0 ${value.length}${noreply ? " noreply" : ""}\r\n`),
    value,
    bytesOf("\r\n"),
  ]);
}

function binary(n: number): Uint8Array {
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) v[i] = (i * 131 + 7) & 0xff;
  // bytes that look like framing inside the value
  const fake = bytesOf("\r\nEND\r\nVALUE k 0 1\r\n\n\r\0");
  if (n >= fake.length) v.set(fake, Math.floor(n / 2) - Math.floor(fake.length / 2));
  return v;
}

Deno.test("parse() frames binary values of 0, 1, 16 KiB ± 1 bytes split at every boundary", () => {
  for (const n of [0, 1, 2, 16383, 16384, 16385]) {
    const value = binary(n);
    const input = concat([storage(value), bytesOf("get key\r\n")]);
    const expect = [`${input.length - 9}:set key 7 0 ${n} +${n + 2}`, "9:get key"];
    assert.deepEqual(parseWhole(input), expect);
    for (let at = 1; at < input.length; at++) {
      assert.deepEqual(run(input, [at, input.length], { move: true }), expect, `${n} at ${at}`);
    }
  }
});

Deno.test("parse() frames a 1 MiB value fed in reads of any size, honouring needed", () => {
  const value = binary(1 << 20);
  const input = storage(value);
  const expect = [`${input.length}:set key 7 0 ${1 << 20} +${(1 << 20) + 2}`];
  for (const chunk of [1, 7, 1000, 4096, 16384, 65536]) {
    const cuts: number[] = [];
    for (let c = chunk; c < input.length; c += chunk) cuts.push(c);
    cuts.push(input.length);
    assert.deepEqual(run(input, cuts, { honourNeeded: chunk === 1 }), expect, `reads of ${chunk}`);
  }
});

Deno.test("parse() frames a 1 MiB value with one parse per read once the length is known", () => {
  const input = storage(binary(1 << 20));
  const p = new MemcacheRequestParser();
  let calls = 0;
  const counting = {
    parse(buf: Uint8Array, s: number, e: number) {
      calls++;
      return p.parse(buf, s, e);
    },
    get needed() {
      return p.needed;
    },
  };
  const events = feedEvents(counting, input, [20, 4000, 500000, input.length], () => 0, {
    honourNeeded: true,
  });
  assert.equal(events.length, 1);
  // a partial line, the line, then the whole block (not at 500,000 bytes)
  assert.equal(calls, 3);
});

Deno.test("parse() handles a 1,000-key get split across reads", () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
  const input = bytesOf(`get ${keys.join(" ")}\r\n`);
  const expect = [`${input.length}:get ${keys.join(" ")}`];
  assert.deepEqual(parseWhole(input), expect);
  for (const chunk of [1, 3, 100, 1500]) {
    const cuts: number[] = [];
    for (let c = chunk; c < input.length; c += chunk) cuts.push(c);
    cuts.push(input.length);
    assert.deepEqual(run(input, cuts, { move: true, honourNeeded: true }), expect);
  }
});

Deno.test("parse() stays linear on a long get line fed byte by byte", () => {
  // 40,000 keys, ~400 KB: a rescan from the start on each byte would cost
  // ~8e10 byte visits; a linear parser does this in well under a second.
  const keys = Array.from({ length: 40000 }, (_, i) => `k${i}`);
  const input = bytesOf(`get ${keys.join(" ")}\r\n`);
  const p = new MemcacheRequestParser();
  const t0 = performance.now();
  let r = NEED_MORE;
  for (let end = 1; end <= input.length; end++) {
    r = p.parse(input, 0, end);
    if (end < input.length) assert.equal(r, NEED_MORE);
  }
  const ms = performance.now() - t0;
  assert.equal(r, input.length);
  assert.equal(p.tokenCount, 40001);
  assert.ok(ms < 2000, `took ${ms} ms`);
});

Deno.test("parse() closes on a line over 2048 bytes unless it is a get or gets", () => {
  assert.deepEqual(parseWhole("set " + "k".repeat(3000)), ["framing"]);
  assert.deepEqual(parseWhole("gat 0 " + "k".repeat(3000)), ["framing"]);
  assert.deepEqual(parseWhole(" ".repeat(2049)), ["framing"]);
  assert.deepEqual(parseWhole(" ".repeat(2048)), ["incomplete 2048"]);
  assert.deepEqual(parseWhole("version" + " ".repeat(2041) + "\n"), ["2049:version"]);
  assert.deepEqual(parseWhole("version" + " ".repeat(2042) + "\n"), ["framing"]);
  assert.deepEqual(parseWhole("get " + "k".repeat(3000)), ["incomplete 3004"]);
  assert.deepEqual(parseWhole("gets " + "k ".repeat(1500)), ["incomplete 3005"]);
  // memcached allows at most 100 leading spaces before get
  assert.deepEqual(parseWhole(" ".repeat(100) + "get " + "k ".repeat(1500)), ["incomplete 3104"]);
  assert.deepEqual(parseWhole(" ".repeat(101) + "get " + "k ".repeat(1500)), ["framing"]);
  const p = new MemcacheRequestParser();
  const buf = bytesOf("set " + "k".repeat(3000));
  p.parse(buf, 0, buf.length);
  assert.equal(latin1(p.error!), "CLIENT_ERROR line too long\r\n");
});

Deno.test("parse() caps get lines at 16 MiB", () => {
  const p = new MemcacheRequestParser();
  const buf = new Uint8Array(MAX_GET_LINE + 1).fill(0x6b);
  buf.set(bytesOf("get "));
  assert.equal(p.parse(buf, 0, MAX_GET_LINE), NEED_MORE);
  assert.equal(p.parse(buf, 0, MAX_GET_LINE + 1), -2);
});

Deno.test("parse() sets the reply sent before closing on framing errors", () => {
  const cases: [string, string][] = [
    ["POST / HTTP/1.0\r\n", ""],
  ];
  for (const [input, error] of cases) {
    const p = new MemcacheRequestParser();
    const buf = bytesOf(input);
    assert.equal(p.parse(buf, 0, buf.length), -2, input);
    assert.equal(latin1(p.error!), error, input);
  }
});

Deno.test("parse() swallows a block over 1 GiB as it streams by, then reads commands again", () => {
  const p = new MemcacheRequestParser();
  const line = bytesOf("set k 0 0 1073741825 noreply\r\n");
  assert.equal(p.parse(line, 0, line.length), line.length);
  assert.equal(latin1(p.reply!), "");
  const chunk = new Uint8Array(1 << 20);
  let left = 1073741825 + 2;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    assert.equal(p.parse(chunk, 0, n), n);
    assert.equal(p.reply?.length, 0);
    left -= n;
  }
  const next = bytesOf("get a\r\n");
  assert.equal(p.parse(next, 0, next.length), next.length);
  assert.equal(p.command?.name, "get");
});

Deno.test("parse() answers a binary request with a binary error and a reason to log", () => {
  const p = new MemcacheRequestParser();
  const req = new Uint8Array(24);
  req[0] = 0x80;
  req[1] = 0x0a;
  req.set([1, 2, 3, 4], 12);
  assert.equal(p.parse(req, 0, 10), NEED_MORE);
  assert.equal(p.needed, 24);
  assert.equal(p.parse(req, 0, 24), -2);
  const e = p.error!;
  assert.deepEqual([e[0], e[1], e[6], e[7], e[12], e[13], e[14], e[15]], [
    0x81,
    0x0a,
    0,
    0x83,
    1,
    2,
    3,
    4,
  ]);
  assert.match(p.reason!, /binary protocol/);
});

Deno.test("parse() notes the quiet and base64 flags of meta commands", () => {
  const cases: [string, number, boolean][] = [
    ["mg k v\r\n", -1, false],
    ["mg k v q\r\n", 3, false],
    ["mg k qx b\r\n", 2, true],
    ["mg k q q\r\n", -1, false],
    ["ms k 2 q\r\nhi\r\n", 3, false],
    ["md Zm9v b q\r\n", 3, true],
    ["me Zm9v b\r\n", -1, true],
    ["me Zm9v v b\r\n", -1, false],
    [`mg k q ${"s v f t c k h l u O1 T30 N30 R30 P L D1 J1"}\r\n`, -1, false],
  ];
  for (const [input, quiet, base64] of cases) {
    const p = new MemcacheRequestParser();
    const buf = bytesOf(input);
    assert.equal(p.parse(buf, 0, buf.length), buf.length, input);
    assert.equal(p.quietToken, quiet, input);
    assert.equal(p.base64, base64, input);
  }
});

Deno.test("parse() accepts a 1 GiB length and waits for the block", () => {
  const p = new MemcacheRequestParser();
  const buf = bytesOf("set k 0 0 1073741824\r\n");
  assert.equal(p.parse(buf, 0, buf.length), NEED_MORE);
  assert.equal(p.needed, buf.length + (1 << 30) + 2);
});
