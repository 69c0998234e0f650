import assert from "node:assert/strict";
import { type ClientState, FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import { chunks, feed, twoWayCuts } from "../../../tests/_support/parser_feed.ts";
import { expectedDollar, FramingErrors, RedisRequestParser } from "./request_parser.ts";

const trusted: ClientState = { trusted: true, connSet: 0 };
const untrusted: ClientState = { trusted: false, connSet: 0 };

/** Every request in `input` as its argument list (latin1), fed with `cuts`. */
function parseAll(
  input: Uint8Array,
  cuts: readonly number[] = [],
  state = trusted,
  moveEvery = 1,
): { requests: string[][]; failed: boolean; error: string | null } {
  const parser = new RedisRequestParser(state);
  const requests: string[][] = [];
  const r = feed(parser, input, cuts, (buf, start) => {
    const args: string[] = [];
    const src = parser.inline ? parser.inlineArgs : buf;
    const base = parser.inline ? 0 : start;
    for (let i = 0; i < parser.argc; i++) {
      args.push(latin1(src.subarray(base + parser.argStart(i), base + parser.argEnd(i))));
    }
    requests.push(args);
  }, moveEvery);
  return {
    requests,
    failed: r.failed,
    error: r.failed && parser.error !== null ? latin1(parser.error) : null,
  };
}

/** Asserts `input` gives `expected` whole, cut in two anywhere, and byte by byte. */
function assertRequests(input: string, expected: string[][], state = trusted): void {
  const bytes = bytesOf(input);
  assert.deepEqual(parseAll(bytes, [], state).requests, expected, "whole");
  for (const cuts of twoWayCuts(bytes.length)) {
    assert.deepEqual(parseAll(bytes, cuts, state).requests, expected, `cut at ${cuts}`);
  }
  assert.deepEqual(parseAll(bytes, chunks(bytes.length, 1), state).requests, expected, "bytewise");
}

/** Asserts `input` ends in the framing error `error` (after `before` requests), however it is cut. */
function assertFails(input: string, error: Uint8Array, before: string[][] = [], state = trusted) {
  const bytes = bytesOf(input);
  for (const cuts of [[], ...twoWayCuts(bytes.length), chunks(bytes.length, 1)]) {
    const r = parseAll(bytes, cuts, state);
    assert.equal(r.failed, true, `${JSON.stringify(input)} cut at ${cuts}`);
    assert.equal(r.error, latin1(error), `${JSON.stringify(input)} cut at ${cuts}`);
    assert.deepEqual(r.requests, before);
  }
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
}

Deno.test("parse() frames RESP requests split at every byte", () => {
  const reqs = [
    ["GET", "key"],
    ["SET", "k", "a\r\nb\0$*\r\n"],
    ["MGET", "a", "b", "c", "d"],
    ["SET", "empty", ""],
    ["PING"],
  ];
  assertRequests(reqs.map((r) => resp(...r)).join(""), reqs);
});

Deno.test("parse() frames inline commands like Redis's sdssplitargs", () => {
  assertRequests("PING\r\n", [["PING"]]);
  assertRequests("PING\n", [["PING"]]);
  assertRequests("  set  k   v \r\n", [["set", "k", "v"]]);
  assertRequests('set k "a b"\r\n', [["set", "k", "a b"]]);
  assertRequests(`echo "a\\x41\\n\\t\\r\\b\\a\\q\\"\\\\"\r\n`, [["echo", 'aA\n\t\r\b\x07q"\\']]);
  assertRequests("echo 'it\\'s' 'a\\nb'\r\n", [["echo", "it's", "a\\nb"]]);
  assertRequests('echo ""\r\n', [["echo", ""]]);
  assertRequests('echo a"b c"\r\n', [["echo", "ab c"]]);
  assertRequests("echo\ta\rb\r\n", [["echo", "a", "b"]]);
  assertRequests('echo "\\x4"\r\n', [["echo", "x4"]]);
  assertRequests("GET / HTTP/1.1\r\n", [["GET", "/", "HTTP/1.1"]]);
  // An inline command's arguments end at a NUL, as in Redis (a C string).
  assertRequests("echo a\0b c\r\n", [["echo", "a"]]);
});

Deno.test("parse() returns empty requests for *0, negative counts and blank lines", () => {
  assertRequests("*0\r\n*-1\r\n*-10\r\n\r\n\n   \r\n*1\r\n$4\r\nPING\r\n", [
    [],
    [],
    [],
    [],
    [],
    [],
    ["PING"],
  ]);
  assertRequests("*-9223372036854775808\r\n", [[]]);
});

Deno.test("parse() skips the byte after a length line's CR and the two after a bulk, like Redis", () => {
  assertRequests("*1\rX$4\rXPINGXY*1\r\n$4\r\nPING\r\n", [["PING"], ["PING"]]);
});

Deno.test("parse() reports Redis's framing errors", () => {
  assertFails("*abc\r\n", FramingErrors.invalidMultibulk);
  assertFails("*3000000000\r\n", FramingErrors.invalidMultibulk);
  assertFails("*01\r\n", FramingErrors.invalidMultibulk);
  assertFails("*-0\r\n", FramingErrors.invalidMultibulk);
  assertFails("*\r\n", FramingErrors.invalidMultibulk);
  assertFails("*+1\r\n", FramingErrors.invalidMultibulk);
  assertFails("*-9223372036854775809\r\n", FramingErrors.invalidMultibulk);
  assertFails("*-12345678901234567890\r\n", FramingErrors.invalidMultibulk);
  assertFails("*1\r\n$-10\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\n$-1\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\n$2000000000\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\n$536870913\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\n$abc\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\n$\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\n$04\r\n", FramingErrors.invalidBulk);
  assertFails("*1\r\nfoo\r\n", expectedDollar(102));
  assertFails("*1\r\n\r\nx", bytesOf("-ERR Protocol error: expected '$', got ' '\r\n"));
  assertFails('set a "b\r\n', FramingErrors.unbalancedQuotes);
  assertFails("set a 'b\r\n", FramingErrors.unbalancedQuotes);
  assertFails('set a "b"c\r\n', FramingErrors.unbalancedQuotes);
  assertFails('set a "b\\\r\n', FramingErrors.unbalancedQuotes);
  // Earlier requests in the same bytes are still delivered.
  assertFails("PING\r\n*1\r\n$x\r\n", FramingErrors.invalidBulk, [["PING"]]);
});

Deno.test("parse() frames arguments after the first in one pass, the same cut anywhere", () => {
  // Lengths of 0 to 4 digits, bytes Redis skips that are not CR LF, a
  // value holding CR LF and `$`, then the next request right after.
  const args = ["MGET", "", "k", "x".repeat(9), "y".repeat(10), "z".repeat(1000), "a\r\n$1\r\nb"];
  assertRequests(resp(...args) + resp("GET", "a"), [args, ["GET", "a"]]);
  assertRequests("*3\r\n$3\r\nGET\r\n$1\rXaYZ$2\r\nbbQW*1\r\n$4\r\nPING\r\n", [
    ["GET", "a", "bb"],
    ["PING"],
  ]);
  assertRequests(resp(...Array(300).fill("key:000000000001")), [
    Array(300).fill("key:000000000001"),
  ]);
  // Errors in a later argument: each the state machine's exact reply.
  const head = "*4\r\n$4\r\nMGET\r\n$1\r\na\r\n";
  assertFails(head + "$01\r\nb\r\n", FramingErrors.invalidBulk);
  assertFails(head + "$-1\r\n", FramingErrors.invalidBulk);
  assertFails(head + "$\r\n", FramingErrors.invalidBulk);
  assertFails(head + "$536870913\r\n", FramingErrors.invalidBulk);
  assertFails(head + "$1234567890\r\n", FramingErrors.invalidBulk);
  assertFails(head + "$1x\r\n", FramingErrors.invalidBulk);
  assertFails(head + "x1\r\n", expectedDollar(120));
  assertFails(head + "$16385\r\n", FramingErrors.unauthBulk, [], untrusted);
  // Over the cap before AUTH even when the whole bulk is there.
  const whole = bytesOf(head + "$16385\r\n" + "z".repeat(16385) + "\r\n");
  for (const cuts of [[], [head.length], [head.length + 3], chunks(whole.length, 4096)]) {
    const r = parseAll(whole, cuts, untrusted);
    assert.equal(r.error, latin1(FramingErrors.unauthBulk), `cut at ${cuts}`);
  }
  // The largest bulk allowed still frames (its length line, then waits for the data).
  const p = new RedisRequestParser(trusted);
  const big = bytesOf(head + "$536870912\r\nabc");
  assert.equal(p.parse(big, 0, big.length), NEED_MORE);
  assert.equal(p.needed, big.length - 3 + 536870912 + 2);
});

Deno.test("parse() closes on an inline line over 64 KiB, accepts one of exactly 64 KiB", () => {
  // The bytes before the LF (a CR included) may be 64 KiB at most.
  for (const input of ["a".repeat(65536) + "\n", "a".repeat(65535) + "\r\n"]) {
    const ok = bytesOf(input);
    const r = parseAll(ok, chunks(ok.length, 4096));
    assert.equal(r.failed, false);
    assert.ok(r.requests[0]![0]!.length >= 65535);
  }
  for (const input of ["a".repeat(65537), "a".repeat(65536) + "\r\n", "a".repeat(70000) + "\n"]) {
    const b = bytesOf(input);
    for (const cuts of [[], chunks(b.length, 4096), chunks(b.length, 16384)]) {
      const res = parseAll(b, cuts);
      assert.equal(res.failed, true);
      assert.equal(res.error, latin1(FramingErrors.tooBigInline));
    }
  }
});

Deno.test("parse() closes silently on POST and Host: commands, like Redis", () => {
  for (const input of ["POST / HTTP/1.1\r\n", "Host: example.com\r\n", resp("host:", "x")]) {
    const r = parseAll(bytesOf(input));
    assert.equal(r.failed, true);
    assert.equal(r.error, "");
  }
  assertFails("GET / HTTP/1.1\r\nHost: x\r\n", FramingErrors.http, [["GET", "/", "HTTP/1.1"]]);
});

Deno.test("parse() caps counts and bulks before AUTH like Redis", () => {
  assertFails("*11\r\n", FramingErrors.unauthMultibulk, [], untrusted);
  assertFails("*2\r\n$4\r\nECHO\r\n$16385\r\n", FramingErrors.unauthBulk, [], untrusted);
  assertRequests(resp(...Array(10).fill("PING")), [Array(10).fill("PING")], untrusted);
  const big = "z".repeat(16384);
  assert.deepEqual(parseAll(bytesOf(resp("ECHO", big)), [], untrusted).requests, [["ECHO", big]]);
  // A count over the cap is still "invalid" when it is invalid for anyone.
  assertFails("*3000000000\r\n", FramingErrors.invalidMultibulk, [], untrusted);
  // Once trusted (AUTH done), the same state object lifts the caps.
  const b = bytesOf("*11\r\n");
  assert.equal(
    new RedisRequestParser({ trusted: false, connSet: 0 }).parse(b, 0, b.length),
    FRAMING_ERROR,
  );
  const state = { trusted: false, connSet: 0 };
  const p = new RedisRequestParser(state);
  const ping = bytesOf("*1\r\n$4\r\nPING\r\n");
  assert.equal(p.parse(ping, 0, ping.length), ping.length);
  state.trusted = true;
  assert.equal(p.parse(b, 0, b.length), NEED_MORE);
});

Deno.test("parse() reports needed for a big bulk", () => {
  const p = new RedisRequestParser(trusted);
  const head = bytesOf("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\nabc");
  assert.equal(p.parse(head, 0, head.length), NEED_MORE);
  assert.equal(p.needed, head.length - 3 + 1000000 + 2);
});

Deno.test("parse() is linear for a 10,000-key MGET arriving in many reads", () => {
  const time = (n: number): number => {
    const keys = Array.from({ length: n }, (_, i) => `key:${i}`);
    const input = bytesOf(resp("MGET", ...keys));
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      const r = parseAll(input, chunks(input.length, 11), trusted, 0);
      best = Math.min(best, performance.now() - t0);
      assert.equal(r.requests[0]!.length, n + 1);
      assert.equal(r.requests[0]![n], `key:${n - 1}`);
    }
    return best;
  };
  time(2000);
  const small = time(10000);
  const big = time(40000);
  assert.ok(big < small * 9 + 20, `10k: ${small.toFixed(1)} ms, 40k: ${big.toFixed(1)} ms`);
});

