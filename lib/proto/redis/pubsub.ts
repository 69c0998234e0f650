/**
 * Pub/sub through the proxy. A channel lives on the server its name maps
 * to, as a key would (hash_tag applies), so PUBLISH from any client and any
 * subscriber of the channel meet on one server; a pattern may match
 * channels anywhere, so pattern subscriptions are made on every server.
 * A subscribed client gets one server connection dedicated to it (push
 * mode) per server it subscribed on; their messages are merged into the
 * client's stream.
 *
 * The client sees redis-server's RESP2 frames: the proxy keeps the client's
 * subscriptions, so each confirmation carries the client's running count
 * across servers, built when the request is read (as Redis counts, in
 * request order) and sent once every server involved confirmed. A message
 * a server sends before its confirmation goes out before that
 * confirmation. While subscribed the client may (P|S)SUBSCRIBE,
 * (P|S)UNSUBSCRIBE, PING, QUIT and RESET, and gets Redis's error for
 * anything else. Once the last subscription is gone (and confirmed) the
 * connections are closed and the client is an ordinary one again.
 *
 * A server failing under a subscriber loses its subscriptions there: the
 * client gets an error reply and is closed, as a client of a failed
 * redis-server would see its connection drop, so its library subscribes
 * again on reconnecting.
 *
 * RESP3 clients get the same over dedicated connections that sent HELLO 3:
 * confirmations and messages are push frames (`>`), built or passed
 * through as redis-server sends them, and, as Redis allows in RESP3, any
 * other command may be sent while subscribed (it takes the ordinary path).
 *
 * @module
 */
import type { DedicatedLink, DeferredReply, RequestSink } from "../types.ts";
import type { RedisClientState } from "./client_state.ts";
import { encodeCommand, errorReply, ReplyBuilder } from "./encode.ts";
import { dedicatedFailed, notInSubscribedContext } from "./errors.ts";
import type { Session, SessionHost, SessionRequest } from "./session.ts";

/** The three kinds of subscription, each with its own set and count. */
type Kind = "channel" | "pattern" | "shard";

interface Command {
  readonly kind: Kind;
  readonly subscribe: boolean;
  /** The frame type of its confirmations (also the command's name). */
  readonly type: string;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  subscribe: { kind: "channel", subscribe: true, type: "subscribe" },
  unsubscribe: { kind: "channel", subscribe: false, type: "unsubscribe" },
  psubscribe: { kind: "pattern", subscribe: true, type: "psubscribe" },
  punsubscribe: { kind: "pattern", subscribe: false, type: "punsubscribe" },
  ssubscribe: { kind: "shard", subscribe: true, type: "ssubscribe" },
  sunsubscribe: { kind: "shard", subscribe: false, type: "sunsubscribe" },
};

/** Frame types a server sends a subscriber that are confirmations. */
const CONFIRMATIONS = new Set(Object.keys(COMMANDS));
/** Frame types that are messages. */
const MESSAGES = new Set(["message", "pmessage", "smessage"]);

/** The header of a RESP3 push frame of three elements. */
const PUSH3 = new TextEncoder().encode(">3\r\n");

/** One request's confirmations, waiting for the servers it was sent to. */
interface Pending {
  readonly deferred: DeferredReply;
  /** Servers yet to confirm. */
  waiting: number;
  /** Messages that came before a confirmation, to go out before the frames. */
  readonly before: Uint8Array[];
  /** The confirmation frames, built when the request was read. */
  frames: Uint8Array;
}

/** What one server owes: frames per pending request, oldest first. */
interface Expectation {
  frames: number;
  readonly pending: Pending;
}

const latin1 = (b: Uint8Array, s: number, e: number): string => {
  let t = "";
  for (let i = s; i < e; i++) t += String.fromCharCode(b[i]!);
  return t;
};

const bytesOf = (t: string): Uint8Array => {
  const out = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = t.charCodeAt(i);
  return out;
};

