/**
 * Parsers for the load generators' output: redis-benchmark `--csv` (Redis 7
 * prints rps and p50/p99 latency per test) and memcaslap (operations, run
 * time, and a log2 latency histogram from which p50/p99 are interpolated).
 *
 * @module
 */

/** One redis-benchmark test. */
export interface RedisBenchRow {
  /** Test name ("SET", "GET", or the custom command line). */
  readonly test: string;
  /** Requests per second. */
  readonly rps: number;
  /** Median latency (ms). */
  readonly p50Ms: number;
  /** 99th percentile latency (ms). */
  readonly p99Ms: number;
}

/** Splits one CSV line with double-quoted fields. */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let field = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else {
          field += line[i++];
        }
      }
      out.push(field);
      i++; // the comma
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end));
      i = end + 1;
    }
  }
  return out;
}

/** Parses `redis-benchmark --csv` output (Redis 7 columns); throws when no row is found. */
export function parseRedisCsv(text: string): RedisBenchRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.startsWith('"'));
  const header = lines.map(csvFields).find((f) => f[0] === "test");
  if (!header) throw new Error(`no CSV header in redis-benchmark output: ${text.slice(0, 300)}`);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark CSV has no "${name}" column (Redis < 7?)`);
    return i;
  };
  const [rps, p50, p99] = [col("rps"), col("p50_latency_ms"), col("p99_latency_ms")];
  const rows: RedisBenchRow[] = [];
  for (const fields of lines.map(csvFields)) {
    if (fields[0] === "test") continue;
    const row = {
      test: fields[0] ?? "",
      rps: Number(fields[rps]),
      p50Ms: Number(fields[p50]),
      p99Ms: Number(fields[p99]),
    };
    if (![row.rps, row.p50Ms, row.p99Ms].every(Number.isFinite)) {
      throw new Error(`bad redis-benchmark CSV row: ${fields.join(",")}`);
    }
    rows.push(row);
  }
  if (rows.length === 0) {
    throw new Error(`no rows in redis-benchmark output: ${text.slice(0, 300)}`);
  }
  return rows;
}

/** A memcaslap run. */
export interface MemcaslapSummary {
  /** Commands (a multi-get counts once) completed, from "Total Statistics (N events)". */
  readonly commands: number;
  /** Run time (s). */
  readonly seconds: number;
  /** Commands per second. */
  readonly commandsPerSec: number;
  /** Keys per second as memcaslap counts them (a multi-get counts each key): its TPS. */
  readonly keysPerSec: number;
  /** Median latency (ms), interpolated in the log2 histogram. */
  readonly p50Ms: number;
  /** 99th percentile latency (ms), interpolated in the log2 histogram. */
  readonly p99Ms: number;
  /** Gets that missed. */
  readonly getMisses: number;
  /** Lines reporting an ERROR, CLIENT_ERROR or SERVER_ERROR reply. */
  readonly errorReplies: number;
}

/**
 * memcaslap's histogram: counts[e] is the number of commands that took
 * more than 2^(e-1) and at most 2^e microseconds (e = 0: at most 1 us).
 */
export type Log2Histogram = ReadonlyMap<number, number>;

/** Value (us) below which a fraction `q` of the histogram lies, interpolated linearly in its bucket. */
export function log2Percentile(hist: Log2Histogram, q: number): number {
  const buckets = [...hist.entries()].sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return NaN;
  const want = q * total;
  let below = 0;
  for (const [e, n] of buckets) {
    if (n > 0 && below + n >= want) {
      const lo = e === 0 ? 0 : 2 ** (e - 1);
      const hi = 2 ** e;
      return lo + ((want - below) / n) * (hi - lo);
    }
    below += n;
  }
  return 2 ** (buckets[buckets.length - 1]![0]);
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** The "Log2 Dist:" histogram that follows `heading` (e.g. "Total Statistics ("). */
export function log2HistogramAfter(text: string, heading: string): Log2Histogram {
  const start = text.lastIndexOf(heading);
  if (start < 0) throw new Error(`memcaslap output has no "${heading}"`);
  const lines = text.slice(start).split("\n");
  const distAt = lines.findIndex((l) => l.includes("Log2 Dist:"));
  if (distAt < 0) throw new Error(`memcaslap output has no histogram after "${heading}"`);
  const hist = new Map<number, number>();
  for (const line of lines.slice(distAt + 1)) {
    const m = /^\s*(\d+):((?:\s+\d+)+)\s*$/.exec(line);
    if (!m) break;
    const first = Number(m[1]);
    m[2]!.trim().split(/\s+/).forEach((n, k) => hist.set(first + k, Number(n)));
  }
  if (hist.size === 0) throw new Error(`empty histogram after "${heading}"`);
  return hist;
}

/** Parses memcaslap output run with `-S` equal to `-t` (so the histograms are printed). */
export function parseMemcaslap(raw: string): MemcaslapSummary {
  const text = raw.replace(ANSI, "");
  const events = /Total Statistics \((\d+) events\)/.exec(text);
  const run = /Run time: ([\d.]+)s Ops: (\d+) TPS: (\d+)/.exec(text);
  if (!events || !run) throw new Error(`unexpected memcaslap output: ${text.slice(-400)}`);
  const commands = Number(events[1]);
  const seconds = Number(run[1]);
  const hist = log2HistogramAfter(text, "Total Statistics (");
  const misses = /get_misses: (\d+)/.exec(text);
  return {
    commands,
    seconds,
    commandsPerSec: seconds > 0 ? commands / seconds : NaN,
    keysPerSec: Number(run[3]),
    p50Ms: log2Percentile(hist, 0.5) / 1000,
    p99Ms: log2Percentile(hist, 0.99) / 1000,
    getMisses: misses ? Number(misses[1]) : 0,
    errorReplies: (text.match(/^<\d+ (?:SERVER_|CLIENT_)?ERROR/gm) ?? []).length,
  };
}