Deno.test("parse() keeps arguments of one request apart from the next", () => {
  // The regression inputs of twemproxy's history, as requests.
  assertRequests("get \r\nmset a\r\nmset a a a\r\nMGET {a}1 {b}1\r\n", [
    ["get"],
    ["mset", "a"],
    ["mset", "a", "a", "a"],
    ["MGET", "{a}1", "{b}1"],
  ]);
});

Deno.test("parse() frames requests whose size is near a multiple of the read size", () => {
  for (const read of [4096, 16384]) {
    for (let total = read - 6; total <= read + 6; total++) {
      // *3 $3 SET $1 k $n <value>: 4 + 9 + 7 + (1 + digits + 2) + n + 2 bytes.
      const fixed = 4 + 9 + 7 + 2;
      let n = total - fixed - 3 - String(total).length;
      while (resp("SET", "k", "v".repeat(n)).length < total) n++;
      while (resp("SET", "k", "v".repeat(n)).length > total) n--;
      const one = resp("SET", "k", "v".repeat(n));
      const input = bytesOf(one + one + "PING\r\n");
      const r = parseAll(input, chunks(input.length, read));
      assert.equal(r.requests.length, 3, `total ${one.length}, reads of ${read}`);
      assert.equal(r.requests[1]![2]!.length, n);
    }
  }
});

