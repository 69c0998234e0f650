/**
 * The one interface both protocols fill. The connection, queue, timeout,
 * stats and ejection code in `lib/net/` and `lib/pool/` know no protocol:
 * they call only what is declared here.
 *
 * The way of a request: the client connection feeds its bytes to a
 * {@link RequestParser}; for each complete message the protocol's
 * {@link Protocol.handle} decides, through a {@link RequestSink}, whether the
 * proxy answers it (`local`), forwards it to the server owning its key
 * (`forward`), splits it over several servers (`fanOut`) or sends it to
 * every server (`broadcast`). Server replies are framed by a
 * {@link ResponseParser} and matched FIFO to the requests in flight.
 *
 * @module
 */

/** `parse()` result: the bytes so far do not hold a whole message yet. */
export const NEED_MORE = -1;
/**
 * `parse()` result: the stream cannot be framed any more. The parser's
 * `error` holds the reply to send before closing the connection.
 */
export const FRAMING_ERROR = -2;

/** Parses client requests, synchronously and incrementally. One per client connection. */
export interface RequestParser {
  /**
   * Looks for one whole request in `buf[start, end)`, where `start` is the
   * first byte of a message. Returns the offset just past it, or
   * {@link NEED_MORE}, or {@link FRAMING_ERROR}. After NEED_MORE the next
   * call gets the same `start` (the bytes may have moved to another buffer,
   * but relative offsets are kept) with more bytes behind; the parser may keep
   * state so it never rescans from the start.
   * `needed` (after NEED_MORE) is a lower bound of the total message length
   * when known, else 0: the caller need not call again before that many bytes are there.
   */
  parse(buf: Uint8Array, start: number, end: number): number;
  /** After NEED_MORE: at least this many bytes from `start` are needed (0 = unknown). */
  readonly needed: number;
  /** After FRAMING_ERROR: the error reply to send before closing (empty: close without a reply). */
  readonly error: Uint8Array | null;
  /** After FRAMING_ERROR: why, for the INFO log line (optional). */
  readonly reason?: string | null;
}

/** Parses server responses, synchronously and incrementally. One per server connection. */
export interface ResponseParser {
  /**
   * Looks for one whole response in `buf[start, end)`. Returns the offset
   * just past it, {@link NEED_MORE} or {@link FRAMING_ERROR} (garbage: the
   * connection is closed and its requests failed).
   */
  parse(buf: Uint8Array, start: number, end: number): number;
  /** After NEED_MORE: lower bound of the total response length, or 0. */
  readonly needed: number;
  /** After a successful parse: the response is an error reply (-ERR, SERVER_ERROR, CLIENT_ERROR, ERROR). */
  readonly isError: boolean;
}

/** Flags for {@link RequestSink.forward}. */
export const ForwardFlags = {
  None: 0,
  /**
   * The client asked for no reply (memcached `noreply`). The protocol
   * forwards the request *without* noreply so that every forwarded request
   * gets exactly one response and the server connection stays in step; the
   * core then drops whatever ends the request — success, error response or
   * forwarding failure — as memcached itself stays silent on noreply
   * commands, so the client's replies never shift. Failures still count in
   * the stats.
   */
  Quiet: 1,
  /**
   * Set by the core when {@link RequestSink.forward} gets a
   * {@link ReplyFilter}: the server's response reaches the client only when
   * the filter keeps it (a forwarding failure always does). Protocols pass
   * the filter, not this flag.
   */
  Filtered: 2,
} as const;
/** A combination of {@link ForwardFlags} values. */
export type ForwardFlags = number;

/**
 * Decides whether the server's response `buf[start, end)` to one forwarded
 * request reaches the client (true) or is dropped (false: the request ends
 * with nothing sent, in its turn). For replies the client asked to be left
 * out (memcached meta quiet mode, the `q` flag): the protocol forwards the
 * request so that the server always answers, and drops the nominal answers
 * here, so every forwarded request still gets exactly one response and the
 * server connection stays in step. A forwarding failure is never filtered.
 */
