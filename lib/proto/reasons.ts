/**
 * The reasons the core gives a protocol's `errorReply` when it cannot get a
 * request served, worded like strerror() as twemproxy does. They live beside
 * the protocol interface, not in `lib/net/`, so that a protocol that must say
 * one itself (memcached's `SERVER_ERROR Host is down` for a multi-key get
 * with no live server) spells it exactly as the core does without importing
 * the core. `lib/net/reason.ts` re-exports them with the socket errors.
 *
 * @module
 */

/** Reason for a request that got no reply within the pool's `timeout`. */
export const TIMED_OUT = "Connection timed out";
/** Reason when the server closed the connection with requests pending. */
export const CLOSED_BY_SERVER = "Connection closed by server";
/** Reason when no server of the pool is live (all ejected). */
export const NO_SERVER = "Host is down";
