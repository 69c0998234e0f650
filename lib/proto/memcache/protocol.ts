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
  type ReplyFilter,
  type RequestParser,
  type RequestSink,
  type ResponseParser,
} from "../types.ts";
import { decodeBase64Key } from "./base64.ts";
import { Kind } from "./commands.ts";
import { RetrievalRouter } from "./fan_out.ts";
import { mergeAllOk, mergeAllOkQuiet } from "./merge.ts";
import { ERROR, serverError, statsReply, versionReply } from "./replies.ts";
import { mergeCachedump, mergeReset, statsMerger, statsNotMerged } from "./stats_merge.ts";
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
const STATS = new TextEncoder().encode("stats\r\n");
/** When no server is live, as the core says it. */
const NO_SERVER = serverError(NO_SERVER_REASON);

/**
 * Meta quiet mode (`q`), across a pool.
 *
 * With `q`, memcached leaves out the nominal reply of a meta command and the
 * client sends `mn` to learn that everything before it is done. Through a
 * proxy the requests before an `mn` may sit on several servers, and a
 * server's own silence cannot be matched to requests: the core pairs
 * responses with requests FIFO per server connection, and a request that
 * gets no response would take the next one's.
 *
 * So the proxy never lets a server be quiet. A quiet request is forwarded
 * *without* its `q` token, so the server answers every request exactly once
 * and the FIFO pairing stays trivial; the request carries a
 * {@link ReplyFilter} that drops the reply memcached would have left out,
 * and keeps everything else. The filters follow memcached 1.6.18's
 * proto_text.c, where `resp->skip` is set:
 * - `mg`: `EN` (a miss) is dropped; `VA`/`HD` hits are sent;
 * - `ms`: `HD` (stored) is dropped; `NS`, `EX`, `NF` are sent;
 * - `md`: `HD` (deleted or marked stale) is dropped; `NF`, `EX` are sent;
 * - `ma`: `HD` or `VA` (success) is dropped; `NF`, `NS`, `EX` are sent;
 * - errors (`CLIENT_ERROR`, `SERVER_ERROR`, `ERROR`) are always sent, as
 *   memcached sends them under `q` (`out_errstring` clears noreply), and so
 *   is the proxy's own error when a server cannot be reached: a quiet
 *   request to a dead server is never silent.
 * `q` changes nothing else in memcached's reply (it is not echoed back), so
 * every reply the client sees is memcached's bytes.
 *
 * `mn` is answered by the proxy itself, `MN`, as a local reply in request
 * order: the client's reply queue releases it only once every earlier
 * request of that client, on every server, has ended (replied, filtered out,
 * or failed). A server's own `MN` never exists, as no `mn` is forwarded.
 *
 * A request holding `q` twice (or 20 tokens or more) is forwarded as it
 * came: memcached refuses it with an error, which is always sent.
 */
const dropMiss: ReplyFilter = (buf, start, end) => !isCode(buf, start, end, 0x45, 0x4e); // EN
const dropStored: ReplyFilter = (buf, start, end) => !isCode(buf, start, end, 0x48, 0x44); // HD
const dropSuccess: ReplyFilter = (buf, start, end) =>
  !isCode(buf, start, end, 0x48, 0x44) && !isCode(buf, start, end, 0x56, 0x41); // HD, VA

