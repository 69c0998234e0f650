/**
 * The Redis protocol (RESP) for nutmeg: {@link RedisProtocol} fills the
 * core's {@link Protocol} interface. Requests are framed on bytes (RESP
 * multibulk and inline commands), looked up in one command table
 * (`commands.ts`), and answered locally, forwarded untouched to the server
 * owning their key, split over servers and merged (MGET, DEL, UNLINK,
 * EXISTS, TOUCH, MSET), checked to live on one server (RENAME, EVAL, ...)
 * or refused with Redis-style errors. Replies are framed for RESP2 and
 * RESP3.
 *
 * Behaviour the core relies on:
 * - Clients speak RESP2 until HELLO 3; from then on their requests go to
 *   the RESP3 connection set ({@link RESP3}: server connections whose
 *   handshake ends with HELLO 3), and the proxy's own replies are RESP3.
 *   HELLO 2 and RESET go back to RESP2.
 * - AUTH answers as Redis 7 does (`-WRONGPASS ...`, `-NOAUTH
 *   Authentication required.`), not twemproxy's `-ERR invalid password`;
 *   only AUTH, HELLO, QUIT and RESET run before it.
 * - SELECT 0 (and SELECT of the pool's own redis_db) is accepted, any other
 *   database refused; so is COPY ... DB into another database of the
 *   servers (a pool's redis_db keeps pools sharing a server apart).
 * - An empty request (`*0`, `*-1`, a blank inline line) is answered with an
 *   empty local reply; QUIT is `+OK` then `closeAfterReplies()`, after
 *   which the core must not handle more requests of that client.
 * - A framing error's reply may be empty: a `POST` or `Host:` command
 *   closes the connection silently, as Redis does.
 *
 * @example
 * ```ts
 * import { RedisProtocol } from "./mod.ts";
 * const redis = new RedisProtocol({
 *   auth: null,
 *   db: 0,
 *   version: "0.1.0",
 *   info: () => "# Proxy\r\nversion:0.1.0\r\n",
 * });
 * redis.handshake(0); // [] : no AUTH, db 0
 * ```
 *
 * @module
 */
export type {
  ClientState,
  ForwardFlags,
  Fragment,
  Merger,
  Protocol,
  RequestParser,
  RequestSink,
  ResponseParser,
} from "../types.ts";
export { RedisProtocol, type RedisProtocolOptions, RESP2, RESP3 } from "./protocol.ts";
export { RedisClientState } from "./client_state.ts";
export { RedisRequestParser } from "./request_parser.ts";
export { RedisResponseParser } from "./response_parser.ts";
