/**
 * What a protocol may read of the pool it serves, for the text it answers
 * locally (Redis INFO, memcached `stats`): a narrow, read-only view, so the
 * protocols never import the pool (imports run pool -> proto, not back).
 * The view is read at the moment a client asks, so after a reload it shows
 * the pool generation in force.
 *
 * @module
 */
import type { PoolStats } from "../stats/metrics.ts";

/** A read-only view of one pool. */
export interface PoolView {
  /** The pool's name. */
  readonly name: string;
  /** Number of servers in the pool. */
  readonly serverCount: number;
  /** The pool's live counters. */
  readonly stats: PoolStats;
}
