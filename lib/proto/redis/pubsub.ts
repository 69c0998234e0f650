/**
 * Pub/sub through the proxy (work in progress).
 *
 * @module
 */
import type { RequestSink } from "../types.ts";
import type { RedisClientState } from "./client_state.ts";
import { unsupported } from "./errors.ts";
import type { Session, SessionHost, SessionRequest } from "./session.ts";

/** One subscribed client. */
export class Subscriber implements Session {
  readonly #state: RedisClientState;
  constructor(state: RedisClientState) {
    this.#state = state;
  }
  handle(r: SessionRequest, _host: SessionHost): boolean {
    this.#state.session = null;
    r.sink.local(unsupported(r.spec.name));
    return true;
  }
  refused(sink: RequestSink, reply: Uint8Array): void {
    sink.local(reply);
  }
}