export type ReplyFilter = (buf: Uint8Array, start: number, end: number) => boolean;

/**
 * Merges the replies of a split request, in the order the parts were given
 * to {@link RequestSink.fanOut} / {@link RequestSink.broadcast}. A part that
 * could not be forwarded holds the protocol's error reply for its reason.
 * Returns the one reply the client gets. The parts and the reply are valid
 * only during the call: the core copies the reply at once, so a merger may
 * return a view of a buffer it reuses (see reply_scratch.ts) or of a part.
 */
export type Merger = (replies: readonly Uint8Array[]) => Uint8Array;

/**
 * One part of a split request: the bytes to send and the server to send them to.
 * The request is `bytes[start, end)` (by default all of `bytes`), so that the
 * parts of one split can be written back to back into one reused buffer.
 */
export interface Fragment {
  /** Server index in the pool, from {@link RequestSink.serverOf}. */
  readonly server: number;
  /** Holds the whole request to send to that server. */
  readonly bytes: Uint8Array;
  /** Where the request starts in `bytes` (default 0). */
  readonly start?: number;
  /** Where it ends in `bytes` (default `bytes.length`). */
  readonly end?: number;
}

/**
 * Hands over a frame a server sent on a dedicated connection that no
 * request waits for (push mode: pub/sub):
 * `buf[start, end)`, valid only during the call.
 */
export type PushHandler = (buf: Uint8Array, start: number, end: number, isError: boolean) => void;

/**
 * A server connection dedicated to one client, for as long as that
 * client's state on the server lives (Redis: a blocking command, a
 * transaction, subscriptions). It is a server connection like the others
 * (same handshake, parser, timeouts and stats) but only its client queues
 * on it. It closes when released, when the server fails it (then the
 * `lost` callback given to {@link RequestSink.dedicate} runs), or when the
 * client goes.
 */
export interface DedicatedLink {
  /** The server's index in the pool. */
  readonly server: number;
  /** Whether the connection is gone. */
  readonly closed: boolean;
  /** Sends a request whose reply goes to the client, in request order. */
  forward(buf: Uint8Array, start: number, end: number): void;
  /**
   * Sends a blocking command whose own timeout is `blockMs` ms (0: none).
   * Like redis-server with a blocked client, the client's next requests
   * wait, unread, for its reply; the pool's `timeout` counts from the end
   * of the command's own.
   */
  forwardBlocking(buf: Uint8Array, start: number, end: number, blockMs: number): void;
  /**
   * Sends a request of the protocol's own; its reply (or the error reply
   * when the connection fails) goes to `onReply` (null: dropped), not to
   * the client.
   */
  send(
    buf: Uint8Array,
    start: number,
    end: number,
    onReply: ((reply: Uint8Array) => void) | null,
  ): void;
  /** Push mode: writes a request whose replies arrive through the link's push handler. */
  write(buf: Uint8Array, start: number, end: number): void;
  /** The client's state ended: delivers the replies owed, then closes. */
  release(): void;
}

/** A place in the client's reply order, filled later ({@link RequestSink.defer}). */
export interface DeferredReply {
  /** Fills the place; the reply goes out once the replies before it have. */
  resolve(reply: Uint8Array): void;
}

/**
 * What the core offers a protocol while it handles one client request.
 * Every request must end in exactly one call of `local`, `forward`,
 * `fanOut` or `broadcast` (or `local` then `closeAfterReplies`).
 */
