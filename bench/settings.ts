/**
 * Every size, duration and limit of the benchmark, for the full run and for
 * `--quick`. Change them here, nowhere else.
 *
 * @module
 */

/** Tunables of one benchmark mode. */
export interface Settings {
  /** "full" (default) or "quick" (`--quick`). */
  readonly mode: "full" | "quick";
  /** Measured rounds; each round runs every load on every target, order rotated. */
  readonly rounds: number;
  /** Whether a warm-up round runs first (it also calibrates request counts). */
  readonly warmUp: boolean;
  /** Target length of one redis-benchmark test (seconds); request counts are calibrated to it. */
  readonly runSeconds: number;
  /** Load generator of the memcached loads: bench/mcload.ts, or memcaslap (`--memcaslap`). */
  readonly memcachedTool: "mcload" | "memcaslap";
  /** Length of one memcached run (whole seconds: memcaslap takes no fractions). */
  readonly memcachedSeconds: number;
  /** Length of the memcached warm-up run per target (whole seconds; 0: none). */
  readonly memcachedWarmupSeconds: number;
  /** Requests per redis-benchmark test in the calibration / warm-up run, by load. */
  readonly warmupRequests: Readonly<Record<string, number>>;
  /** Lower and upper bounds for calibrated request counts (per test). */
  readonly minRequests: number;
  /** Upper bound for calibrated request counts (per test). */
  readonly maxRequests: number;
  /** Upper bound for the connection-churn loads (each request is a new connection). */
  readonly maxChurnRequests: number;
  /** Bounds for the number of 10,000-key MGETs per run. */
  readonly bigMgetMinReps: number;
  /** Upper bound for the number of 10,000-key MGETs per run. */
  readonly bigMgetMaxReps: number;
  /** Idle client connections opened against each proxy for the memory test. */
  readonly idleConnections: number;
  /** Connections opened concurrently per batch in the idle test. */
  readonly idleBatch: number;
  /** A tool run is killed (and recorded as failed) after this many seconds. */
  readonly runTimeoutSeconds: number;
  /** Runs that would start after this many seconds are skipped (keeps the whole run bounded). */
  readonly budgetSeconds: number;
  /** Interval between RSS samples while loads run (ms). */
  readonly rssSampleMs: number;
  /**
   * `--only a,b`: run only the loads whose id contains one of these strings
   * (and skip the idle-connections test); empty: every load.
   */
  readonly only?: readonly string[];
}

/** Redis keys `key:000000000000` .. `key:000000099999` (redis-benchmark's `-r` format). */
export const KEYSPACE = 100_000;
/** Keys in the big MGET (the first this many of the keyspace). */
export const BIG_MGET_KEYS = 10_000;
/** Value stored in every pre-populated redis key (redis-benchmark's default 3-byte size). */
export const REDIS_VALUE = "xxx";
/** memcached keys `mc:000000000000` .. (pre-populated; mcload picks among them). */
export const MC_KEYSPACE = 100_000;
/** memcaslap key size (bytes; mcload's keys are 15 bytes). */
export const MC_KEY_BYTES = 32;
/** Value size of memcached sets (bytes). */
export const MC_VALUE_BYTES = 32;
/** Keys per get in the memcached multi-get load. */
export const MC_MULTIGET_KEYS = 10;
/** Clients (connections) of the ordinary loads. */
export const CLIENTS = 50;
/** Clients of the many-clients load. */
export const MANY_CLIENTS = 500;
/** Pipeline depth of the pipelined load. */
export const PIPELINE = 16;
/** Keys per MGET in the small-MGET load. */
export const MGET_KEYS = 10;
/** Keys per MGET in the larger-MGET load. */
export const MGET_KEYS_LARGE = 100;
/** Keys per DEL and per MSET in the split-write loads. */
export const WRITE_KEYS = 10;
/** Servers per pool: every proxy runs one redis and one memcached pool of each size. */
export const POOL_SIZES = [1, 2, 4] as const;
/** A pool size. */
export type PoolSize = (typeof POOL_SIZES)[number];
/** Backends of each kind started (the largest pool). */
export const BACKENDS = 4;
/** Threads of the memcached load generator (the machine this was written for has 2 cores). */
export const MC_LOAD_THREADS = 2;
/** Target: a 10,000-key MGET through nutmeg (over 2 servers) takes at most this times direct. */
export const BIG_MGET_TARGET = 1.3;

