/**
 * Test support for both protocols' parser and handle() tests: feeding a
 * parser the way a connection does (a growing buffer whose bytes may move
 * between reads, junk after the valid end, `needed` honoured or not), in
 * every way a stream can be cut, and replaying client bytes through a
 * protocol into a {@link RecordingSink}.
 *
 * @module
 */
import type {
  ClientState,
  Protocol,
  RequestParser,
  ResponseParser,
} from "../../lib/proto/types.ts";
import { FRAMING_ERROR, NEED_MORE } from "../../lib/proto/types.ts";
import { bytesOf, latin1 } from "./bytes.ts";
import { RecordingSink } from "./sink.ts";

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

/** What the simulated connection calls: a RequestParser or a ResponseParser. */
export interface Framer {
  parse(buf: Uint8Array, start: number, end: number): number;
  readonly needed: number;
}

/** How to feed the input. */
export interface FeedOptions {
  /** Move the unparsed bytes to a new buffer at another offset after every read. */
  readonly move?: boolean;
  /** Do not call parse() again before `needed` bytes are there (as the core does). */
  readonly honourNeeded?: boolean;
}

/** What happened, in order: one entry per message, then how the input ended. */
export type FeedEvent<T> =
  | { readonly type: "message"; readonly value: T }
  | { readonly type: "framing" }
  | { readonly type: "incomplete"; readonly bytes: number };

/**
 * Feeds `input` in reads ending at each of `cuts` (ascending, the last one
 * `input.length`), parsing every whole message as soon as it is there, and
 * reports each message (`describe` is called right after its parse) and how
 * the input ended. Unlike {@link feed}, parse() may be called before
 * `needed` bytes are there (unless `honourNeeded`).
 */
export function feedEvents<T>(
  parser: Framer,
  input: Uint8Array,
  cuts: readonly number[],
  describe: (buf: Uint8Array, start: number, end: number) => T,
  options: FeedOptions = {},
): FeedEvent<T>[] {
  const events: FeedEvent<T>[] = [];
  let buf = new Uint8Array(64);
  let start = 5;
  let end = 5;
  let read = 0;
  let want = 0;
  let moves = 0;
  for (const cut of cuts) {
    const n = cut - read;
    if (n <= 0) continue;
    if (end + n > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, end - start + n + 16));
      grown.set(buf.subarray(start, end), 3);
      end = 3 + end - start;
      start = 3;
      buf = grown;
    }
    buf.set(input.subarray(read, cut), end);
    end += n;
    read = cut;
    while (start < end) {
      if (options.honourNeeded && end - start < want) break;
      const r = parser.parse(buf, start, end);
      if (r === NEED_MORE) {
        want = parser.needed;
        if (want !== 0 && want <= end - start) {
          throw new Error(`needed ${want} but ${end - start} bytes are there`);
        }
        break;
      }
      want = 0;
      if (r === FRAMING_ERROR) {
        events.push({ type: "framing" });
        return events;
      }
      if (r <= start || r > end) throw new Error(`parse() returned ${r} for [${start}, ${end})`);
      events.push({ type: "message", value: describe(buf, start, r) });
      start = r;
    }
    if (options.move) {
      // As if the bytes had been compacted into another buffer.
      const offset = 1 + (moves++ % 7);
      const moved = new Uint8Array(Math.max(64, end - start + offset + 32));
      moved.set(buf.subarray(start, end), offset);
      buf.fill(0xee);
      buf = moved;
      end = offset + end - start;
      start = offset;
    }
  }
  if (start < end) events.push({ type: "incomplete", bytes: end - start });
  return events;
}

/** `[input.length]`: the whole input in one read. */
export function whole(input: Uint8Array): number[] {
  return [input.length];
}

/** Two reads, split at `at`. */
export function splitAt(input: Uint8Array, at: number): number[] {
  return [at, input.length];
}

/** One read per byte. */
export function byteByByte(input: Uint8Array): number[] {
  return Array.from({ length: input.length }, (_, i) => i + 1);
}

/**
 * Runs `run` on the whole input, on every two-read split, and byte by byte
 * (with and without moving the bytes, with and without honouring `needed`),
 * and returns each result with a label.
 */
export function everySplit<T>(
  input: Uint8Array,
  run: (cuts: number[], options: FeedOptions) => T,
): { label: string; result: T }[] {
  const out: { label: string; result: T }[] = [];
  out.push({ label: "whole", result: run(whole(input), {}) });
  for (let at = 1; at < input.length; at++) {
    out.push({ label: `split at ${at}`, result: run(splitAt(input, at), { move: at % 2 === 0 }) });
  }
  for (const move of [false, true]) {
    for (const honourNeeded of [false, true]) {
      out.push({
        label: `byte by byte (move ${move}, needed ${honourNeeded})`,
        result: run(byteByByte(input), { move, honourNeeded }),
      });
    }
  }
  return out;
}