/** Whether the reply `buf[start, end)` is the two-letter code `a b`, alone or with flags. */
function isCode(buf: Uint8Array, start: number, end: number, a: number, b: number): boolean {
  if (end - start < 4 || buf[start] !== a || buf[start + 1] !== b) return false;
  const c = buf[start + 2];
  return c === SP || c === CR;
}

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
        this.#statsCommand(parser, buf, start, sink);
        return;
      case Kind.Quit:
        sink.closeAfterReplies();
        return;
      case Kind.MetaGet:
        this.#forwardMeta(parser, buf, start, end, sink, dropMiss);
        return;
      case Kind.MetaSet:
      case Kind.MetaDelete:
        this.#forwardMeta(parser, buf, start, end, sink, dropStored);
        return;
      case Kind.MetaArithmetic:
        this.#forwardMeta(parser, buf, start, end, sink, dropSuccess);
        return;
      case Kind.MetaDebug:
        this.#forwardMeta(parser, buf, start, end, sink, null);
        return;
      case Kind.MetaNoop:
        // Answered by the parser (`MN`); never reached.
        sink.local(parser.reply ?? NO_SERVER);
        return;
    }
  }

  /**
   * Forwards a meta command to the server owning its key, the key decoded
   * first when it is base64 (memcached hashes and stores the decoded bytes).
   * A key memcached cannot decode is routed as it came: the server answers
   * with its own error. In quiet mode the `q` token is cut out and `quiet`
   * filters the reply (see the design note at the top of this file).
   */
  #forwardMeta(
    parser: MemcacheRequestParser,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
    quiet: ReplyFilter | null,
  ): void {
    const t = parser.tokens;
    const keyStart = start + t[2]!;
    const keyEnd = start + t[3]!;
    const q = quiet === null ? -1 : parser.quietToken;
    if (q < 0 && !parser.base64) {
      sink.forward(buf, start, end, keyStart, keyEnd);
      return;
    }
    // The request (less its `q` token), then the decoded key, in one buffer.
    const cutStart = q < 0 ? end : start + t[2 * q]!;
    const cutEnd = q < 0 ? end : start + t[2 * q + 1]!;
    const size = end - start - (cutEnd - cutStart);
    const out = this.#buffer(size + (keyEnd - keyStart));
    out.set(buf.subarray(start, cutStart), 0);
    out.set(buf.subarray(cutEnd, end), cutStart - start);
    let keyLength = keyEnd - keyStart;
    out.set(buf.subarray(keyStart, keyEnd), size);
    if (parser.base64) {
      const n = decodeBase64Key(buf, keyStart, keyEnd, out, size);
      if (n >= 0) keyLength = n;
      else out.set(buf.subarray(keyStart, keyEnd), size); // may have been half written
    }
    if (q < 0) sink.forward(out, 0, size, size, size + keyLength);
    else sink.forward(out, 0, size, size, size + keyLength, ForwardFlags.None, quiet!);
  }

  /**
   * `stats [<sub-command> ...]`: sent to every server and merged so that
   * the pool reads as one memcached (see stats_merge.ts); sub-commands that
   * only make sense per server are refused, unknown ones get `ERROR` as
   * from memcached.
   */
  #statsCommand(parser: MemcacheRequestParser, buf: Uint8Array, start: number, sink: RequestSink) {
    const t = parser.tokens;
    const n = parser.tokenCount;
    const own = this.#stats;
    if (n === 1) {
      if (sink.serverCount === 0) sink.local(statsReply(own()));
      else sink.broadcast(STATS, statsMerger({ own }));
      return;
    }
    const words: string[] = [];
    for (let i = 0; i < n; i++) {
      words.push(new TextDecoder().decode(buf.subarray(start + t[2 * i]!, start + t[2 * i + 1]!)));
    }
    const sub = words[1]!;
    let merge;
    switch (sub) {
      case "items":
      case "slabs":
      case "sizes":
        merge = statsMerger({});
        break;
      case "settings":
        merge = statsMerger({ settings: true });
        break;
      case "cachedump":
        merge = mergeCachedump;
        break;
      case "reset":
        merge = mergeReset;
        break;
      case "detail":
      case "conns":
      case "extstore":
      case "proxy":
        sink.local(statsNotMerged(sub));
        return;
      default:
        sink.local(ERROR);
        return;
    }
    if (sink.serverCount === 0) {
      sink.local(NO_SERVER);
      return;
    }
    sink.broadcast(new TextEncoder().encode(words.join(" ") + "\r\n"), merge);
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