export interface RequestSink {
  /** Answers the request from the proxy; delivered in request order (empty: nothing is sent). */
  local(reply: Uint8Array): void;
  /**
   * Forwards `buf[start, end)` (copied) to the server that owns the key
   * `buf[keyStart, keyEnd)` (hash_tag, hash and distribution applied).
   * With `filter`, the server's response goes to the client only when the
   * filter keeps it (see {@link ReplyFilter}).
   */
  forward(
    buf: Uint8Array,
    start: number,
    end: number,
    keyStart: number,
    keyEnd: number,
    flags?: ForwardFlags,
    filter?: ReplyFilter,
  ): void;
  /** Server index owning the key `buf[keyStart, keyEnd)`, or -1 when no server is live. */
  serverOf(buf: Uint8Array, keyStart: number, keyEnd: number): number;
  /**
   * Sends each fragment to its server (the bytes are copied before this
   * returns, so the caller may reuse the fragments and their buffer); `merge`
   * builds the reply once all answered (at once when there are no fragments).
   */
  fanOut(fragments: readonly Fragment[], merge: Merger): void;
  /** Sends `bytes` to every server of the pool; `merge` gets one reply per server in pool order. */
  broadcast(bytes: Uint8Array, merge: Merger): void;
  /** Closes the client once every reply owed has been written (QUIT, framing errors). */
  closeAfterReplies(): void;
  /**
   * Opens a server connection to server `server` dedicated to this client
   * (see {@link DedicatedLink}); in push mode when `pushes` is given.
   * `lost` runs with the reason when the server side fails it. Returns the
   * reason instead when none can be opened (no such server, or the pool's
   * `dedicated_connections` limit reached).
   */
  dedicate(
    server: number,
    pushes: PushHandler | null,
    lost: (reason: string) => void,
  ): DedicatedLink | string;
  /** Reserves the next place in the client's reply order, filled later. */
  defer(): DeferredReply;
  /**
   * Sends `reply` after the replies owed so far; unlike {@link local} it may
   * be called at any time (server pushes). Dropped once the client is gone.
   */
  push(reply: Uint8Array): void;
  /** Number of servers in the pool. */
  readonly serverCount: number;
}

/** Per-client protocol state (e.g. Redis AUTH). Opaque to the core. */
export interface ClientState {
  /** Whether the client may send large requests (false before AUTH when a password is set). */
  readonly trusted: boolean;
  /**
   * Which set of server connections this client's requests travel on,
   * `0 <= connSet < Protocol.connSets`: each server has a separate set of
   * `server_connections` per set in use, with its own handshake (Redis: 0
   * for RESP2, 1 for RESP3 clients). Read for every request; may change
   * between requests.
   */
  readonly connSet: number;
}

/** A protocol: Redis (RESP) or memcached ASCII. One instance per pool. */
export interface Protocol {
  /** Which protocol this is. */
  readonly name: "redis" | "memcache";
  /** A parser for one client connection. */
  newRequestParser(state: ClientState): RequestParser;
  /** A parser for one server connection. */
  newResponseParser(): ResponseParser;
  /** Fresh per-client state. */
  newClientState(): ClientState;
  /**
   * Handles the complete request `buf[start, end)` just parsed by `parser`
   * (the parser's fields describe it). Synchronous.
   */
  handle(
    parser: RequestParser,
    state: ClientState,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void;
  /** The error reply for a forwarding failure, e.g. `-ERR Connection refused\r\n`. */
  errorReply(reason: string): Uint8Array;
  /**
   * How many sets of server connections the protocol keeps apart (see
   * {@link ClientState.connSet}); at least 1. Sets other than 0 are opened
   * only when a client needs them.
   */
  readonly connSets: number;
  /**
   * Requests sent first on every new server connection of set `set`
   * (Redis: AUTH, SELECT, and HELLO 3 for the RESP3 set). Each reply is
   * judged by {@link handshakeFailure}.
   */
  handshake(set: number): readonly Uint8Array[];
  /**
   * Judges the reply `buf[start, end)` (an error reply when `isError`) to
   * handshake request `step` of set `set`: null when the connection may be
   * used, else the reason it fails (logged; the requests queued on it get
   * the error reply for it). As twemproxy's `swallow_msg`, this is where a
   * protocol knows which refusals of its handshake are harmless.
   */
  handshakeFailure(
    set: number,
    step: number,
    buf: Uint8Array,
    start: number,
    end: number,
    isError: boolean,
  ): string | null;
}
