/**
 * A client state that lives on dedicated server connections: a
 * transaction (`transaction.ts`) or subscriptions (`pubsub.ts`). While a
 * client has one, every request it sends is offered to the session first;
 * clients without one never reach this code (one field read per request).
 *
 * @module
 */
import type { RequestSink } from "../types.ts";
import type { ArgReader, CommandSpec } from "./command_spec.ts";
import type { RedisRequestParser } from "./request_parser.ts";

/** The request being handled, as a session sees it. */
export interface SessionRequest {
  readonly spec: CommandSpec;
  readonly parser: RedisRequestParser;
  readonly args: ArgReader;
  readonly buf: Uint8Array;
  readonly start: number;
  readonly end: number;
  readonly sink: RequestSink;
}

/** The request's bytes as a server takes them (inline commands re-encoded). */
export interface RequestBytes {
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** What sessions use of the protocol. */
export interface SessionHost {
  /**
   * The one server the request's keys (or channel) live on; -1 when it has
   * none; an error reply when they live on several servers or none is live.
   */
  route(r: SessionRequest): number | Uint8Array;
  /** The request's bytes as sent to a server. */
  bytesOf(r: SessionRequest): RequestBytes;
  /** For a blocking command: its own timeout in ms (0: none), or null when it does not block. */
  blockTimeout(r: SessionRequest): number | null;
}

/** A client's state on dedicated connections. */
export interface Session {
  /**
   * Handles a request (arity and AUTH checked); returns false when the
   * request is to be served the ordinary way instead.
   */
  handle(r: SessionRequest, host: SessionHost): boolean;
  /**
   * A request refused before it reached {@link handle} (unknown command,
   * wrong arity, NOAUTH) with `reply`: a transaction remembers the error.
   */
  refused(sink: RequestSink, reply: Uint8Array): void;
}
