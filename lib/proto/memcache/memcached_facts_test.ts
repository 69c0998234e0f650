/**
 * Checks the proxy against memcached 1.6.18's recorded replies
 * (testdata/memcached_1.6.18.json, made by tools/capture_memcached.ts).
 *
 * Each fact the proxy answers itself must get memcached's bytes; forwarded
 * ones are replayed end to end (tests/memcache_meta_test.ts). Deliberate
 * differences are listed with their reason.
 */
import assert from "node:assert/strict";
import { FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import { type FactsFile } from "../../../tests/_support/memcached_facts.ts";
import { RecordingSink, type TextCall, textOf } from "../../../tests/_support/sink.ts";
import { MemcacheProtocol } from "./mod.ts";

const facts: FactsFile = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/memcached_1.6.18.json", import.meta.url)),
);

/** Where the proxy deliberately differs from memcached: its reply, whether it closes, and why. */
interface Difference {
  readonly reply: string;
  readonly closed: boolean;
  readonly why: string;
}

const LONG_LINE = "the proxy says why before closing on a line over 2048 bytes";
const DIFFERENT: Readonly<Record<string, Difference>> = {
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
  "a binary protocol noop": {
    reply: "\x81\x0a\x00\x00\x00\x00\x00\x83\x00\x00\x00\x3e\x00\x00\x00\x07" +
      "\x00\x00\x00\x00\x00\x00\x00\x00" +
      "Not supported: nutmeg serves the memcached ASCII protocol only",
    closed: true,
    why: "the binary protocol is not served: a binary error response, then close",
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
  assert.ok(facts.facts.length > 250);
  const names = new Set(facts.facts.map((f) => f.name));
  for (const name of Object.keys(DIFFERENT)) assert.ok(names.has(name), `no fact named ${name}`);
});

/**
 * Facts the proxy answers itself are compared here, byte for byte; facts
 * with a request forwarded to a server are compared end to end, through
 * real servers, in tests/memcache_meta_test.ts. Here they must at least
 * not close a connection memcached keeps.
 */
Deno.test("handle() answers bad input exactly as memcached 1.6.18 does", () => {
  let compared = 0;
  for (const fact of facts.facts) {
    const { calls, framing } = process(bytesOf(fact.input));
    const name = `${fact.name}: ${JSON.stringify(fact.input.slice(0, 60))}`;
    const closed = framing !== null || calls.some((c) => c.type === "close");
    const difference = DIFFERENT[fact.name];
    if (calls.some((c) => c.type !== "local" && c.type !== "close")) {
      assert.equal(difference, undefined, name);
      assert.equal(closed, fact.closed, name);
      continue;
    }
    const reply = calls.map((c) => c.type === "local" ? c.reply : "").join("") + (framing ?? "");
    if (difference === undefined) {
      assert.equal(reply, fact.reply, name);
      assert.equal(closed, fact.closed, name);
      compared++;
    } else {
      assert.notEqual(
        reply + closed,
        fact.reply + fact.closed,
        `${name} is no longer a difference`,
      );
      assert.equal(reply, difference.reply, `${name} (${difference.why})`);
      assert.equal(closed, difference.closed, `${name} (${difference.why})`);
    }
  }
  assert.ok(compared > 80, `only ${compared} facts answered locally`);
});