/** The full run: 3 rounds, about 10 minutes on a 2-core machine (at most 12). */
export const FULL: Settings = {
  mode: "full",
  rounds: 3,
  warmUp: true,
  runSeconds: 2,
  memcachedTool: "mcload",
  memcachedSeconds: 2,
  memcachedWarmupSeconds: 1,
  warmupRequests: {
    p1: 10_000,
    p16: 100_000,
    mget10: 10_000,
    mget100: 3_000,
    c500: 10_000,
    mget10k: 5,
    churn: 3_000,
  },
  minRequests: 2_000,
  maxRequests: 5_000_000,
  maxChurnRequests: 20_000,
  bigMgetMinReps: 10,
  bigMgetMaxReps: 2_000,
  idleConnections: 10_000,
  idleBatch: 250,
  runTimeoutSeconds: 30,
  budgetSeconds: 630,
  rssSampleMs: 100,
};

/**
 * `--quick`: one short round without a warm-up (fixed request counts),
 * under 2 minutes: to see that everything works, not to compare.
 */
export const QUICK: Settings = {
  mode: "quick",
  rounds: 1,
  warmUp: false,
  runSeconds: 0.5,
  memcachedTool: "mcload",
  memcachedSeconds: 1,
  memcachedWarmupSeconds: 0,
  warmupRequests: {
    p1: 6_000,
    p16: 60_000,
    mget10: 4_000,
    mget100: 1_500,
    c500: 6_000,
    mget10k: 3,
    churn: 1_500,
  },
  minRequests: 1_000,
  maxRequests: 2_000_000,
  maxChurnRequests: 5_000,
  bigMgetMinReps: 5,
  bigMgetMaxReps: 500,
  idleConnections: 10_000,
  idleBatch: 250,
  runTimeoutSeconds: 30,
  budgetSeconds: 100,
  rssSampleMs: 100,
};

/** Parses the command line: `--quick` selects QUICK, `--memcaslap` the C generator, `--help`. */
export function parseArgs(args: readonly string[]): Settings | "help" {
  let settings: Settings = FULL;
  let memcaslap = false;
  let only: string[] = [];
  let rounds: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--quick" || arg === "-q") settings = QUICK;
    else if (arg === "--memcaslap") memcaslap = true;
    else if (arg === "--help" || arg === "-h") return "help";
    else if (arg === "--only" || arg === "--rounds") {
      const value = args[++i];
      if (value === undefined) throw new Error(`${arg} needs a value (try --help)`);
      if (arg === "--only") only = value.split(",").filter((v) => v !== "");
      else {
        rounds = Number(value);
        if (!Number.isInteger(rounds) || rounds < 1) {
          throw new Error(`--rounds ${value}: give a whole number of rounds, 1 or more`);
        }
      }
    } else throw new Error(`unknown argument ${arg} (try --help)`);
  }
  return {
    ...settings,
    ...(memcaslap ? { memcachedTool: "memcaslap" as const } : {}),
    ...(only.length > 0 ? { only } : {}),
    ...(rounds !== undefined ? { rounds } : {}),
  };
}

/** Usage text for `--help`. */
export const USAGE = `Usage: deno task bench [--quick] [--only ids] [--rounds N]

Benchmarks nutmeg against nutcracker (twemproxy) and direct access to
redis-server and memcached, all started on free 127.0.0.1 ports.

  --quick      one round of short runs (under 2 minutes) instead of ${FULL.rounds} rounds
  --memcaslap  drive the memcached loads with memcaslap instead of bench/mcload.ts
  --only a,b   run only the loads whose id contains "a" or "b" (e.g. mget10_c50_s2),
               without the idle-connections test: for profiling one load
  --rounds N   measured rounds (default ${FULL.rounds}; --quick: ${QUICK.rounds})
  --help       this text

Results: a table on stdout, bench/results/<timestamp>.json,
bench/results/latest.json and bench/results/latest.svg.`;
