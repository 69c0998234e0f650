/**
 * A fixed-bucket latency histogram (Prometheus style: cumulative when
 * exported, from 100 µs to 10 s). Recording is a few comparisons and two
 * additions, with no allocation, so it can sit on the hot path. Histograms
 * of several workers are summed bucket by bucket.
 *
 * @module
 */

/** Upper bounds of the buckets, in seconds (a last +Inf bucket is implied). */
export const LATENCY_BUCKETS: readonly number[] = [
  0.0001,
  0.00025,
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
];

const BOUNDS_MS = new Float64Array(LATENCY_BUCKETS.map((s) => s * 1000));

/** Counts of observations per bucket, their number and their sum. */
export class Histogram {
  /** Non-cumulative counts; the last slot is +Inf. */
  readonly counts: Float64Array = new Float64Array(LATENCY_BUCKETS.length + 1);
  /** Number of observations. */
  count = 0;
  /** Sum of observations, in seconds. */
  sum = 0;

  /** Records one latency given in milliseconds. */
  record(ms: number): void {
    let i = 0;
    const n = BOUNDS_MS.length;
    while (i < n && ms > BOUNDS_MS[i]!) i++;
    this.counts[i]!++;
    this.count++;
    this.sum += ms / 1000;
  }

  /** Adds `other`'s observations to this one (merging workers). */
  add(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
  }

  /** A copy. */
  clone(): Histogram {
    const h = new Histogram();
    h.add(this);
    return h;
  }

  /** The value below which `q` (0..1) of the observations fall, in seconds (bucket upper bound). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= target) return i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : Infinity;
    }
    return Infinity;
  }
}
