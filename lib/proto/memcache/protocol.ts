/**
 * The memcached ASCII protocol as the proxy core sees it: what to do with
 * each request (answer it, forward it by key, split it, send it to every
 * server), and the replies the proxy makes itself.
 *
 * @module
 */
import {
  type ClientState,
  ForwardFlags,
  type Protocol,
  type RequestParser,
  type RequestSink,
  type ResponseParser,
} from "../types.ts";
import { Kind } from "./commands.ts";
import { RetrievalRouter } from "./fan_out.ts";
import { mergeAllOk, mergeAllOkQuiet } from "./merge.ts";
import { serverError, statsReply, versionReply } from "./replies.ts";
import { MemcacheRequestParser } from "./request_parser.ts";
import { MemcacheResponseParser } from "./response_parser.ts";
import { NO_SERVER as NO_SERVER_REASON } from "../reasons.ts";

/** Options of {@link MemcacheProtocol}. */
export interface MemcacheProtocolOptions {
  /** The version the proxy reports to `version` (`VERSION <version>`). */
  readonly version: string;
  /** The proxy's counters, listed by `stats` as `STAT <name> <value>` lines. */
  readonly stats: () => Iterable<readonly [string, string | number]>;
}

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
/** Requests rebuilt without `noreply` up to this size reuse one buffer. */
const SCRATCH_MAX = 64 * 1024;
/** memcached has no per-client state (no AUTH in the ASCII protocol). */
const STATE: ClientState = Object.freeze({ trusted: true, connSet: 0 });
const NO_HANDSHAKE: readonly Uint8Array[] = Object.freeze([]);
/** When no server is live, as the core says it. */
const NO_SERVER = serverError(NO_SERVER_REASON);

/**
 * The memcached ASCII protocol. One instance per pool.
 *
 * @example
 * ```ts
 * import { MemcacheProtocol } from "./protocol.ts";
 * const proto = new MemcacheProtocol({ version: "0.1.0", stats: () => [] });
 * console.assert(proto.name === "memcache");
 * console.assert(new TextDecoder().decode(proto.errorReply("Connection refused")) ===
 *   "SERVER_ERROR Connection refused\r\n");
 * ```
 */
export class MemcacheProtocol implements Protocol {
  /** The protocol's name. */
  readonly name = "memcache" as const;
  readonly #version: Uint8Array;
  readonly #stats: () => Iterable<readonly [string, string | number]>;
  readonly #router = new RetrievalRouter();
  #scratch = new Uint8Array(1024);

  constructor(options: MemcacheProtocolOptions) {
    this.#version = versionReply(options.version);
    this.#stats = options.stats;
  }

  /** A parser for one client connection. */
  newRequestParser(_state: ClientState): RequestParser {
    return new MemcacheRequestParser();
  }

  /** A parser for one server connection. */
  newResponseParser(): ResponseParser {
    return new MemcacheResponseParser();
  }

  /** Client state: memcached clients have none. */
  newClientState(): ClientState {
    return STATE;
  }

  /** `SERVER_ERROR <reason>\r\n`. */
  errorReply(reason: string): Uint8Array {
    return serverError(reason);
  }

  /** One set of server connections: memcached clients all speak the same. */
  readonly connSets = 1;

  /** memcached servers need no handshake. */
  handshake(_set: number): readonly Uint8Array[] {
    return NO_HANDSHAKE;
  }

  /** There is no handshake to judge. */
  handshakeFailure(): string | null {
    return null;
  }

  /** Answers, forwards, splits or broadcasts the request `buf[start, end)` just parsed. */
  handle(
    parser: RequestParser,
    _state: ClientState,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    if (!(parser instanceof MemcacheRequestParser)) {
      throw new TypeError("Cannot handle request: the parser is not a memcache parser");
    }
    const reply = parser.reply;
    if (reply !== null) {
      sink.local(reply);
      return;
    }
    const command = parser.command;
    if (command === null) throw new TypeError("Cannot handle request: nothing was parsed");
    switch (command.kind) {
      case Kind.Retrieval:
      case Kind.RetrievalTouch:
        this.#router.route(parser, buf, start, end, sink);
        return;
      case Kind.Storage:
      case Kind.Cas:
      case Kind.Delete:
      case Kind.Arithmetic:
      case Kind.Touch:
        this.#forward(parser, buf, start, end, sink);
        return;
      case Kind.Verbosity:
      case Kind.FlushAll:
        this.#broadcast(parser, buf, start, sink);
        return;
      case Kind.Version:
        sink.local(this.#version);
        return;
      case Kind.Stats:
        sink.local(statsReply(this.#stats()));
        return;
      case Kind.Quit:
        sink.closeAfterReplies();
        return;
    }
  }

  /** A buffer of at least `size` bytes for a request about to be forwarded (and copied). */
  #buffer(size: number): Uint8Array {
    if (size > SCRATCH_MAX) return new Uint8Array(size);
    if (this.#scratch.length < size) {
      this.#scratch = new Uint8Array(
        Math.min(SCRATCH_MAX, Math.max(size, this.#scratch.length * 2)),
      );
    }
    return this.#scratch;
  }

  /**
   * Forwards a single-key request to its server. With `noreply`, the request
   * goes without it (so the server answers and the connection stays in
   * step) and Quiet (so the core drops a success reply).
   */
  #forward(
    parser: MemcacheRequestParser,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    const t = parser.tokens;
    const keyStart = t[2]!;
    const keyEnd = t[3]!;
    if (!parser.noreply) {
      sink.forward(buf, start, end, start + keyStart, start + keyEnd);
      return;
    }
    // The line up to the token before `noreply`, CRLF, then any data block.
    const lineEnd = t[2 * (parser.tokenCount - 2) + 1]!;
    const dataStart = start + parser.dataStart;
    const size = lineEnd + 2 + (end - dataStart);
    const out = this.#buffer(size);
    out.set(buf.subarray(start, start + lineEnd), 0);
    out[lineEnd] = CR;
    out[lineEnd + 1] = LF;
    if (end > dataStart) out.set(buf.subarray(dataStart, end), lineEnd + 2);
    sink.forward(out, 0, size, keyStart, keyEnd, ForwardFlags.Quiet);
  }

  /**
   * Sends `flush_all [delay]` / `verbosity <level>` to every server, rebuilt
   * from the command and its argument only (no `noreply`, nothing memcached
   * would ignore).
   */
  #broadcast(
    parser: MemcacheRequestParser,
    buf: Uint8Array,
    start: number,
    sink: RequestSink,
  ): void {
    if (sink.serverCount === 0) {
      sink.local(NO_SERVER);
      return;
    }
    const name = parser.command!.bytes;
    const t = parser.tokens;
    const arg = parser.argToken;
    const argStart = arg < 0 ? 0 : start + t[2 * arg]!;
    const argLength = arg < 0 ? 0 : t[2 * arg + 1]! - t[2 * arg]!;
    const out = new Uint8Array(name.length + (arg < 0 ? 0 : 1 + argLength) + 2);
    out.set(name, 0);
    let p = name.length;
    if (arg >= 0) {
      out[p++] = SP;
      out.set(buf.subarray(argStart, argStart + argLength), p);
      p += argLength;
    }
    out[p] = CR;
    out[p + 1] = LF;
    sink.broadcast(out, parser.noreply ? mergeAllOkQuiet : mergeAllOk);
  }
}
