/**
 * Where auto-ejection is decided. A pool reports each failure of a server
 * (a connection closed on an error) and its first response after failures
 * to an {@link EjectionAuthority}; the authority counts, decides when the
 * server leaves the ring (server_failure_limit) and when it comes back
 * (server_retry_timeout), and has the pool apply it ({@link Ejectable}).
 *
 * One event loop (`--workers 1`) decides on the spot ({@link LOCAL_EJECTION}:
 * the count is the server's own, the pool times the return). With several
 * workers the main thread decides once for the process (lib/runtime/
 * ejection_board.ts) and every worker applies what it broadcasts, so no two
 * workers place a key differently for longer than a message takes. Both
 * use the same rule, {@link ejectionDue}.
 *
 * @module
 */
import type { Address } from "../config/types.ts";

/**
 * nutcracker's rule: with auto_eject_hosts, a server not already ejected
 * leaves the ring once its consecutive failures reach server_failure_limit.
 */
export function ejectionDue(
  failures: number,
  limit: number,
  autoEject: boolean,
  ejected: boolean,
): boolean {
  return autoEject && !ejected && failures >= limit;
}

/** A server as ejection sees it. */
export interface EjectableServer {
  readonly name: string;
  readonly address: Address;
  /** Consecutive failures known to this loop since the last response; non-zero until a response. */
  failures: number;
  /** Ejected until this time (ms since the epoch), or until told (Infinity); 0 = live. */
  retryAt: number;
}

/** What an authority has a pool do. */
export interface Ejectable<S extends EjectableServer = EjectableServer> {
  readonly name: string;
  readonly autoEject: boolean;
  readonly failureLimit: number;
  /** server_retry_timeout in ms. */
  readonly retryTimeout: number;
  /**
   * Takes `server` out of the ring from `at` (ms since the epoch) until
   * `until` (Infinity: until {@link readmit}); `counted` adds one to
   * server_ejects (one loop counts each ejection); `failures` is for the log.
   */
  eject(server: S, at: number, until: number, counted: boolean, failures: number): void;
  /** Puts an ejected `server` back in the ring. */
  readmit(server: S): void;
}

/** Decides the ejections of the pools that consult it. */
export interface EjectionAuthority {
  /** `server` of `pool` failed once. */
  failure<S extends EjectableServer>(pool: Ejectable<S>, server: S): void;
  /** `server` of `pool` responded while its `failures` was non-zero. */
  recovered<S extends EjectableServer>(pool: Ejectable<S>, server: S): void;
  /**
   * Whether the pool brings an ejected server back itself at its retryAt
   * (true for one loop); false when the authority tells it ({@link Ejectable.readmit}).
   */
  readonly poolTimesReturn: boolean;
}

/** One event loop's authority: counts on the server, decides at once, the pool times the return. */
export const LOCAL_EJECTION: EjectionAuthority = {
  failure(pool, server) {
    server.failures++;
    if (ejectionDue(server.failures, pool.failureLimit, pool.autoEject, server.retryAt !== 0)) {
      const now = Date.now();
      const failures = server.failures;
      // As twemproxy's server_failure: the count starts again at the
      // ejection, so a server back after its retry timeout needs
      // server_failure_limit new failures to be ejected again.
      server.failures = 0;
      pool.eject(server, now, now + pool.retryTimeout, true, failures);
    }
  },
  recovered(_pool, server) {
    server.failures = 0;
  },
  poolTimesReturn: true,
};
