/**
 * The Redis protocol as the core sees it: request and response parsers,
 * per-client state, and {@link RedisProtocol.handle}, which looks a parsed
 * request up in the command table and answers it locally, forwards it to
 * the server owning its key, splits it over servers, or refuses it.
 *
 * @module
 */
import type {
  ClientState,
  Protocol,
  RequestParser,
  RequestSink,
  ResponseParser,
} from "../types.ts";
import type { RequestSink as Sink } from "../types.ts";
import { RedisClientState } from "./client_state.ts";
import {
  type ArgReader,
  arityOk,
  COMMAND_TABLE,
  type CommandSpec,
  equalsIgnoreCase,
  findKeys,
} from "./command_spec.ts";
import {
  bulkSize,
  encodeCommand,
  errorReply,
  headerSize,
  NOTHING,
  writeBulk,
  writeHeader,
} from "./encode.ts";
import {
  crossServer,
  dedicatedFailed,
  DISCARD_WITHOUT_MULTI,
  EXEC_WITHOUT_MULTI,
  NOAUTH,
  noKeys,
  otherDbNotAllowed,
  unknownCommand,
  unknownSubcommand,
  unsupported,
  wrongArity,
} from "./errors.ts";
import { LocalCommands, parseInteger } from "./local.ts";
import { mergerFor } from "./merge.ts";
import { mergeInfo } from "./info_merge.ts";
import { RedisRequestParser } from "./request_parser.ts";
import { RedisResponseParser } from "./response_parser.ts";
import { Splitter } from "./split.ts";
import { blockTimeout } from "./blocking.ts";
import type { RequestBytes, SessionHost, SessionRequest } from "./session.ts";
import { Transaction } from "./transaction.ts";
import { Subscriber } from "./pubsub.ts";
import { RESP_ARRAY } from "./type_bytes.ts";

/** The connection set of RESP2 clients (every client until HELLO 3). */
export const RESP2 = 0;
/** The connection set of RESP3 clients: server connections that sent HELLO 3. */
export const RESP3 = 1;

/** Options of {@link RedisProtocol}. */
export interface RedisProtocolOptions {
  /** The pool's `redis_auth`: clients must AUTH with it, servers get it. Null: none. */
  readonly auth: string | null;
  /** The pool's `redis_db`, selected on every server connection. */
  readonly db: number;
  /** The proxy's version, reported by HELLO. */
  readonly version: string;
  /** The text INFO replies with (the proxy's own sections). */
  readonly info: () => string;
}

/** The request being handled, for sessions (one per protocol, reused). */
class Current implements SessionRequest {
  spec!: CommandSpec;
  parser!: RedisRequestParser;
  args!: Args;
  buf!: Uint8Array;
  start = 0;
  end = 0;
  sink!: Sink;
}

const OK_REPLY = new TextEncoder().encode("+OK\r\n");

/** The arguments of the request being handled, wherever they are. */
class Args implements ArgReader {
  #parser: RedisRequestParser | null = null;
  #base = 0;
  argBuf: Uint8Array = new Uint8Array(0);
  resp = false;

  set(parser: RedisRequestParser, buf: Uint8Array, start: number): this {
    this.#parser = parser;
    if (parser.inline) {
      this.argBuf = parser.inlineArgs;
      this.#base = 0;
      this.resp = false;
    } else {
      this.argBuf = buf;
      this.#base = start;
      this.resp = true;
    }
    return this;
  }

  get argc(): number {
    return this.#parser!.argc;
  }

  argStart(i: number): number {
    return this.#base + this.#parser!.argStart(i);
  }

  argEnd(i: number): number {
    return this.#base + this.#parser!.argEnd(i);
  }
}

/**
 * The Redis protocol for one pool.
 *
 * @example
 * ```ts
 * import { RedisProtocol } from "./protocol.ts";
 * const redis = new RedisProtocol({ auth: null, db: 0, version: "0.1.0", info: () => "" });
 * const state = redis.newClientState();
 * const parser = redis.newRequestParser(state);
 * const req = new TextEncoder().encode("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
 * parser.parse(req, 0, req.length); // 22: one whole request
 * ```
 */
