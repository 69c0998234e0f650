/**
 * Turns a socket error into the short reason clients see after `-ERR ` or
 * `SERVER_ERROR `, worded like strerror() as twemproxy does
 * (`Connection refused`, `Connection reset by peer`, `Connection timed out`).
 *
 * The fixed reasons (timeout, closed by server, no live server) are defined
 * in `lib/proto/reasons.ts`, where protocols can use them too.
 *
 * @module
 */
import { TIMED_OUT } from "../proto/reasons.ts";

export { CLOSED_BY_SERVER, NO_SERVER, TIMED_OUT } from "../proto/reasons.ts";

/** Reason when a Sentinel-followed master's address is not known yet. */
export const NO_ADDRESS = "Master address unknown: no sentinel has answered";
/** Reason for requests in flight on a master the sentinels replaced. */
export const MASTER_SWITCHED = "Master switched by sentinel; request not known to be done";

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
