/**
 * Connection limits counted for the whole process. With one event loop a
 * pool counts its own clients against `client_connections` and a server its
 * own dedicated connections against `dedicated_connections`; with
 * `--workers N` every worker serves the same pools, so the counts are kept
 * in memory the workers share (lib/runtime/shared_quota.ts) and a pool
 * takes at most `client_connections` clients in all, as one nutcracker
 * would, whichever worker the kernel hands each client to.
 *
 * A count is named by a key that stays the same across reloads for the
 * same listen address (and server name), as the clients and the dedicated
 * connections move to the next generation with it.
 *
 * @module
 */

/** One shared count. */
export interface QuotaSlot {
  /** Counts one more unless the count is `limit` already (Infinity: no limit); false when refused. */
  take(limit: number): boolean;
  /** Counts one less (one taken before). */
  give(): void;
}

/** The process-wide counts, by key. */
export interface ConnectionQuota {
  /** The count named `key`, or null when it has none (then the pool counts alone). */
  slot(key: string): QuotaSlot | null;
}

/** The key of the clients of the pool at listen key `listen`. */
export function clientsKey(listen: string): string {
  return `clients\0${listen}`;
}

/** The key of the dedicated connections to server `server` of the pool at `listen`. */
export function dedicatedKey(listen: string, server: string): string {
  return `dedicated\0${listen}\0${server}`;
}
