import assert from "node:assert/strict";
import { FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import { chunks, feed, twoWayCuts } from "../../../tests/_support/parser_feed.ts";
import { loadFixture } from "../../../tests/_support/redis_fixture.ts";
import { decode } from "../../../tests/_support/resp_decode.ts";
import { RedisResponseParser } from "./response_parser.ts";

const fixture = loadFixture();

/** How many replies a recorded response holds (a RESP3 push comes before the real reply). */
function replyCount(raw: Uint8Array): number {
  let n = 0;
  for (let pos = 0; pos < raw.length; n++) pos = decode(raw, pos)!.end;
  return n;
}

/** Asserts `input` frames into `expected` whole, cut in two anywhere, and byte by byte. */
function assertFrames(input: Uint8Array, expected: readonly string[]): void {
  const whole = feed(new RedisResponseParser(), input);
  assert.deepEqual(whole.messages.map(latin1), expected);
  assert.equal(whole.failed, false);
  assert.equal(whole.rest, 0);
  for (const cuts of twoWayCuts(input.length)) {
    const r = feed(new RedisResponseParser(), input, cuts);
    assert.deepEqual(r.messages.map(latin1), expected, `cut at ${cuts}`);
    assert.equal(r.rest, 0);
  }
  const bytewise = feed(new RedisResponseParser(), input, chunks(input.length, 1), undefined, 5);
  assert.deepEqual(bytewise.messages.map(latin1), expected);
}

Deno.test("parse() frames every reply recorded from redis-server, whole and split at every byte", () => {
  assert.equal(fixture.version, "7.0.15");
  for (const c of fixture.responses) {
    const raw = bytesOf(c.reply);
    const n = replyCount(raw);
    const expected: string[] = [];
    for (let pos = 0, i = 0; i < n; i++) {
      const end = decode(raw, pos)!.end;
      expected.push(c.reply.slice(pos, end));
      pos = end;
    }
    try {
      assertFrames(raw, expected);
    } catch (e) {
      throw new Error(`fixture "${c.name}": ${e}`);
    }
  }
});

Deno.test("parse() frames a pipeline of all recorded replies split at every byte", () => {
  const all = fixture.responses.filter((c) => c.reply.length < 4096);
  const expected: string[] = [];
  for (const c of all) {
    const raw = bytesOf(c.reply);
    for (let pos = 0; pos < raw.length;) {
      const end = decode(raw, pos)!.end;
      expected.push(c.reply.slice(pos, end));
      pos = end;
    }
  }
  assertFrames(bytesOf(all.map((c) => c.reply).join("")), expected);
});

Deno.test("parse() sets isError for top-level errors only", () => {
  const cases: [string, boolean][] = [
    ["-ERR x\r\n", true],
    ["-MYERR\r\n", true],
    ["!5\r\nerror\r\n", true],
    ["*2\r\n-ERR\r\n-X\r\n", false],
    ["+OK\r\n", false],
    ["$4\r\n-ERR\r\n", false],
    ["|1\r\n+a\r\n+b\r\n-ERR after attribute\r\n", true],
  ];
  for (const [text, isError] of cases) {
    const p = new RedisResponseParser();
    const b = bytesOf(text);
    assert.equal(p.parse(b, 0, b.length), b.length, text);
    assert.equal(p.isError, isError, text);
  }
});

Deno.test("parse() frames nested arrays split at every byte", () => {
  let deep = "$4\r\nleaf\r\n";
  for (let i = 0; i < 20; i++) deep = `*3\r\n:${i}\r\n${deep}+s${i}\r\n`;
  assertFrames(bytesOf(deep + deep), [deep, deep]);
  // Nulls and empties at every level.
  const mixed = "*4\r\n*-1\r\n*0\r\n$-1\r\n*2\r\n*1\r\n*0\r\n$0\r\n\r\n";
  assertFrames(bytesOf(mixed), [mixed]);
});

Deno.test("parse() frames simple strings and errors without a space inside arrays", () => {
  const eval1 = "*3\r\n+OK\r\n-ERR\r\n-X\r\n";
  const eval2 = "*2\r\n*2\r\n+QUEUED\r\n+OK\r\n-WRONGTYPE\r\n";
  assertFrames(bytesOf(eval1 + eval2), [eval1, eval2]);
});

Deno.test("parse() frames RESP3 types and streamed strings and aggregates", () => {
  const replies = [
    "_\r\n",
    "#t\r\n",
    ",1.5\r\n",
    ",-inf\r\n",
    "(12345678901234567890\r\n",
    "=15\r\ntxt:Some string\r\n",
    "!21\r\nSYNTAX invalid syntax\r\n",
    "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
    "~3\r\n+a\r\n+b\r\n+c\r\n",
    ">2\r\n+pubsub\r\n+message\r\n",
    "|1\r\n+key-popularity\r\n*2\r\n$1\r\na\r\n,0.1923\r\n*2\r\n:1\r\n:2\r\n",
    "*2\r\n|1\r\n+a\r\n+b\r\n:1\r\n|0\r\n:2\r\n",
    "$?\r\n;4\r\nHell\r\n;5\r\no wor\r\n;1\r\nd\r\n;0\r\n",
    "*?\r\n:1\r\n:2\r\n*?\r\n+a\r\n.\r\n.\r\n",
    "%?\r\n+a\r\n:1\r\n.\r\n",
    "~?\r\n$?\r\n;2\r\nab\r\n;0\r\n.\r\n",
  ];
  assertFrames(bytesOf(replies.join("")), replies);
});

Deno.test("parse() reports needed for big bulks", () => {
  const p = new RedisResponseParser();
  const head = bytesOf("*2\r\n$100000\r\n");
  assert.equal(p.parse(head, 0, head.length), NEED_MORE);
  assert.equal(p.needed, head.length + 100000 + 2);
  const nested = bytesOf("*1\r\n*1\r\n$10\r\n01234");
  const q = new RedisResponseParser();
  assert.equal(q.parse(nested, 0, nested.length), NEED_MORE);
  assert.equal(q.needed, nested.length - 5 + 12);
});

Deno.test("parse() steps over the bulks of an array in one pass, the same cut anywhere", () => {
  // Bulks of 0 to 4 length digits (and a leading zero, which the line
  // parser takes too), nulls and other types between them, nested arrays.
  const values = ["$0\r\n\r\n", "$1\r\nx\r\n", "$01\r\ny\r\n", `$10\r\n${"a\r\n".repeat(3)}b\r\n`];
  values.push(
    `$1000\r\n${"z".repeat(1000)}\r\n`,
    "$-1\r\n",
    ":5\r\n",
    "*2\r\n$1\r\na\r\n$-1\r\n",
    "$2\r\n$1\r\n",
  );
  const array = `*${values.length}\r\n${values.join("")}`;
  const mget = `*300\r\n${"$3\r\nxxx\r\n".repeat(300)}`;
  assertFrames(bytesOf(array + mget + "+OK\r\n"), [array, mget, "+OK\r\n"]);
  // Garbage after some whole bulks: found, however the bytes are cut.
  for (
    const bad of [
      "$3\r\nabcXY", // no CR LF after the data
      "$3\rXabc\r\n", // no LF after the length
      "$12345678901\r\n", // 11 digits
      "$4294967296\r\n", // over 4 GiB
      "$\r\n",
      "$1a\r\n",
    ]
  ) {
    const text = `*3\r\n$1\r\na\r\n$2\r\nbb\r\n${bad}`;
    const b = bytesOf(text);
    for (const cuts of [[], ...twoWayCuts(b.length), chunks(b.length, 1)]) {
      const r = feed(new RedisResponseParser(), b, cuts);
      assert.equal(r.failed, true, `${JSON.stringify(text)} cut at ${cuts}`);
    }
  }
});

Deno.test("parse() rejects garbage", () => {
  const bad = [
    "hello\r\n",
    "*1\r\n?\r\n",
    ":12a\r\n",
    ":\r\n",
    "$abc\r\n",
    "$-2\r\n",
    "$3\r\nabcXY",
    "*-2\r\n",
    "*1x\r\n",
    "+OK\rX",
    "+O\nK\r\n",
    "_x\r\n",
    "#x\r\n",
    ".\r\n",
    "*1\r\n.\r\n",
    "$?\r\n+x\r\n",
    "$99999999999\r\n",
    "!-1\r\n",
  ];
  for (const text of bad) {
    const b = bytesOf(text);
    const r = feed(new RedisResponseParser(), b);
    assert.equal(r.failed, true, JSON.stringify(text));
    const p = new RedisResponseParser();
    assert.equal(p.parse(b, 0, b.length), FRAMING_ERROR, JSON.stringify(text));
  }
});

Deno.test("parse() is linear for a 10,000-element array arriving in small reads", () => {
  const time = (n: number): number => {
    let s = `*${n}\r\n`;
    for (let i = 0; i < n; i++) {
      s += i % 3 === 0 ? "$-1\r\n" : `$6\r\nv${String(i).padStart(5, "0")}\r\n`;
    }
    const input = bytesOf(s);
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      const r = feed(new RedisResponseParser(), input, chunks(input.length, 7), undefined, 0);
      best = Math.min(best, performance.now() - t0);
      assert.equal(r.messages.length, 1);
      assert.equal(r.messages[0]!.length, input.length);
    }
    return best;
  };
  time(2000);
  const small = time(10000);
  const big = time(40000);
  // Linear: about 4x; quadratic would be about 16x.
  assert.ok(big < small * 9 + 20, `10k: ${small.toFixed(1)} ms, 40k: ${big.toFixed(1)} ms`);
});

Deno.test("parse() frames an MGET reply of five 16 MiB values in 64 KiB reads", () => {
  const size = 16 * 1024 * 1024;
  const head = bytesOf(`$${size}\r\n`);
  const one = new Uint8Array(head.length + size + 2);
  one.set(head);
  one.fill(120, head.length, head.length + size);
  one.set([13, 10], head.length + size);
  const arrayHead = bytesOf("*5\r\n");
  const input = new Uint8Array(arrayHead.length + 5 * one.length);
  input.set(arrayHead);
  for (let i = 0; i < 5; i++) input.set(one, arrayHead.length + i * one.length);
  const r = feed(new RedisResponseParser(), input, chunks(input.length, 65536), undefined, 0);
  assert.equal(r.failed, false);
  assert.equal(r.messages.length, 1);
  assert.equal(r.messages[0]!.length, input.length);
});
