/**
 * Modula distribution, bit-exact with twemproxy's `modula_update` /
 * `modula_dispatch`: one slot per unit of weight of each live server, in
 * twemproxy's internal (name-sorted) server order; the key goes to
 * `slots[hash % nslots]`.
 *
 * The slots are kept as cumulative weights (binary search, O(log servers))
 * rather than one array entry per unit of weight; the mapping is the same.
 *
 * @module
 */
import type { Distribution, DistributionBuilder, DistServer } from "./types.ts";
import { checkServers, twemproxyServerOrder } from "./server_order.ts";

/** Live servers with the cumulative weight at the end of each one's slots. */
class ModulaDistribution implements Distribution {
  readonly #ends: Float64Array;
  readonly #owners: Int32Array;
  readonly #total: number;

  constructor(ends: Float64Array, owners: Int32Array) {
    this.#ends = ends;
    this.#owners = owners;
    this.#total = ends.length === 0 ? 0 : ends[ends.length - 1];
  }

  /** Server owning slot `hash % nslots`, or -1 when no server is live. */
  pick(hash: number): number {
    const ends = this.#ends;
    const n = ends.length;
    if (n === 0) return -1;
    const slot = hash % this.#total;
    let left = 0;
    let right = n - 1;
    while (left < right) {
      const mid = (left + right) >>> 1;
      if (ends[mid] <= slot) left = mid + 1;
      else right = mid;
    }
    return this.#owners[left];
  }
}

/** Builds twemproxy's modula slot table over the live servers. */
export const modula: DistributionBuilder = (
  servers: readonly DistServer[],
  live: readonly boolean[],
): Distribution => {
  checkServers(servers, live);
  const order = twemproxyServerOrder(servers).filter((i) => live[i]);
  const ends = new Float64Array(order.length);
  const owners = new Int32Array(order.length);
  let total = 0;
  order.forEach((i, k) => {
    total += servers[i].weight;
    ends[k] = total;
    owners[k] = i;
  });
  return new ModulaDistribution(ends, owners);
};
