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

/** Most buckets of the lookup index (2^16: 256 KiB, for pools of 200,000 servers). */
const MAX_BUCKET_BITS = 16;

/**
 * A built continuum: sorted points, the server index owning each, and an
 * index of the points by their top bits. A lookup by binary search over
 * the 160 points per server took about 26 ns on the machine this was
 * written on (a 10,000-key MGET looks up 10,000 keys); with the index it
 * searches only the points of one bucket, mostly none.
 */
class KetamaDistribution implements Distribution {
  readonly #points: Uint32Array;
  readonly #owners: Int32Array;
  /** `#first[b]`: index of the first point >= `b << #shift`; `#first[buckets]` = points. */
  readonly #first: Int32Array;
  readonly #shift: number;

  constructor(points: Uint32Array, owners: Int32Array) {
    this.#points = points;
    this.#owners = owners;
    // About 8 buckets per point, so that most buckets hold no point.
    let bits = 8;
    while (bits < MAX_BUCKET_BITS && 1 << bits < points.length * 8) bits++;
    const buckets = 1 << bits;
    this.#shift = 32 - bits;
    const first = new Int32Array(buckets + 1);
    let p = 0;
    for (let b = 0; b < buckets; b++) {
      const low = b * 2 ** this.#shift;
      while (p < points.length && points[p]! < low) p++;
      first[b] = p;
    }
    first[buckets] = points.length;
    this.#first = first;
  }

  /** Server index of the first point >= hash (wrapping), or -1 when no server is live. */
  pick(hash: number): number {
    const points = this.#points;
    const n = points.length;
    if (n === 0) return -1;
    // The first point >= hash lies between the first points of its bucket and of the next.
    const b = hash >>> this.#shift;
    let left = this.#first[b]!;
    let right = this.#first[b + 1]!;
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

  // Typed arrays sized up front, and a stable radix sort: linear in the
  // number of points (a comparison sort of 32 million points for 200,000
  // servers took most of a minute and gigabytes).
  const counts = order.map((i) => ketamaPoints(servers[i].weight, totalWeight, nlive));
  let total = 0;
  for (const c of counts) total += c;
  const values = new Uint32Array(total);
  const owners = new Int32Array(total);
  const words = new Uint32Array(4);
  // `name-p` is built in place: the name's bytes once, then the digits of p.
  const host = new Uint8Array(KETAMA_MAX_HOSTLEN + 16);
  let at = 0;
  for (let o = 0; o < order.length; o++) {
    const i = order[o];
    const name = encoder.encode(servers[i].name);
    const prefix = Math.min(name.length, KETAMA_MAX_HOSTLEN);
    host.set(name.subarray(0, prefix));
    host[prefix] = 0x2d; // '-'
    for (let p = 0; p < counts[o] / 4; p++) {
      let len = prefix + 1 + writeDigits(host, prefix + 1, p);
      len = Math.min(len, KETAMA_MAX_HOSTLEN - 1);
      md5Words(host, 0, len, words);
      for (let x = 0; x < 4; x++) {
        values[at] = words[x];
        owners[at] = i;
        at++;
      }
    }
  }
  const [points, pointOwners] = stableSortByValue(values, owners);
  return continuum(points, pointOwners);
};

/**
 * The distribution over a sorted continuum: `points` ascending, `owners[i]`
 * the server index of point i (the arrays are kept, not copied).
 */
export function continuum(points: Uint32Array, owners: Int32Array): Distribution {
  return new KetamaDistribution(points, owners);
}

/** Writes the decimal digits of `n` at `buf[at..]`; returns how many. */
function writeDigits(buf: Uint8Array, at: number, n: number): number {
  if (n === 0) {
    buf[at] = 0x30;
    return 1;
  }
  let digits = 0;
  for (let m = n; m > 0; m = Math.floor(m / 10)) digits++;
  for (let k = digits - 1, m = n; k >= 0; k--, m = Math.floor(m / 10)) {
    buf[at + k] = 0x30 + (m % 10);
  }
  return digits;
}

/**
 * `values` sorted ascending with `owners` carried along, stably (equal
 * values keep their order): a two-pass least-significant-digit radix sort
 * on 16-bit digits, linear in the length. The input arrays are reused as
 * scratch space: pass copies to keep them.
 */
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
const RADIX_MASK = RADIX - 1;

export function stableSortByValue(
  values: Uint32Array,
  owners: Int32Array,
): [Uint32Array, Int32Array] {
  const n = values.length;
  let v: Uint32Array = values;
  let o: Int32Array = owners;
  let v2: Uint32Array = new Uint32Array(n);
  let o2: Int32Array = new Int32Array(n);
  // Three passes of 11, 11 and 10 bits: 2,048 buckets stay in the cache
  // while millions of points are scattered (two passes of 16 bits took
  // twice as long for 1.6 million points).
  const count = new Uint32Array(RADIX + 1);
  for (let shift = 0; shift < 32; shift += RADIX_BITS) {
    count.fill(0);
    for (let k = 0; k < n; k++) count[((v[k] >>> shift) & RADIX_MASK) + 1]++;
    for (let d = 1; d <= RADIX; d++) count[d] += count[d - 1];
    for (let k = 0; k < n; k++) {
      const value = v[k];
      const to = count[(value >>> shift) & RADIX_MASK]++;
      v2[to] = value;
      o2[to] = o[k];
    }
    const tv = v;
    v = v2;
    v2 = tv;
    const to = o;
    o = o2;
    o2 = to;
  }
  return [v, o];
}
