/**
 * Random distribution, like twemproxy's `random_dispatch`: each request goes
 * to a uniformly random live server (weights are ignored, as in twemproxy).
 *
 * @module
 */
import type { Distribution, DistributionBuilder, DistServer } from "./types.ts";
import { checkServers } from "./server_order.ts";

/** Picks among the live servers at random, ignoring the hash. */
class RandomDistribution implements Distribution {
  readonly #live: Int32Array;

  constructor(live: Int32Array) {
    this.#live = live;
  }

  /** A random live server's index, or -1 when none is live. */
  pick(_hash: number): number {
    const n = this.#live.length;
    if (n === 0) return -1;
    return this.#live[Math.floor(Math.random() * n)];
  }
}

/** Builds a random distribution over the live servers. */
export const random: DistributionBuilder = (
  servers: readonly DistServer[],
  live: readonly boolean[],
): Distribution => {
  checkServers(servers, live);
  const idx: number[] = [];
  for (let i = 0; i < servers.length; i++) if (live[i]) idx.push(i);
  return new RandomDistribution(Int32Array.from(idx));
};