/** A frame's type (its first element, for arrays or pushes of bulk strings), or null. */
function frameType(buf: Uint8Array, start: number, end: number): string | null {
  if (buf[start] !== 42 && buf[start] !== 62) return null; // '*' or '>'
  let p = buf.indexOf(10, start);
  if (p < 0 || p + 1 >= end || buf[p + 1] !== 36) return null; // '$'
  const lenStart = p + 2;
  p = buf.indexOf(13, lenStart);
  if (p < 0 || p >= end) return null;
  const len = Number(latin1(buf, lenStart, p));
  if (!Number.isInteger(len) || len < 0 || len > 16 || p + 2 + len > end) return null;
  return latin1(buf, p + 2, p + 2 + len).toLowerCase();
}

/** One subscribed client. */
export class Subscriber implements Session {
  readonly #state: RedisClientState;
  #sink: RequestSink | null = null;
  /** Subscriptions by name, each with the server it was made on (-1: every server). */
  readonly #subs: Record<Kind, Map<string, number>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };
  readonly #links = new Map<number, DedicatedLink>();
  readonly #expect = new Map<number, Expectation[]>();
  #over = false;

  /** A subscriber session for the client with `state` (the caller sets `state.session`). */
  constructor(state: RedisClientState) {
    this.#state = state;
  }

  /** Whether the client is in Redis's subscribed context. */
  get subscribed(): boolean {
    return this.#subs.channel.size + this.#subs.pattern.size + this.#subs.shard.size > 0;
  }

  /** Handles a request of a client with subscriptions (or with some not yet confirmed gone). */
  handle(r: SessionRequest, _host: SessionHost): boolean {
    this.#sink = r.sink;
    const name = r.spec.name;
    const command = COMMANDS[name];
    if (command !== undefined) {
      this.#run(r, command);
      return true;
    }
    if (!this.subscribed || this.#state.connSet !== 0) {
      // Not subscribed, or RESP3: anything may be sent (the ordinary path).
      if (!this.subscribed) this.#maybeEnd();
      return false;
    }
    switch (name) {
      case "ping": {
        const b = new ReplyBuilder().array(2).bulk("pong");
        if (r.args.argc > 1) {
          b.bulk(r.args.argBuf.subarray(r.args.argStart(1), r.args.argEnd(1)));
        } else b.bulk("");
        r.sink.local(b.finish());
        return true;
      }
      case "quit":
        return false;
      case "reset":
        this.#end();
        return false;
    }
    r.sink.local(notInSubscribedContext(name));
    return true;
  }

  /** Refused requests just get their error. */
  refused(sink: RequestSink, reply: Uint8Array): void {
    sink.local(reply);
  }

