/**
 * Checks the proxy against memcached 1.6.18's recorded replies
 * (testdata/memcached_1.6.18.json, made by tools/capture_memcached.ts).
 *
 * Each fact is either answered by the proxy itself, byte for byte as
 * memcached does ("same"), or forwarded so that a memcached server gives
 * that very reply ("forwarded": the request as it came; "quiet": without
 * `noreply`, its success reply dropped; "broadcast": sent to every server,
 * merged). Deliberate differences are listed with their reason.
 */
import assert from "node:assert/strict";
import { ForwardFlags, FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import { type FactsFile } from "../../../tests/_support/memcached_facts.ts";
import { RecordingSink, type TextCall, textOf } from "../../../tests/_support/sink.ts";
import { MemcacheProtocol } from "./mod.ts";

const facts: FactsFile = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/memcached_1.6.18.json", import.meta.url)),
);

type Expect =
  | "same"
  | "forwarded"
  | "quiet"
  | "broadcast"
  | { readonly reply: string; readonly closed: boolean; readonly why: string };

const SWALLOW = "the proxy swallows the data block of a refused storage line " +
  "(memcached reads it as a command)";
const BAD_LENGTH = "without a usable length the data block cannot be framed: reply, then close";
const LONG_LINE = "the proxy says why before closing on a line over 2048 bytes";
const META = "meta commands are not supported by the proxy: ERROR";
const BAD = "CLIENT_ERROR bad command line format\r\n";

const EXPECT: Readonly<Record<string, Expect>> = {
  "set stores": "forwarded",
  "set with LF-only line": "forwarded",
  "get with LF-only line": "forwarded",
  "get of a 250-byte key": "forwarded",
  "set of a 250-byte key": "forwarded",
  "set with extra spaces": "forwarded",
  "set with a sixth token that is not noreply": "forwarded",
  "set with noreply": "quiet",
  "set of 0 bytes": "forwarded",
  "get repeats a key asked twice": "forwarded",
  "get with a miss between hits": "forwarded",
  "gets repeats a key asked twice": "forwarded",
  "gat of a key": "forwarded",
  "gat with a negative exptime": "forwarded",
  "get with a key named HTTP/1.1": "forwarded",
  "set with flags over 32 bits": "forwarded",
  "set with flags +1": "forwarded",
  "set with flags -0": "forwarded",
  "set with negative exptime": "forwarded",
  "set with length +1": "forwarded",
  "set with length 01": "forwarded",
  "cas of a missing key": "forwarded",
  "cas with a seventh token": "forwarded",
  "delete of a key": "forwarded",
  "delete with legacy 0": "forwarded",
  "delete with noreply": "quiet",
  "delete with 0 and noreply": "quiet",
  "delete of a key named noreply": "forwarded",
  "incr of a missing key": "forwarded",
  "incr with a third token": "forwarded",
  "touch of a missing key": "forwarded",
  "touch with noreply": "quiet",
  "touch with negative exptime": "forwarded",
  "get line over 2048 bytes": "forwarded",
  "get of a key with a control character": "forwarded",
  "set of a key with a control character": "forwarded",
  "get of a key with CR inside": "forwarded",
  "verbosity 1": "broadcast",
  "verbosity with noreply": "broadcast",
  "verbosity with a second token": "broadcast",
  "flush_all": "broadcast",
  "flush_all 0": "broadcast",
  "flush_all noreply": "broadcast",
  "flush_all 0 noreply": "broadcast",
  "flush_all 0 0": "broadcast",
  "flush_all -1": "broadcast",
  "flush_all +5": "broadcast",
  // deliberate differences
  "meta no-op mn": { reply: "ERROR\r\n", closed: false, why: META },
  "meta get mg": { reply: "ERROR\r\n", closed: false, why: META },
  "meta debug me": { reply: "ERROR\r\n", closed: false, why: META },
  "meta command ending in HTTP/": { reply: "ERROR\r\n", closed: false, why: META },
  "set of a 251-byte key": { reply: BAD, closed: false, why: SWALLOW },
  "set of a 251-byte key with noreply": { reply: "", closed: false, why: SWALLOW },
  "set with bad flags": { reply: BAD, closed: false, why: SWALLOW },
  "set with negative flags": { reply: BAD, closed: false, why: SWALLOW },
  "set with flags over 64 bits": { reply: BAD, closed: false, why: SWALLOW },
  "set with bad exptime": { reply: BAD, closed: false, why: SWALLOW },
  "set with exptime over 64 bits": { reply: BAD, closed: false, why: SWALLOW },
  "set with bad flags and noreply": { reply: "", closed: false, why: SWALLOW },
  "cas with bad cas unique": { reply: BAD, closed: false, why: SWALLOW },
  "cas with negative cas unique": { reply: BAD, closed: false, why: SWALLOW },
  "cas with noreply as cas unique": { reply: "", closed: false, why: SWALLOW },
  "set with negative length": { reply: BAD, closed: true, why: BAD_LENGTH },
  "set with negative length and noreply": { reply: BAD, closed: true, why: BAD_LENGTH },
  "set with non-numeric length": { reply: BAD, closed: true, why: BAD_LENGTH },
  "set with noreply as length": { reply: BAD, closed: true, why: BAD_LENGTH },
  "set with length INT_MAX - 1": { reply: BAD, closed: true, why: BAD_LENGTH },
  "set with length INT_MAX": { reply: BAD, closed: true, why: BAD_LENGTH },
  "set with a length memcached truncates": {
    reply: BAD,
    closed: true,
    why: "memcached reads 4294967297 as 1 (32-bit truncation): the proxy cannot frame it",
  },
  "set with a NUL after the length": {
    reply: BAD,
    closed: true,
    why: "memcached ends the line at NUL; the proxy reads the length token `1\\0x` as bad",
  },
  "set line over 2048 bytes without LF": {
    reply: "CLIENT_ERROR line too long\r\n",
    closed: true,
    why: LONG_LINE,
  },
  "gat line over 2048 bytes without LF": {
    reply: "CLIENT_ERROR line too long\r\n",
    closed: true,
    why: LONG_LINE,
  },
  "spaces over 2048 bytes without LF": {
    reply: "CLIENT_ERROR line too long\r\n",
    closed: true,
    why: LONG_LINE,
  },
};

