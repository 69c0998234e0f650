/** What a distribution needs to know of one server of a pool. */
export interface DistServer {
  /** Server name: the ketama input (`name`, or `host:port`, or `host` for port 11211). */
  readonly name: string;
  /** Weight from the server line (>= 1). */
  readonly weight: number;
}

/**
 * Picks the server for a key hash. Built from the pool's servers and which
 * of them are live; rebuilt when that changes (ejection, retry).
 */
export interface Distribution {
  /** Index into the pool's full server list (live servers only), or -1 when none is live. */
  pick(hash: number): number;
}

/**
 * Builds a distribution. `servers` is the pool's full list in config order;
 * `live[i]` says whether server i takes part (false = ejected).
 */
export type DistributionBuilder = (
  servers: readonly DistServer[],
  live: readonly boolean[],
) => Distribution;

/** The distribution names twemproxy accepts in `distribution:`. */
export const DISTRIBUTION_NAMES = ["ketama", "modula", "random"] as const;

/** One of {@link DISTRIBUTION_NAMES}. */
export type DistributionName = typeof DISTRIBUTION_NAMES[number];