export class RedisProtocol implements Protocol, SessionHost {
  /** The protocol's name. */
  readonly name = "redis" as const;
  #options: RedisProtocolOptions;
  #auth: Uint8Array | null;
  #nextId = 1;
  #args = new Args();
  #keys = { keys: new Int32Array(16) };
  #splitter = new Splitter();
  #current = new Current();
  #local: LocalCommands;
  /** Per connection set: the handshake requests and their names for logs. */
  #handshakes: readonly { requests: Uint8Array[]; names: string[] }[];

  /**
   * Creates the protocol of one pool.
   *
   * @param options the pool's AUTH password and db, the proxy version, the INFO text
   */
  constructor(options: RedisProtocolOptions) {
    this.#options = options;
    this.#auth = options.auth === null ? null : new TextEncoder().encode(options.auth);
    this.#handshakes = [RESP2, RESP3].map((set) => {
      const requests: Uint8Array[] = [];
      const names: string[] = [];
      if (options.auth !== null) {
        requests.push(encodeCommand(["AUTH", options.auth]));
        names.push("AUTH");
      }
      if (options.db !== 0) {
        requests.push(encodeCommand(["SELECT", String(options.db)]));
        names.push(`SELECT ${options.db}`);
      }
      if (set === RESP3) {
        requests.push(encodeCommand(["HELLO", "3"]));
        names.push("HELLO 3");
      }
      return { requests, names };
    });
    this.#local = new LocalCommands({
      auth: this.#auth,
      db: options.db,
      version: options.version,
      info: options.info,
    });
  }

  /** A request parser for a client connection with `state`. */
  newRequestParser(state: ClientState): RequestParser {
    return new RedisRequestParser(state);
  }

  /** A response parser for a server connection. */
  newResponseParser(): ResponseParser {
    return new RedisResponseParser();
  }

  /** Fresh client state: not authenticated when the pool has a password. */
  newClientState(): RedisClientState {
    return new RedisClientState(this.#nextId++, this.#auth !== null);
  }

  /** `-ERR <reason>` (CR and LF in the reason become spaces). */
  errorReply(reason: string): Uint8Array {
    return errorReply(`ERR ${reason}`);
  }

  /**
   * Two sets of server connections: {@link RESP2} for RESP2 clients and
   * {@link RESP3} for clients that sent HELLO 3, so every reply passes
   * through in the protocol its client asked for.
   */
  readonly connSets = 2;

  /**
   * `AUTH <password>` (when set), then `SELECT <db>` (when not 0), then for
   * the RESP3 set `HELLO 3`.
   */
  handshake(set: number): readonly Uint8Array[] {
    return this.#handshakes[set]?.requests ?? [];
  }

  /**
   * Judges a handshake reply: any error fails the connection, except a
   * backend without a password refusing AUTH (Redis 6+: "...called without
   * any password configured...", older: "...no password is set"): the
   * connection works without it.
   */
  handshakeFailure(
    set: number,
    step: number,
    buf: Uint8Array,
    start: number,
    end: number,
    isError: boolean,
  ): string | null {
    if (!isError) return null;
    const name = this.#handshakes[set]?.names[step] ?? "handshake";
    const text = new TextDecoder().decode(buf.subarray(start + 1, end)).trim();
    if (name === "AUTH" && /without any password configured|no password is set/.test(text)) {
      return null;
    }
    const hint = name === "HELLO 3" ? " (RESP3 clients need redis-server 6 or later)" : "";
    return `handshake failed: ${name} got ${text}${hint}`;
  }

  /** Handles the request `buf[start, end)` that `parser` just framed. */
  handle(
    parser: RequestParser,
    state: ClientState,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    if (!(parser instanceof RedisRequestParser)) {
      throw new TypeError("Cannot handle request: parser is not a RedisRequestParser");
    }
    if (!(state instanceof RedisClientState)) {
      throw new TypeError("Cannot handle request: state is not a RedisClientState");
    }
    const args = this.#args.set(parser, buf, start);
    if (args.argc === 0) {
      // `*0`, `*-1`, a blank inline line: Redis ignores them.
      sink.local(NOTHING);
      return;
    }
    let spec = COMMAND_TABLE.lookup(args.argBuf, args.argStart(0), args.argEnd(0));
    if (spec === null) return refuse(state, sink, unknownCommand(args));
    if (spec.subcommands !== null && args.argc >= 2) {
      const sub = spec.subcommands.lookup(args.argBuf, args.argStart(1), args.argEnd(1));
      if (sub === null) return refuse(state, sink, unknownSubcommand(args));
      spec = sub;
    }
    if (!arityOk(spec.arity, args.argc)) return refuse(state, sink, wrongArity(spec.name));
    if (!state.authenticated && !spec.noAuth) return refuse(state, sink, NOAUTH);
    const session = state.session;
    if (
      session !== null && session.handle(this.#request(spec, parser, buf, start, end, sink), this)
    ) {
      return;
    }
    switch (spec.kind) {
      case "forward":
        return this.#forward(parser, args, spec.keys[0]!.index, buf, start, end, sink);
      case "split":
        return this.#split(spec, parser, args, buf, start, end, sink);
      case "together":
        return this.#together(spec, parser, args, buf, start, end, sink);
      case "local":
      case "container": // COMMAND without a subcommand
        return this.#local.run(spec, args, state, sink);
      case "broadcast":
        return this.#broadcast(spec, parser, args, state, buf, start, end, sink);
      case "channel":
        return this.#forward(parser, args, 1, buf, start, end, sink);
      case "blocking":
        return this.#blocking(this.#request(spec, parser, buf, start, end, sink));
      case "transaction":
        return this.#transaction(state, this.#request(spec, parser, buf, start, end, sink));
      case "subscribe":
        return this.#subscribe(state, this.#request(spec, parser, buf, start, end, sink));
      default:
        return sink.local(unsupported(spec.name, spec.why));
    }
  }

  #request(
    spec: CommandSpec,
    parser: RedisRequestParser,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: Sink,
  ): SessionRequest {
    const r = this.#current;
    r.spec = spec;
    r.parser = parser;
    r.args = this.#args;
    r.buf = buf;
    r.start = start;
    r.end = end;
    r.sink = sink;
    return r;
  }

  /** SessionHost: the one server a request goes to (-1: keyless), or an error reply. */
  route(r: SessionRequest): number | Uint8Array {
    const { spec, sink } = r;
    const args = this.#args;
    switch (spec.kind) {
      case "forward":
      case "channel": {
        const k = spec.kind === "channel" ? 1 : spec.keys[0]!.index;
        return this.#live(sink.serverOf(args.argBuf, args.argStart(k), args.argEnd(k)));
      }
      case "split":
      case "together":
      case "blocking":
      case "transaction": {
        if (spec.dbOption !== null && !this.#staysInDb(spec, spec.dbOption, args)) {
          return otherDbNotAllowed(spec.name, this.#options.db);
        }
        let n = 0;
        if (spec.kind === "split") {
          const step = spec.keys[0]!.step;
          if ((args.argc - 1) % step !== 0) return wrongArity(spec.name);
          const keys = this.#keys.keys.length >= args.argc
            ? this.#keys.keys
            : new Int32Array(args.argc);
          for (let i = 1; i < args.argc; i += step) keys[n++] = i;
          this.#keys.keys = keys;
        } else {
          n = findKeys(spec, args, this.#keys);
        }
        if (n === 0 && spec.flags.includes("no_mandatory_keys")) return noKeys(spec.name);
        if (n <= 0) return spec.keys.length === 0 ? -1 : 0; // a bad key count: any server refuses it
        const keys = this.#keys.keys;
        const first = keys[0]!;
        const server = sink.serverOf(args.argBuf, args.argStart(first), args.argEnd(first));
        for (let i = 1; i < n; i++) {
          const k = keys[i]!;
          if (sink.serverOf(args.argBuf, args.argStart(k), args.argEnd(k)) !== server) {
            return crossServer(spec.name);
          }
        }
        return this.#live(server);
      }
      default:
        return -1;
    }
  }

  #live(server: number): number | Uint8Array {
    return server >= 0 ? server : this.errorReply("no server is live");
  }

  /** SessionHost: the request's bytes as sent to a server. */
  bytesOf(r: SessionRequest): RequestBytes {
    if (!r.parser.inline) return { bytes: r.buf, start: r.start, end: r.end };
    const { bytes } = encodeArgs(this.#args, 0);
    return { bytes, start: 0, end: bytes.length };
  }

  /** SessionHost: a blocking command's own timeout (0: none), or null. */
  blockTimeout(r: SessionRequest): number | null {
    return r.spec.kind === "blocking" ? blockTimeout(r.spec.name, this.#args) : null;
  }

  /**
   * A blocking command: on a connection to its keys' server dedicated to
   * the client until the reply, or, without BLOCK (XREAD), as `together`.
   */
  #blocking(r: SessionRequest): void {
    const ms = this.blockTimeout(r);
    if (ms === null) {
      return this.#together(r.spec, r.parser, this.#args, r.buf, r.start, r.end, r.sink);
    }
    const server = this.route(r);
    if (typeof server !== "number") return r.sink.local(server);
    const link = r.sink.dedicate(Math.max(server, 0), null, () => {});
    if (typeof link === "string") return r.sink.local(dedicatedFailed(r.spec.name, link));
    const { bytes, start, end } = this.bytesOf(r);
    link.forwardBlocking(bytes, start, end, ms);
    link.release();
  }

  /** MULTI and WATCH start a transaction; EXEC, DISCARD, UNWATCH outside one. */
  #transaction(state: RedisClientState, r: SessionRequest): void {
    switch (r.spec.name) {
      case "exec":
        return r.sink.local(EXEC_WITHOUT_MULTI);
      case "discard":
        return r.sink.local(DISCARD_WITHOUT_MULTI);
      case "unwatch":
        return r.sink.local(OK_REPLY);
    }
    const tx = new Transaction(state);
    state.session = tx;
    tx.handle(r, this);
  }

  /** A subscription starts a subscriber session; an unsubscription outside one is answered here. */
  #subscribe(state: RedisClientState, r: SessionRequest): void {
    const sub = new Subscriber(state);
    state.session = sub;
    sub.handle(r, this);
  }

  /**
   * Forwards the request to the server owning argument `key`: the client's
   * own bytes, or for an inline command the arguments re-encoded as RESP.
   */
  #forward(
    parser: RedisRequestParser,
    args: Args,
    key: number,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    if (!parser.inline) {
      sink.forward(buf, start, end, args.argStart(key), args.argEnd(key));
      return;
    }
    const { bytes, keyStart } = encodeArgs(args, key);
    sink.forward(
      bytes,
      0,
      bytes.length,
      keyStart,
      keyStart + args.argEnd(key) - args.argStart(key),
    );
  }

  #split(
    spec: CommandSpec,
    parser: RedisRequestParser,
    args: Args,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    const step = spec.keys[0]!.step;
    if ((args.argc - 1) % step !== 0) return sink.local(wrongArity(spec.name));
    if (args.argc - 1 > step && this.#splitter.split(spec, args, step, sink)) return;
    this.#forward(parser, args, 1, buf, start, end, sink);
  }

  #together(
    spec: CommandSpec,
    parser: RedisRequestParser,
    args: Args,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    if (spec.dbOption !== null && !this.#staysInDb(spec, spec.dbOption, args)) {
      return sink.local(otherDbNotAllowed(spec.name, this.#options.db));
    }
    const n = findKeys(spec, args, this.#keys);
    if (n === 0 && spec.flags.includes("no_mandatory_keys")) return sink.local(noKeys(spec.name));
    // A bad key count: any server gives Redis's own error for it.
    if (n <= 0) return this.#forward(parser, args, 1, buf, start, end, sink);
    const keys = this.#keys.keys;
    const first = keys[0]!;
    if (n > 1) {
      const server = sink.serverOf(args.argBuf, args.argStart(first), args.argEnd(first));
      for (let i = 1; i < n; i++) {
        const k = keys[i]!;
        if (sink.serverOf(args.argBuf, args.argStart(k), args.argEnd(k)) !== server) {
          return sink.local(crossServer(spec.name));
        }
      }
    }
    this.#forward(parser, args, first, buf, start, end, sink);
  }

  /**
   * Whether a command with an option naming a database (`COPY source
   * destination [DB n] [REPLACE]`: `keyword` is `db`) stays in the pool's
   * database on the servers: no such option, or one naming `redis_db`. A
   * database that is not a number is left to the server to refuse. Options
   * follow the keys.
   */
  #staysInDb(spec: CommandSpec, keyword: Uint8Array, args: Args): boolean {
    const buf = args.argBuf;
    for (let i = Math.max(1, spec.lastKey + 1); i + 1 < args.argc; i++) {
      if (!equalsIgnoreCase(buf, args.argStart(i), args.argEnd(i), keyword)) continue;
      const db = parseInteger(buf, args.argStart(i + 1), args.argEnd(i + 1));
      if (db !== null && db !== this.#options.db) return false;
      i++;
    }
    return true;
  }

  #broadcast(
    spec: CommandSpec,
    parser: RedisRequestParser,
    args: Args,
    state: RedisClientState,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    const bytes = parser.inline ? encodeArgs(args, 0).bytes : buf.slice(start, end);
    const how = spec.merge;
    if (how === "info") {
      const merge = mergeInfo(this.#options.info, wantsProxySection(args), state.resp);
      return sink.broadcast(bytes, merge);
    }
    if (how === null || how === "mget") {
      throw new TypeError(`Cannot broadcast '${spec.name}': policy.ts names no merger for it`);
    }
    sink.broadcast(bytes, mergerFor(how, spec.name));
  }
}

/** An error reply before the command was known: a session may need to know. */
function refuse(state: RedisClientState, sink: Sink, reply: Uint8Array): void {
  if (state.session !== null) state.session.refused(sink, reply);
  else sink.local(reply);
}

const PROXY_SECTION = [
  new TextEncoder().encode("proxy"),
  new TextEncoder().encode("all"),
  new TextEncoder().encode("everything"),
  new TextEncoder().encode("default"),
];

/** Whether INFO's arguments ask for the proxy's section: none, `proxy`, or all of them. */
function wantsProxySection(args: ArgReader): boolean {
  if (args.argc === 1) return true;
  for (let i = 1; i < args.argc; i++) {
    for (const w of PROXY_SECTION) {
      if (equalsIgnoreCase(args.argBuf, args.argStart(i), args.argEnd(i), w)) return true;
    }
  }
  return false;
}

/** The arguments as a RESP request, and where argument `key` starts in it. */
function encodeArgs(args: ArgReader, key: number): { bytes: Uint8Array; keyStart: number } {
  const argc = args.argc;
  let size = headerSize(argc);
  for (let i = 0; i < argc; i++) size += bulkSize(args.argEnd(i) - args.argStart(i));
  const out = new Uint8Array(size);
  let pos = writeHeader(out, 0, RESP_ARRAY, argc);
  let keyStart = 0;
  for (let i = 0; i < argc; i++) {
    const next = writeBulk(out, pos, args.argBuf, args.argStart(i), args.argEnd(i));
    if (i === key) keyStart = next - 2 - (args.argEnd(i) - args.argStart(i));
    pos = next;
  }
  return { bytes: out, keyStart };
}
