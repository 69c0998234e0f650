/**
 * Turns a socket error into the short reason clients see after `-ERR ` or
 * `SERVER_ERROR `, worded like strerror() as twemproxy does
 * (`Connection refused`, `Connection reset by peer`, `Connection timed out`).
 *
 * @module
 */

/** Reason for a request that got no reply within the pool's `timeout`. */
export const TIMED_OUT = "Connection timed out";
/** Reason when the server closed the connection with requests pending. */
export const CLOSED_BY_SERVER = "Connection closed by server";
/** Reason when a Sentinel-followed master's address is not known yet. */
export const NO_ADDRESS = "Master address unknown: no sentinel has answered";
/** Reason for requests in flight on a master the sentinels replaced. */
export const MASTER_SWITCHED = "Master switched by sentinel; request not known to be done";
/** Reason when no server of the pool is live (all ejected). */
export const NO_SERVER = "Host is down";

/** The strerror-like reason for `err`. */
export function reasonOf(err: unknown): string {
  if (err instanceof Deno.errors.ConnectionRefused) return "Connection refused";
  if (err instanceof Deno.errors.ConnectionReset) return "Connection reset by peer";
  if (err instanceof Deno.errors.ConnectionAborted) return "Software caused connection abort";
  if (err instanceof Deno.errors.TimedOut) return TIMED_OUT;
  if (err instanceof Deno.errors.BrokenPipe) return "Broken pipe";
  if (err instanceof Deno.errors.NotFound) return "No such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (err instanceof Deno.errors.AddrNotAvailable) return "Cannot assign requested address";
  if (err instanceof Deno.errors.NotConnected) return "Transport endpoint is not connected";
  if (err instanceof Deno.errors.UnexpectedEof) return "Connection closed without TLS close_notify";
  if (err instanceof Error) {
    const m = /^(.*?) \(os error \d+\)/.exec(err.message);
    if (m?.[1]) return m[1];
    return err.message.split("\n")[0] || err.name;
  }
  return String(err);
}