Deno.test("parse(): a request waiting for more bytes keeps its arguments while other clients' parsers run", () => {
  const args = (p: RedisRequestParser, buf: Uint8Array, start: number) =>
    Array.from(
      { length: p.argc },
      (_, i) => latin1(buf.subarray(start + p.argStart(i), start + p.argEnd(i))),
    );
  const a = new RedisRequestParser(trusted);
  const b = new RedisRequestParser(trusted);
  const first = bytesOf("*3\r\n$3\r\nSET\r\n$5\r\nkey:a\r\n$5\r\nval");
  const whole = bytesOf("*3\r\n$3\r\nSET\r\n$5\r\nkey:a\r\n$5\r\nvalue\r\n");
  assert.equal(a.parse(first, 0, first.length), NEED_MORE);
  // Another client's requests, some with many arguments, parsed meanwhile.
  const many = ["MGET", ...Array.from({ length: 100 }, (_, i) => `other:${i}`)];
  const other = bytesOf(
    `*${many.length}\r\n${many.map((s) => `$${s.length}\r\n${s}\r\n`).join("")}`,
  );
  assert.equal(b.parse(other, 0, other.length), other.length);
  assert.deepEqual(args(b, other, 0), many);
  const short = bytesOf("*2\r\n$3\r\nGET\r\n$2\r\nzz\r\n");
  assert.equal(b.parse(short, 0, short.length), short.length);
  assert.equal(a.parse(whole, 0, whole.length), whole.length);
  assert.deepEqual(args(a, whole, 0), ["SET", "key:a", "value"]);
});