  #count(kind: Kind): number {
    return kind === "shard"
      ? this.#subs.shard.size
      : this.#subs.channel.size + this.#subs.pattern.size;
  }

  #run(r: SessionRequest, command: Command): void {
    const sink = r.sink;
    const args = r.args;
    const subs = this.#subs[command.kind];
    const names: string[] = [];
    for (let i = 1; i < args.argc; i++) {
      names.push(latin1(args.argBuf, args.argStart(i), args.argEnd(i)));
    }
    const servers = sink.serverCount;
    // Where each name goes: its server, or every server for patterns.
    const groups = new Map<number, string[]>();
    const serverOfName = new Map<string, number>();
    const add = (server: number, n: string) => {
      serverOfName.set(n, server);
      const g = groups.get(server);
      if (g === undefined) groups.set(server, [n]);
      else g.push(n);
    };
    if (command.subscribe) {
      for (const n of names) {
        if (command.kind === "pattern") {
          for (let s = 0; s < servers; s++) add(s, n);
          continue;
        }
        const b = bytesOf(n);
        const s = sink.serverOf(b, 0, b.length);
        if (s < 0) {
          this.#maybeEnd();
          return sink.local(dedicatedFailed(command.type, "no server is live"));
        }
        add(s, n);
      }
      for (const s of groups.keys()) {
        const failure = this.#linkTo(sink, s);
        if (failure !== null) {
          this.#maybeEnd();
          return sink.local(dedicatedFailed(command.type, failure));
        }
      }
    }
    // The frames, counted as Redis counts, in request order.
    const resp3 = this.#state.connSet !== 0;
    const b = new ReplyBuilder(resp3 ? 3 : 2);
    const frame = (n: string | null) =>
      (resp3 ? b.raw(PUSH3) : b.array(3)).bulk(command.type).bulk(n === null ? null : bytesOf(n))
        .integer(
          this.#count(command.kind),
        );
    if (command.subscribe) {
      for (const n of names) {
        if (!subs.has(n)) subs.set(n, command.kind === "pattern" ? -1 : serverOfName.get(n)!);
        frame(n);
      }
    } else {
      const targets = names.length > 0 ? names : [...subs.keys()];
      if (targets.length === 0) frame(null);
      for (const n of targets) {
        const where = subs.get(n);
        if (where !== undefined) {
          subs.delete(n);
          if (where >= 0) add(where, n);
          else for (const s of this.#links.keys()) add(s, n);
        }
        frame(n);
      }
    }
    const frames = b.finish();
    if (groups.size === 0) {
      sink.local(frames);
      this.#maybeEnd();
      return;
    }
    const pending: Pending = { deferred: sink.defer(), waiting: groups.size, before: [], frames };
    for (const [s, list] of groups) {
      const link = this.#links.get(s)!;
      const req = encodeCommand([command.type.toUpperCase(), ...list.map(bytesOf)]);
      link.write(req, 0, req.length);
      let q = this.#expect.get(s);
      if (q === undefined) this.#expect.set(s, q = []);
      q.push({ frames: list.length, pending });
    }
  }

  /** Opens the dedicated connection to server `s` if there is none; the reason when it cannot. */
  #linkTo(sink: RequestSink, s: number): string | null {
    const have = this.#links.get(s);
    if (have !== undefined && !have.closed) return null;
    const link = sink.dedicate(
      s,
      (buf, start, end, isError) => this.#frame(s, buf, start, end, isError),
      (reason) => this.#lost(s, reason),
    );
    if (typeof link === "string") return link;
    this.#links.set(s, link);
    return null;
  }

  /** A frame from server `s`. */
  #frame(s: number, buf: Uint8Array, start: number, end: number, isError: boolean): void {
    const q = this.#expect.get(s);
    const head = q?.[0];
    if (isError) {
      if (head === undefined) return;
      q!.shift();
      head.pending.frames = buf.slice(start, end);
      this.#confirmed(head.pending);
      return;
    }
    const type = frameType(buf, start, end);
    if (type !== null && MESSAGES.has(type)) {
      const bytes = buf.slice(start, end);
      if (head !== undefined) head.pending.before.push(bytes);
      else this.#sink?.push(bytes);
      return;
    }
    if (type !== null && CONFIRMATIONS.has(type) && head !== undefined) {
      if (--head.frames === 0) {
        q!.shift();
        this.#confirmed(head.pending);
      }
    }
  }

  #confirmed(p: Pending): void {
    if (--p.waiting > 0) return;
    const b = new ReplyBuilder();
    for (const m of p.before) b.raw(m);
    p.deferred.resolve(b.raw(p.frames).finish());
    this.#maybeEnd();
  }

  /** A server connection failed: the client is told and closed. */
  #lost(s: number, reason: string): void {
    this.#links.delete(s);
    if (this.#over) return;
    const error = errorReply(`ERR the subscriptions' server connection failed: ${reason}`);
    for (const e of this.#expect.get(s) ?? []) {
      e.pending.frames = error;
      this.#confirmed(e.pending);
    }
    this.#expect.delete(s);
    this.#end();
    this.#sink?.push(error);
    this.#sink?.closeAfterReplies();
  }

  /** Ends the session once nothing is subscribed and nothing is owed. */
  #maybeEnd(): void {
    if (this.subscribed) return;
    for (const q of this.#expect.values()) if (q.length > 0) return;
    this.#end();
  }

  #end(): void {
    this.#over = true;
    if (this.#state.session === this) this.#state.session = null;
    for (const link of this.#links.values()) link.release();
    this.#links.clear();
    this.#expect.clear();
  }
}
