/**
 * Test helpers: feeding parsers the way a connection does (a growing
 * buffer whose bytes may move between reads, junk after the valid end),
 * and a recording {@link RequestSink} (a test double of the core).
 *
 * @module
 */
import type {
  ClientState,
  Fragment,
  Merger,
  Protocol,
  RequestParser,
  RequestSink,
  ResponseParser,
} from "../types.ts";
import { FRAMING_ERROR, NEED_MORE } from "../types.ts";
import { bytesOf, latin1 } from "./_decode.ts";
import type { Packed } from "./capture_replies.ts";
import { unpack } from "./capture_replies.ts";

export { bytesOf, latin1 };

/** What feeding a parser produced: each message's bytes, and a framing error if any. */
export interface FeedResult {
  readonly messages: Uint8Array[];
  /** True when the parser reported FRAMING_ERROR (then no more messages were looked for). */
  readonly failed: boolean;
  /** Bytes left over (an incomplete message). */
  readonly rest: number;
}

const JUNK = bytesOf("\r\n*1\r\n$3\r\n-ERR junk\r\n");

/**
 * Feeds `input` to `parser` in reads cut at `cuts` (ascending offsets),
 * like a connection: the bytes so far sit in a buffer, parse() is called
 * from the first unconsumed byte while messages complete, and not again
 * before `needed` bytes are there. Between reads the unconsumed bytes move
 * to another offset every `moveEvery` reads, and junk follows the valid
 * end, to catch a parser that keeps absolute offsets or reads past `end`.
 * `onMessage` sees each message where it lies (for handle()); returning
 * false stops the feeding (the connection is closing).
 */
export function feed(
  parser: RequestParser | ResponseParser,
  input: Uint8Array,
  cuts: readonly number[] = [],
  onMessage?: (buf: Uint8Array, start: number, end: number) => boolean | void,
  moveEvery = 1,
): FeedResult {
  const messages: Uint8Array[] = [];
  let buf = new Uint8Array(input.length + 64 + JUNK.length);
  let start = 0;
  let end = 0;
  let want = 0;
  let reads = 0;
  const bounds = [...cuts.filter((c) => c > 0 && c < input.length), input.length];
  let from = 0;
  for (const to of bounds) {
    // Move the unconsumed bytes (as a compaction or a regrowth would).
    if (moveEvery > 0 && reads % moveEvery === 0) {
      const shift = (reads % 7) + 1;
      const next = new Uint8Array(input.length + 64 + JUNK.length);
      next.set(buf.subarray(start, end), shift);
      end = shift + (end - start);
      start = shift;
      buf = next;
    }
    reads++;
    buf.set(input.subarray(from, to), end);
    end += to - from;
    from = to;
    buf.set(JUNK, end);
    if (end - start < want) continue;
    while (start < end) {
      const r = parser.parse(buf, start, end);
      if (r === NEED_MORE) {
        want = parser.needed;
        break;
      }
      if (r === FRAMING_ERROR) return { messages, failed: true, rest: end - start };
      if (r <= start || r > end) {
        throw new Error(`parse() returned ${r} outside (${start}, ${end}]`);
      }
      if (want > 0 && r - start < want) {
        throw new Error(`needed ${want} was more than the message length ${r - start}`);
      }
      want = 0;
      messages.push(buf.slice(start, r));
      const more = onMessage?.(buf, start, r);
      start = r;
      if (more === false) return { messages, failed: false, rest: end - start };
    }
  }
  return { messages, failed: false, rest: end - start };
}

/** Offsets to cut `input` into reads of `size` bytes. */
export function chunks(length: number, size: number): number[] {
  const out: number[] = [];
  for (let i = size; i < length; i += size) out.push(i);
  return out;
}

/**
 * Every way to cut `length` bytes into two reads (all offsets), or for long
 * inputs the first and last 200 offsets and every 61st between.
 */
export function twoWayCuts(length: number): number[][] {
  const out: number[][] = [];
  for (let k = 1; k < length; k++) {
    if (length <= 2048 || k <= 200 || k >= length - 200 || k % 61 === 0) out.push([k]);
  }
  return out;
}

/** A call the core received from handle(). */
export type SinkCall =
  | { readonly type: "local"; readonly reply: Uint8Array }
  | {
    readonly type: "forward";
    readonly bytes: Uint8Array;
    readonly key: Uint8Array;
    readonly server: number;
  }
  | { readonly type: "fanOut"; readonly fragments: readonly Fragment[]; readonly merge: Merger }
  | { readonly type: "broadcast"; readonly bytes: Uint8Array; readonly merge: Merger }
  | { readonly type: "close" };

