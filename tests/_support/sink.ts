/**
 * Test support: a recording {@link RequestSink}, the test double of the core
 * that both protocols' handle() tests drive. It keeps every call's bytes;
 * {@link textOf} turns a call into latin1 text for tests that compare whole
 * calls.
 *
 * @module
 */
import type {
  DedicatedLink,
  DeferredReply,
  Fragment,
  Merger,
  PushHandler,
  ReplyFilter,
  RequestSink,
} from "../../lib/proto/types.ts";
import { latin1 } from "./bytes.ts";

/** A call the core received from handle(), with copies of its bytes. */
export type SinkCall =
  | { readonly type: "local"; readonly reply: Uint8Array }
  | {
    readonly type: "forward";
    readonly bytes: Uint8Array;
    readonly key: Uint8Array;
    /** The server the sink's placement gives the key. */
    readonly server: number;
    readonly flags: number;
    /** The reply filter, when the request has one. */
    readonly filter?: ReplyFilter;
  }
  | { readonly type: "fanOut"; readonly fragments: readonly Fragment[]; readonly merge: Merger }
  | { readonly type: "broadcast"; readonly bytes: Uint8Array; readonly merge: Merger }
  | { readonly type: "close" }
  | {
    /** Something done on a dedicated connection (see {@link RecordingLink}). */
    readonly type: "link";
    readonly server: number;
    readonly op: "open" | "forward" | "block" | "send" | "write" | "release";
    readonly bytes: Uint8Array;
    /** For `block`: the command's own timeout in ms. */
    readonly blockMs: number;
  }
  | { readonly type: "defer" };

/** A {@link SinkCall} as latin1 text (see {@link textOf}). */
export type TextCall =
  | { readonly type: "local"; readonly reply: string }
  | {
    readonly type: "forward";
    readonly request: string;
    readonly key: string;
    readonly flags: number;
    readonly filter?: ReplyFilter;
  }
  | {
    readonly type: "fanOut";
    readonly fragments: readonly { server: number; request: string }[];
    readonly merge: Merger;
  }
  | { readonly type: "broadcast"; readonly request: string; readonly merge: Merger }
  | { readonly type: "close" }
  | {
    readonly type: "link";
    readonly server: number;
    readonly op: string;
    readonly request: string;
    readonly blockMs: number;
  }
  | { readonly type: "defer" };

/** `call` with its bytes as latin1 text (the forwarded server left out). */
export function textOf(call: SinkCall): TextCall {
  switch (call.type) {
    case "local":
      return { type: "local", reply: latin1(call.reply) };
    case "forward":
      return {
        type: "forward",
        request: latin1(call.bytes),
        key: latin1(call.key),
        flags: call.flags,
        ...(call.filter === undefined ? {} : { filter: call.filter }),
      };
    case "fanOut":
      return {
        type: "fanOut",
        fragments: call.fragments.map((f) => ({ server: f.server, request: latin1(f.bytes) })),
        merge: call.merge,
      };
    case "broadcast":
      return { type: "broadcast", request: latin1(call.bytes), merge: call.merge };
    case "close":
    case "defer":
      return call;
    case "link":
      return {
        type: "link",
        server: call.server,
        op: call.op,
        request: latin1(call.bytes),
        blockMs: call.blockMs,
      };
  }
}

/** A dedicated connection that records what is done on it into its sink's calls. */
export class RecordingLink implements DedicatedLink {
  readonly server: number;
  closed = false;
  /** The push handler it was opened with. */
  readonly pushes: PushHandler | null;
  /** The lost callback it was opened with. */
  readonly lost: (reason: string) => void;
  readonly #calls: SinkCall[];

  constructor(
    calls: SinkCall[],
    server: number,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
  ) {
    this.#calls = calls;
    this.server = server;
    this.pushes = pushes;
    this.lost = lost;
    this.#record("open", new Uint8Array(0));
  }

  #record(op: "open" | "forward" | "block" | "send" | "write" | "release", b: Uint8Array, ms = 0) {
    this.#calls.push({ type: "link", server: this.server, op, bytes: b.slice(), blockMs: ms });
  }

  forward(buf: Uint8Array, start: number, end: number): void {
    this.#record("forward", buf.subarray(start, end));
  }

  forwardBlocking(buf: Uint8Array, start: number, end: number, blockMs: number): void {
    this.#record("block", buf.subarray(start, end), blockMs);
  }

  send(buf: Uint8Array, start: number, end: number): void {
    this.#record("send", buf.subarray(start, end));
  }

  write(buf: Uint8Array, start: number, end: number): void {
    this.#record("write", buf.subarray(start, end));
  }

  release(): void {
    this.closed = true;
    this.#record("release", new Uint8Array(0));
  }
}

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
  readonly #route: (key: Uint8Array) => number;

  /**
   * Creates a sink for a pool of `servers` servers.
   *
   * @param servers the pool's server count
   * @param route a key's server (the key as latin1 text); default {@link testServerOf}
   */
  constructor(servers = 3, route?: (key: string) => number) {
    this.serverCount = servers;
    this.#route = route === undefined
      ? (key) => testServerOf(key, servers)
      : (key) => route(latin1(key));
  }

  local(reply: Uint8Array): void {
    this.calls.push({ type: "local", reply: reply.slice() });
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
    // The key may lie outside the request (a decoded base64 key after it).
    if (keyStart < 0 || keyEnd > buf.length || keyStart > keyEnd || start > end) {
      throw new RangeError(
        `key [${keyStart}, ${keyEnd}) or request [${start}, ${end}) out of range`,
      );
    }
    const key = buf.slice(keyStart, keyEnd);
    this.calls.push({
      type: "forward",
      bytes: buf.slice(start, end),
      key,
      server: this.#route(key),
      flags,
      ...(filter === undefined ? {} : { filter }),
    });
  }

  serverOf(buf: Uint8Array, keyStart: number, keyEnd: number): number {
    return this.#route(buf.subarray(keyStart, keyEnd));
  }

  fanOut(fragments: readonly Fragment[], merge: Merger): void {
    this.calls.push({
      type: "fanOut",
      // Copied now: the protocol may reuse the fragments and their buffer.
      fragments: fragments.map((f) => ({
        server: f.server,
        bytes: f.bytes.slice(f.start ?? 0, f.end ?? f.bytes.length),
      })),
      merge,
    });
  }

  broadcast(bytes: Uint8Array, merge: Merger): void {
    this.calls.push({ type: "broadcast", bytes: bytes.slice(), merge });
  }

  closeAfterReplies(): void {
    this.calls.push({ type: "close" });
  }

  /** The links opened, in order. */
  readonly links: RecordingLink[] = [];

  dedicate(
    server: number,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
  ): DedicatedLink | string {
    if (server < 0 || server >= this.serverCount) return "no server is live";
    const link = new RecordingLink(this.calls, server, pushes, lost);
    this.links.push(link);
    return link;
  }

  /** The deferred replies, in order; resolving one records it as a local reply. */
  readonly deferred: DeferredReply[] = [];

  defer(): DeferredReply {
    this.calls.push({ type: "defer" });
    const d = { resolve: (reply: Uint8Array) => this.local(reply) };
    this.deferred.push(d);
    return d;
  }

  push(reply: Uint8Array): void {
    this.local(reply);
  }

  /** The local replies, concatenated, as latin1 text. */
  get localText(): string {
    return this.calls.map((c) => (c.type === "local" ? latin1(c.reply) : "")).join("");
  }
}
