/**
 * Test helpers: a simulated connection that feeds a parser the way the core
 * does (a growing buffer, bytes moved between reads, `needed` honoured), and
 * a recording {@link RequestSink}.
 *
 * @module
 */
import {
  type Fragment,
  FRAMING_ERROR,
  type Merger,
  NEED_MORE,
  type ReplyFilter,
  type RequestSink,
} from "../types.ts";

/** Bytes of a string, one byte per character (latin1): binary-safe fixtures. */
export function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** A string with one character per byte. */
export function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
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
 * `input.length`), parsing every whole message as soon as it is there.
 * `describe` is called right after each successful parse.
 */
export function feed<T>(
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

/** A call the protocol made on the sink. */
export type SinkCall =
  | { readonly type: "local"; readonly reply: string }
  | {
    readonly type: "forward";
    readonly request: string;
    readonly key: string;
    readonly flags: number;
    /** The reply filter, when the request has one. */
    readonly filter?: ReplyFilter;
  }
  | {
    readonly type: "fanOut";
    readonly fragments: readonly { server: number; request: string }[];
    readonly merge: Merger;
  }
  | { readonly type: "broadcast"; readonly request: string; readonly merge: Merger }
  | { readonly type: "close" };

/**
 * A recording {@link RequestSink}: a test double of the core. Keys map to
 * servers with `route` (default: the sum of the key bytes modulo the
 * server count).
 */
export class RecordingSink implements RequestSink {
  readonly calls: SinkCall[] = [];
  readonly serverCount: number;
  readonly #route: (key: string) => number;

  constructor(serverCount = 1, route?: (key: string) => number) {
    this.serverCount = serverCount;
    this.#route = route ??
      ((key) => [...key].reduce((n, c) => n + c.charCodeAt(0), 0) % serverCount);
  }

  local(reply: Uint8Array): void {
    this.calls.push({ type: "local", reply: text(reply) });
  }

  forward(
    buf: Uint8Array,
    start: number,
    end: number,
    keyStart: number,
    keyEnd: number,
    flags = 0,
    filter?: ReplyFilter,
  ): void {
    this.calls.push({
      type: "forward",
      request: text(buf.subarray(start, end)),
      key: text(buf.subarray(keyStart, keyEnd)),
      flags,
      ...(filter === undefined ? {} : { filter }),
    });
  }

  serverOf(buf: Uint8Array, keyStart: number, keyEnd: number): number {
    return this.#route(text(buf.subarray(keyStart, keyEnd)));
  }

  fanOut(fragments: readonly Fragment[], merge: Merger): void {
    this.calls.push({
      type: "fanOut",
      fragments: fragments.map((f) => ({ server: f.server, request: text(f.bytes) })),
      merge,
    });
  }

  broadcast(bytes: Uint8Array, merge: Merger): void {
    this.calls.push({ type: "broadcast", request: text(bytes), merge });
  }

  closeAfterReplies(): void {
    this.calls.push({ type: "close" });
  }
}