interface Outcome {
  calls: TextCall[];
  framing: string | null;
}

function process(input: Uint8Array): Outcome {
  // The proxy reports memcached's version so that `version` replies compare.
  const proto = new MemcacheProtocol({ version: "1.6.18", stats: () => [] });
  const parser = proto.newRequestParser(proto.newClientState());
  const sink = new RecordingSink(1);
  let start = 0;
  while (start < input.length) {
    const end = parser.parse(input, start, input.length);
    if (end === NEED_MORE) break;
    if (end === FRAMING_ERROR) {
      return { calls: sink.calls.map(textOf), framing: latin1(parser.error!) };
    }
    proto.handle(parser, proto.newClientState(), input, start, end, sink);
    start = end;
    if (sink.calls.some((c) => c.type === "close")) break;
  }
  return { calls: sink.calls.map(textOf), framing: null };
}

Deno.test("the facts were recorded from memcached 1.6.18", () => {
  assert.equal(facts.server, "memcached 1.6.18");
  assert.ok(facts.facts.length > 100);
  const names = new Set(facts.facts.map((f) => f.name));
  for (const name of Object.keys(EXPECT)) assert.ok(names.has(name), `no fact named ${name}`);
});

Deno.test("handle() answers bad input exactly as memcached 1.6.18 does", () => {
  for (const fact of facts.facts) {
    const expect: Expect = EXPECT[fact.name] ?? "same";
    const { calls, framing } = process(bytesOf(fact.input));
    const name = `${fact.name}: ${JSON.stringify(fact.input.slice(0, 60))}`;
    switch (expect) {
      case "forwarded": {
        assert.equal(calls.length, 1, name);
        const call = calls[0]!;
        assert.ok(call.type === "forward", name);
        assert.equal(call.request, fact.input, name);
        assert.equal(call.flags, ForwardFlags.None, name);
        assert.equal(fact.closed, false, name);
        break;
      }
      case "quiet": {
        assert.equal(calls.length, 1, name);
        const call = calls[0]!;
        assert.ok(call.type === "forward", name);
        assert.equal(call.flags, ForwardFlags.Quiet, name);
        assert.ok(!call.request.includes("noreply"), name);
        assert.equal(fact.reply, "", name); // memcached said nothing: the success is dropped
        break;
      }
      case "broadcast": {
        assert.equal(calls.length, 1, name);
        const call = calls[0]!;
        assert.ok(call.type === "broadcast", name);
        assert.ok(!call.request.includes("noreply"), name);
        assert.equal(latin1(call.merge([bytesOf("OK\r\n")])), fact.reply, name);
        break;
      }
      default: {
        const locals = calls.map((c) => {
          assert.ok(c.type === "local" || c.type === "close", `${name}: ${c.type}`);
          return c.type === "local" ? c.reply : "";
        });
        const reply = locals.join("") + (framing ?? "");
        const closed = framing !== null || calls.some((c) => c.type === "close");
        if (expect === "same") {
          assert.equal(reply, fact.reply, name);
          assert.equal(closed, fact.closed, name);
        } else {
          assert.notEqual(
            reply + closed,
            fact.reply + fact.closed,
            `${name} is no longer a difference`,
          );
          assert.equal(reply, expect.reply, `${name} (${expect.why})`);
          assert.equal(closed, expect.closed, `${name} (${expect.why})`);
        }
      }
    }
  }
});