/**
 * The test servers' key placement: the text inside `{}` if any (a hash
 * tag), else the whole key; its first byte picks the server: `a` 0, `b` 1,
 * `c` 2..., modulo the server count. A key starting with `!` means "no
 * server live" (-1).
 */
export function testServerOf(key: Uint8Array, servers: number): number {
  let k = key;
  const open = k.indexOf(123);
  if (open >= 0) {
    const close = k.indexOf(125, open + 1);
    if (close > open + 1) k = k.subarray(open + 1, close);
  }
  if (k.length === 0) return 0;
  if (k[0] === 33) return -1;
  return Math.abs(k[0]! - 97) % servers;
}

/** A {@link RequestSink} that records what handle() asked for. */
export class RecordingSink implements RequestSink {
  readonly calls: SinkCall[] = [];
  readonly serverCount: number;

  /**
   * Creates a sink for a pool of `servers` servers.
   *
   * @param servers the pool's server count
   */
  constructor(servers = 3) {
    this.serverCount = servers;
  }

  local(reply: Uint8Array): void {
    this.calls.push({ type: "local", reply: reply.slice() });
  }

  forward(buf: Uint8Array, start: number, end: number, keyStart: number, keyEnd: number): void {
    if (keyStart < start || keyEnd > end || keyStart > keyEnd) {
      throw new RangeError(`key [${keyStart}, ${keyEnd}) outside request [${start}, ${end})`);
    }
    const key = buf.slice(keyStart, keyEnd);
    this.calls.push({
      type: "forward",
      bytes: buf.slice(start, end),
      key,
      server: testServerOf(key, this.serverCount),
    });
  }

  serverOf(buf: Uint8Array, keyStart: number, keyEnd: number): number {
    return testServerOf(buf.subarray(keyStart, keyEnd), this.serverCount);
  }

  fanOut(fragments: readonly Fragment[], merge: Merger): void {
    this.calls.push({ type: "fanOut", fragments, merge });
  }

  broadcast(bytes: Uint8Array, merge: Merger): void {
    this.calls.push({ type: "broadcast", bytes: bytes.slice(), merge });
  }

  closeAfterReplies(): void {
    this.calls.push({ type: "close" });
  }

  /** The local replies, concatenated, as latin1 text. */
  get localText(): string {
    return this.calls.map((c) => (c.type === "local" ? latin1(c.reply) : "")).join("");
  }
}

/** What a client got from the proxy for some bytes: see {@link replay}. */
export interface Replayed {
  readonly sink: RecordingSink;
  /** The local replies, then the framing error reply if any, as latin1 text. */
  readonly text: string;
  /** Whether the proxy closes the client (QUIT, a framing error). */
  readonly closed: boolean;
}

/**
 * Feeds `input` through a protocol's request parser and handle(), as the
 * core would: stops at a framing error (its reply is sent, then close) or
 * after closeAfterReplies().
 */
export function replay(
  protocol: Protocol,
  state: ClientState,
  input: Uint8Array,
  cuts: readonly number[] = [],
  sink: RecordingSink = new RecordingSink(),
): Replayed {
  const parser = protocol.newRequestParser(state);
  let closing = false;
  const r = feed(parser, input, cuts, (buf, start, end) => {
    protocol.handle(parser, state, buf, start, end, sink);
    closing = sink.calls.some((c) => c.type === "close");
    return !closing;
  });
  let text = sink.localText;
  if (r.failed) text += latin1(parser.error ?? new Uint8Array(0));
  return { sink, text, closed: closing || r.failed };
}

/** The recorded redis-server fixture, unpacked. */
export interface Fixture {
  readonly version: string;
  readonly requests: readonly {
    name: string;
    server: "plain" | "auth";
    send: string;
    reply: string;
    closed: boolean;
  }[];
  readonly responses: readonly {
    name: string;
    resp: 2 | 3;
    command: readonly string[];
    reply: string;
  }[];
}

/** Loads `testdata/redis_7.0.15_replies.json`. */
export function loadFixture(): Fixture {
  const raw = JSON.parse(
    Deno.readTextFileSync(new URL("testdata/redis_7.0.15_replies.json", import.meta.url)),
  ) as {
    version: string;
    requests: {
      name: string;
      server: "plain" | "auth";
      send: Packed;
      reply: Packed;
      closed: boolean;
    }[];
    responses: { name: string; resp: 2 | 3; command: string[]; reply: Packed }[];
  };
  return {
    version: raw.version,
    requests: raw.requests.map((r) => ({ ...r, send: unpack(r.send), reply: unpack(r.reply) })),
    responses: raw.responses.map((r) => ({ ...r, reply: unpack(r.reply) })),
  };
}
