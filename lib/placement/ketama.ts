/**
 * Ketama consistent hashing, bit-exact with twemproxy's `ketama_update` /
 * `ketama_dispatch`.
 *
 * - Only live servers take part; each gets
 *   `floorf(pct * 160 / 4 * nlive + 1e-10) * 4` points, pct = weight / total
 *   live weight, in single precision as the C code computes it.
 * - Points come 4 per MD5 digest of `name-i` (i = 0 .. points/4 - 1), each
 *   point one little-endian word of the digest. twemproxy formats `name-i`
 *   into a 273-byte buffer, so it hashes at most its first 272 bytes.
 * - Servers are added in twemproxy's internal (name-sorted) order and the
 *   points are sorted ascending with a stable sort (glibc's merge-sort qsort),
 *   so among equal points the earlier server in that order wins.
 * - Lookup: the first point >= hash, wrapping to the first point.
 *
 * @module
 */
import type { Distribution, DistributionBuilder, DistServer } from "./types.ts";
import { md5Words } from "../hash/md5.ts";
import { checkServers, twemproxyServerOrder } from "./server_order.ts";

/** Ketama points per server at equal weights. */
export const KETAMA_POINTS_PER_SERVER = 160;
/** twemproxy's `KETAMA_MAX_HOSTLEN`: `name-i` is cut to this minus one bytes. */
export const KETAMA_MAX_HOSTLEN = 273;

const encoder = new TextEncoder();

/**
 * Points a live server gets on the continuum, computed like twemproxy:
 * `(uint32_t)(floorf((float)(pct * 160 / 4 * (float)nlive + 1e-10)) * 4)`
 * with `pct = (float)weight / (float)totalWeight` (single precision).
 */
export function ketamaPoints(weight: number, totalWeight: number, nlive: number): number {
  const f = Math.fround;
  const pct = f(f(weight) / f(totalWeight));
  const x = f(f(f(pct * KETAMA_POINTS_PER_SERVER) / 4) * f(nlive));
  return Math.floor(f(x + 0.0000000001)) * 4;
}

/** A built continuum: sorted points and the server index owning each. */
class KetamaDistribution implements Distribution {
  readonly #points: Uint32Array;
  readonly #owners: Int32Array;

  constructor(points: Uint32Array, owners: Int32Array) {
    this.#points = points;
    this.#owners = owners;
  }

  /** Server index of the first point >= hash (wrapping), or -1 when no server is live. */
  pick(hash: number): number {
    const points = this.#points;
    const n = points.length;
    if (n === 0) return -1;
    let left = 0;
    let right = n;
    while (left < right) {
      const mid = (left + right) >>> 1;
      if (points[mid] < hash) left = mid + 1;
      else right = mid;
    }
    return this.#owners[right === n ? 0 : right];
  }
}

/** Builds twemproxy's ketama continuum over the live servers. */
export const ketama: DistributionBuilder = (
  servers: readonly DistServer[],
  live: readonly boolean[],
): Distribution => {
  checkServers(servers, live);
  const order = twemproxyServerOrder(servers).filter((i) => live[i]);
  let totalWeight = 0;
  for (const i of order) totalWeight += servers[i].weight;
  const nlive = order.length;

  const values: number[] = [];
  const owners: number[] = [];
  const words = new Uint32Array(4);
  for (const i of order) {
    const count = ketamaPoints(servers[i].weight, totalWeight, nlive);
    for (let p = 0; p < count / 4; p++) {
      const host = encoder.encode(`${servers[i].name}-${p}`);
      const len = Math.min(host.length, KETAMA_MAX_HOSTLEN - 1);
      md5Words(host, 0, len, words);
      for (let x = 0; x < 4; x++) {
        values.push(words[x]);
        owners.push(i);
      }
    }
  }

  // Stable ascending sort of the points (ties keep insertion order).
  const perm = values.map((_, k) => k);
  perm.sort((a, b) => values[a] - values[b] || a - b);
  const points = new Uint32Array(perm.length);
  const pointOwners = new Int32Array(perm.length);
  for (let k = 0; k < perm.length; k++) {
    points[k] = values[perm[k]];
    pointOwners[k] = owners[perm[k]];
  }
  return new KetamaDistribution(points, pointOwners);
};
