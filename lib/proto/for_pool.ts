/**
 * Builds the protocol object of one pool from its configuration: Redis
 * (with the pool's AUTH password, db and INFO text) or memcached (with its
 * `version` and `stats` text). The one place that chooses between them.
 *
 * @module
 */
import type { PoolConfig } from "../config/types.ts";
import type { Protocol } from "./types.ts";
import type { PoolView } from "./pool_view.ts";
import { RedisProtocol } from "./redis/protocol.ts";
import { redisInfo } from "./redis/info.ts";
import { MemcacheProtocol } from "./memcache/protocol.ts";
import { memcachedVersion, memcacheStats } from "./memcache/stats_text.ts";

/**
 * The protocol for pool `pc`; `view` gives the pool (generation) in force
 * when a client asks for INFO or stats, or null before it exists.
 */
export function protocolFor(
  pc: PoolConfig,
  version: string,
  view: () => PoolView | null,
): Protocol {
  if (pc.redis) {
    return new RedisProtocol({
      auth: pc.redisAuth,
      db: pc.redisDb,
      version,
      info: () => redisInfo(version, view()),
    });
  }
  return new MemcacheProtocol({
    version: memcachedVersion(version),
    stats: () => memcacheStats(version, view()),
  });
}

/**
 * Whether two pool settings give the same protocol object behaviour
 * (same protocol, same AUTH password, same db): then a client accepted
 * under one may be served by a pool built from the other.
 */
export function sameProtocol(a: PoolConfig, b: PoolConfig): boolean {
  return a.redis === b.redis && a.redisAuth === b.redisAuth && a.redisDb === b.redisDb;
}
