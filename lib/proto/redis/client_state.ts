/**
 * What the proxy remembers about one Redis client connection: whether it
 * has authenticated, the RESP version it speaks (which picks the server
 * connections its requests travel on), and the connection attributes Redis
 * clients set (CLIENT SETNAME, CLIENT SETINFO).
 *
 * @module
 */
import type { ClientState } from "../types.ts";
import type { Session } from "./session.ts";
import type { RespVersion } from "./encode.ts";

/** Per-client state of the Redis protocol. */
export class RedisClientState implements ClientState {
  /** Connection id (CLIENT ID, HELLO), unique per protocol instance. */
  readonly id: number;
  /** The name set by CLIENT SETNAME / HELLO SETNAME, or null. */
  name: Uint8Array | null = null;
  /** CLIENT SETINFO LIB-NAME, or null. */
  libName: Uint8Array | null = null;
  /** CLIENT SETINFO LIB-VER, or null. */
  libVer: Uint8Array | null = null;
  /**
   * The server connection set the client's requests travel on: 0 (RESP2)
   * or 1 (RESP3), which is also the RESP version less 2. HELLO changes it.
   */
  connSet = 0;
  /** A transaction or subscriptions on dedicated server connections, or null. */
  session: Session | null = null;
  #authRequired: boolean;
  #authenticated = false;

  /**
   * Creates the state of a new connection.
   *
   * @param id the connection id
   * @param authRequired whether the pool has a `redis_auth` password
   */
  constructor(id: number, authRequired: boolean) {
    this.id = id;
    this.#authRequired = authRequired;
  }

  /** The RESP version the client speaks (HELLO 3 switches to 3). */
  get resp(): RespVersion {
    return this.connSet === 1 ? 3 : 2;
  }

  /** Whether the client may run commands (no password set, or AUTH done). */
  get authenticated(): boolean {
    return !this.#authRequired || this.#authenticated;
  }

  /** Whether the client may send large requests (same as {@link authenticated}). */
  get trusted(): boolean {
    return this.authenticated;
  }

  /** Records a successful AUTH. */
  authenticate(): void {
    this.#authenticated = true;
  }

  /** Back to a fresh connection's state (RESET): RESP2, no name, not authenticated. */
  reset(): void {
    this.#authenticated = false;
    this.connSet = 0;
    this.name = null;
    this.libName = null;
    this.libVer = null;
  }
}
