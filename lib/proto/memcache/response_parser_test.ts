import assert from "node:assert/strict";
import { FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, concat } from "../../../tests/_support/bytes.ts";
import {
  everySplit,
  type FeedEvent,
  feedEvents,
  type FeedOptions,
  whole,
} from "../../../tests/_support/parser_feed.ts";
import { MAX_RESPONSE_LINE, MemcacheResponseParser, valueLength } from "./response_parser.ts";

function run(input: Uint8Array, cuts: number[], options: FeedOptions): string[] {
  const p = new MemcacheResponseParser();
  return feedEvents(p, input, cuts, (_b, s, e) => `${e - s}:${p.isError ? "error" : "ok"}`, options)
    .map(show);
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

const FIXTURES: readonly { name: string; input: string; expect: string[] }[] = [
  { name: "STORED", input: "STORED\r\n", expect: ["8:ok"] },
  { name: "NOT_STORED", input: "NOT_STORED\r\n", expect: ["12:ok"] },
  { name: "EXISTS", input: "EXISTS\r\n", expect: ["8:ok"] },
  { name: "NOT_FOUND", input: "NOT_FOUND\r\n", expect: ["11:ok"] },
  { name: "DELETED", input: "DELETED\r\n", expect: ["9:ok"] },
  { name: "TOUCHED", input: "TOUCHED\r\n", expect: ["9:ok"] },
  { name: "OK", input: "OK\r\n", expect: ["4:ok"] },
  { name: "END (a miss)", input: "END\r\n", expect: ["5:ok"] },
  { name: "incr result", input: "18446744073709551615\r\n", expect: ["22:ok"] },
  { name: "incr result with trailing spaces", input: "42  \r\n", expect: ["6:ok"] },
  { name: "VERSION", input: "VERSION 1.6.18\r\n", expect: ["16:ok"] },
  { name: "ERROR", input: "ERROR\r\n", expect: ["7:error"] },
  { name: "ERROR with text", input: "ERROR: shutdown not enabled\r\n", expect: ["framing"] },
  { name: "ERROR with a space and text", input: "ERROR unknown\r\n", expect: ["15:error"] },
  { name: "CLIENT_ERROR", input: "CLIENT_ERROR bad data chunk\r\n", expect: ["29:error"] },
  { name: "SERVER_ERROR", input: "SERVER_ERROR out of memory\r\n", expect: ["28:error"] },
  { name: "one value", input: "VALUE k 0 3\r\nabc\r\nEND\r\n", expect: ["23:ok"] },
  // meta replies
  { name: "HD", input: "HD\r\n", expect: ["4:ok"] },
  { name: "HD with flags", input: "HD c123 kfoo b Oabc\r\n", expect: ["21:ok"] },
  {
    name: "EN, NF, NS, EX",
    input: "EN\r\nNF Ox\r\nNS\r\nEX k\r\n",
    expect: ["4:ok", "7:ok", "4:ok", "6:ok"],
  },
  { name: "MN", input: "MN\r\n", expect: ["4:ok"] },
  { name: "ME", input: "ME foo exp=-1 la=0 cas=3 fetch=no cls=1 size=64\r\n", expect: ["49:ok"] },
  { name: "VA with its data", input: "VA 2 s2 f0\r\nhi\r\nHD\r\n", expect: ["16:ok", "4:ok"] },
  { name: "VA of 0 bytes", input: "VA 0 W\r\n\r\n", expect: ["10:ok"] },
  { name: "VA holding a meta line", input: "VA 4\r\nMN\r\n\r\n", expect: ["12:ok"] },
  { name: "VA with a bad block end", input: "VA 2\r\nhix\r\n", expect: ["framing"] },
  { name: "VA without size", input: "VA x\r\n", expect: ["framing"] },
  { name: "HDX is not HD", input: "HDX\r\n", expect: ["framing"] },
  { name: "M alone", input: "MX\r\n", expect: ["framing"] },
  // stats replies
  { name: "stats", input: "STAT pid 1\r\nSTAT version 1.6.18\r\nEND\r\n", expect: ["38:ok"] },
  { name: "stats cachedump", input: "ITEM k [1 b; 0 s]\r\nEND\r\n", expect: ["24:ok"] },
  { name: "RESET", input: "RESET\r\n", expect: ["7:ok"] },
  { name: "STAT then ITEM", input: "STAT a 1\r\nITEM k\r\nEND\r\n", expect: ["framing"] },
  { name: "STAT then STORED", input: "STAT a 1\r\nSTORED\r\n", expect: ["framing"] },
  {
    name: "values with cas",
    input: "VALUE a 1 1 10\r\nx\r\nVALUE b 4294967295 2 18446744073709551615\r\nyz\r\nEND\r\n",
    expect: ["71:ok"],
  },
  { name: "a 0-byte value", input: "VALUE k 0 0\r\n\r\nEND\r\n", expect: ["20:ok"] },
  {
    name: "a value holding END and VALUE lines",
    input: "VALUE k 0 21\r\nEND\r\nVALUE k 0 1\r\nx\r\n\r\nEND\r\n",
    expect: ["42:ok"],
  },
  {
    name: "an error line ending a value list",
    input: "VALUE k 0 1\r\na\r\nSERVER_ERROR out of memory\r\n",
    expect: ["44:error"],
  },
  {
    name: "pipelined responses",
    input: "STORED\r\nVALUE k 0 1\r\na\r\nEND\r\nEND\r\n5\r\nDELETED\r\nERROR\r\n",
    expect: ["8:ok", "21:ok", "5:ok", "3:ok", "9:ok", "7:error"],
  },
  { name: "garbage word", input: "HELLO\r\n", expect: ["framing"] },
  { name: "word with a suffix", input: "STOREDX\r\n", expect: ["framing"] },
  { name: "word with an argument", input: "STORED 1\r\n", expect: ["framing"] },
  { name: "LF-only line", input: "STORED\n", expect: ["framing"] },
  { name: "empty line", input: "\r\n", expect: ["framing"] },
  { name: "negative number", input: "-5\r\n", expect: ["framing"] },
  { name: "number of 21 digits", input: "123456789012345678901\r\n", expect: ["framing"] },
  { name: "lower case", input: "stored\r\n", expect: ["framing"] },
  {
    name: "value data longer than declared",
    input: "VALUE k 0 1\r\nab\r\nEND\r\n",
    expect: ["framing"],
  },
  { name: "VALUE without length", input: "VALUE k 0\r\nEND\r\n", expect: ["framing"] },
  { name: "VALUE with bad flags", input: "VALUE k x 1\r\na\r\nEND\r\n", expect: ["framing"] },
  { name: "VALUE with bad cas", input: "VALUE k 0 1 x\r\na\r\nEND\r\n", expect: ["framing"] },
  { name: "VALUE then STORED", input: "VALUE k 0 1\r\na\r\nSTORED\r\n", expect: ["framing"] },
  { name: "incomplete value", input: "VALUE k 0 10\r\nabc", expect: ["incomplete 17"] },
  { name: "value without END yet", input: "VALUE k 0 1\r\na\r\n", expect: ["incomplete 16"] },
];

Deno.test("parse() frames each response fixture as expected", () => {
  for (const f of FIXTURES) assert.deepEqual(parseWhole(f.input), f.expect, f.name);
});

Deno.test("parse() gives the same response result whole and split at every byte boundary", () => {
  for (const f of FIXTURES) {
    const input = bytesOf(f.input);
    for (const { label, result } of everySplit(input, (cuts, o) => run(input, cuts, o))) {
      assert.deepEqual(result, f.expect, `${f.name}: ${label}`);
    }
  }
});

function binary(n: number): Uint8Array {
  const v = new Uint8Array(n);
  for (let i = 0; i < n; i++) v[i] = (i * 167 + 3) & 0xff;
  const fake = bytesOf("\r\nEND\r\nVALUE k 0 1\r\n\n\0");
  if (n >= fake.length) v.set(fake, n >> 1);
  return v;
}

function valueReply(values: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  values.forEach((v, i) =>
    parts.push(bytesOf(`VALUE key${i} ${i} ${v.length}\r\n`), v, bytesOf("\r\n"))
  );
  parts.push(bytesOf("END\r\n"));
  return concat(parts);
}

Deno.test("parse() frames binary values of 0, 1, 16 KiB ± 1 bytes split at every boundary", () => {
  for (const n of [0, 1, 16383, 16384, 16385]) {
    const input = concat([valueReply([binary(n), binary(n + 1)]), bytesOf("STORED\r\n")]);
    const expect = [`${input.length - 8}:ok`, "8:ok"];
    assert.deepEqual(parseWhole(input), expect);
    for (let at = 1; at < input.length; at++) {
      assert.deepEqual(
        run(input, [at, input.length], { move: at % 2 === 1 }),
        expect,
        `${n} at ${at}`,
      );
    }
  }
});

Deno.test("parse() frames a 1 MiB value in reads of any size, honouring needed", () => {
  const input = valueReply([binary(1 << 20)]);
  const expect = [`${input.length}:ok`];
  for (const chunk of [1, 13, 4096, 65536]) {
    const cuts: number[] = [];
    for (let c = chunk; c < input.length; c += chunk) cuts.push(c);
    cuts.push(input.length);
    assert.deepEqual(run(input, cuts, { honourNeeded: true, move: chunk === 65536 }), expect);
  }
});

Deno.test("parse() reports the value block and END as needed", () => {
  const p = new MemcacheResponseParser();
  const head = bytesOf("VALUE k 0 1000\r\n");
  assert.equal(p.parse(head, 0, head.length), NEED_MORE);
  assert.equal(p.needed, head.length + 1000 + 2 + 5);
});

Deno.test("parse() frames many values in one response linearly", () => {
  const values = Array.from({ length: 1000 }, (_, i) => bytesOf(`value-${i}`));
  const input = valueReply(values);
  const p = new MemcacheResponseParser();
  let r = NEED_MORE;
  for (let end = 1; end <= input.length && r === NEED_MORE; end++) r = p.parse(input, 0, end);
  assert.equal(r, input.length);
});

Deno.test("parse() refuses a line longer than the limit", () => {
  const p = new MemcacheResponseParser();
  const long = bytesOf("SERVER_ERROR " + "x".repeat(MAX_RESPONSE_LINE));
  assert.equal(p.parse(long, 0, long.length), FRAMING_ERROR);
  const ok = bytesOf("SERVER_ERROR " + "x".repeat(MAX_RESPONSE_LINE - 15) + "\r\n");
  assert.equal(p.parse(ok, 0, ok.length), ok.length);
  assert.equal(p.isError, true);
});

Deno.test("valueLength() reads the length of a VALUE line", () => {
  const cases: [string, number][] = [
    ["VALUE k 0 5", 5],
    ["VALUE k 0 5 123", 5],
    ["VALUE k 0 0", 0],
    ["VALUE  k 0 5", -1],
    ["VALUE k 0 5 ", -1],
    ["VALUE k 0 -5", -1],
    ["VALUE k 0", -1],
    ["VALUES k 0 5", -1],
    ["VALUE k 0 2147483646", -1],
  ];
  for (const [line, length] of cases) {
    const b = bytesOf(line);
    assert.equal(valueLength(b, 0, b.length), length, line);
  }
});
