/**
 * nutcracker's command line: one table of flags (letters, long names,
 * defaults, ranges, help text) read by nutmeg's own reader (no node:util:
 * a `node:` import would start Deno's Node layer, a few MB at rest), the way
 * getopt_long reads them, in order: `-v5`, `-v 5`, `--verbose=5`, `--verbose 5`,
 * grouped letters (`-tc file`), unambiguous long prefixes (`--verb 5`), and a
 * value is taken even when it starts with `-`. `-?` asks for help.
 *
 * @module
 */
import type { RunOptions } from "./options.ts";
import { INT_MAX } from "../config/decimal.ts";
import { checkHost } from "../config/host.ts";
import { ValueError } from "../config/errors.ts";
import { LOG_LEVEL_DEFAULT, LOG_LEVEL_MAX, LOG_LEVEL_MIN } from "../log/levels.ts";

/** Smallest `-m` (twemproxy's MBUF_MIN_SIZE). */
export const MBUF_SIZE_MIN = 512;
/** Largest `-m` (twemproxy's MBUF_MAX_SIZE, 16 MiB). */
export const MBUF_SIZE_MAX = 16777216;

/** The run options when no flag is given. */
export const DEFAULT_RUN_OPTIONS: RunOptions = Object.freeze({
  confFile: "conf/nutcracker.yml",
  verbosity: LOG_LEVEL_DEFAULT,
  logFile: null,
  statsPort: 22222,
  statsAddr: "0.0.0.0",
  statsInterval: 30000,
  pidFile: null,
  mbufSize: 16384,
  daemonize: false,
  watch: false,
  workers: 1,
});

/** Most `--workers` accepted. */
export const WORKERS_MAX = 256;

/** What the command line asks for. */
export interface CliFlags {
  /** -h, --help (and -?) */
  readonly help: boolean;
  /** -V, --version */
  readonly version: boolean;
  /** -t, --test-conf */
  readonly testConf: boolean;
  /** -D, --describe-stats */
  readonly describeStats: boolean;
  /** Everything else, defaults applied. */
  readonly options: RunOptions;
}

type Kind = "switch" | "number" | "file" | "string";

/** One row of {@link FLAGS}. */
export interface FlagDef {
  /** The letter, e.g. `v`; null for nutmeg's long-only flags (nutcracker's letters stay its own). */
  readonly short: string | null;
  /** The long name, e.g. `verbose`. */
  readonly long: string;
  readonly kind: Kind;
  /** Help text, nutcracker's wording with nutmeg's defaults. */
  readonly help: string;
  /** Lowest accepted number (number flags). */
  readonly min?: number;
  /** Highest accepted number (number flags). */
  readonly max?: number;
}

/** Every flag, in nutcracker's usage order. */
export const FLAGS: readonly FlagDef[] = [
  { short: "h", long: "help", kind: "switch", help: "this help" },
  { short: "V", long: "version", kind: "switch", help: "show version and exit" },
  {
    short: "t",
    long: "test-conf",
    kind: "switch",
    help: "test configuration for syntax errors and exit",
  },
  { short: "d", long: "daemonize", kind: "switch", help: "run as a daemon" },
  { short: "D", long: "describe-stats", kind: "switch", help: "print stats description and exit" },
  {
    short: "v",
    long: "verbose",
    kind: "number",
    min: LOG_LEVEL_MIN,
    max: LOG_LEVEL_MAX,
    help:
      `set logging level (default: ${LOG_LEVEL_DEFAULT}, min: ${LOG_LEVEL_MIN}, max: ${LOG_LEVEL_MAX})`,
  },
  { short: "o", long: "output", kind: "file", help: "set logging file (default: stderr)" },
  {
    short: "c",
    long: "conf-file",
    kind: "file",
    help: `set configuration file (default: ${DEFAULT_RUN_OPTIONS.confFile})`,
  },
  {
    short: "s",
    long: "stats-port",
    kind: "number",
    min: 1,
    max: 65535,
    help: `set stats monitoring port (default: ${DEFAULT_RUN_OPTIONS.statsPort})`,
  },
  {
    short: "a",
    long: "stats-addr",
    kind: "string",
    help: `set stats monitoring ip (default: ${DEFAULT_RUN_OPTIONS.statsAddr})`,
  },
  {
    short: "i",
    long: "stats-interval",
    kind: "number",
    min: 1,
    max: INT_MAX,
    help:
      `set stats aggregation interval in msec (default: ${DEFAULT_RUN_OPTIONS.statsInterval} msec)`,
  },
  { short: "p", long: "pid-file", kind: "file", help: "set pid file (default: off)" },
  {
    short: "m",
    long: "mbuf-size",
    kind: "number",
    min: MBUF_SIZE_MIN,
    max: MBUF_SIZE_MAX,
    help: `set size of mbuf chunk in bytes (default: ${DEFAULT_RUN_OPTIONS.mbufSize} bytes)`,
  },
  {
    short: null,
    long: "watch",
    kind: "switch",
    help: "reload the configuration when the file changes (default: off)",
  },
  {
    short: null,
    long: "workers",
    kind: "string",
    help: "set worker threads sharing the listen addresses, or auto (default: 1)",
  },
];

/** A bad command line; the message is one line naming the flag and what it takes. */
export class UsageError extends TypeError {
  /** `message`: what is wrong and what is allowed. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

function label(def: FlagDef): string {
  return def.short === null ? `--${def.long}` : `-${def.short} (--${def.long})`;
}

function takes(def: FlagDef): string {
  switch (def.kind) {
    case "number":
      return `a number from ${def.min} to ${def.max}`;
    case "file":
      return "a file name";
    default:
      return "a string";
  }
}

function flag(long: string): FlagDef {
  const def = FLAGS.find((f) => f.long === long);
  if (def === undefined) throw new RangeError(`Cannot find flag --${long}`);
  return def;
}

function readNumber(def: FlagDef, text: string): number {
  const min = def.min ?? 0;
  const max = def.max ?? INT_MAX;
  const n = /^[0-9]+$/.test(text) ? Number(text) : null;
  if (n === null || n < min || n > max) {
    throw new UsageError(`option ${label(def)} requires ${takes(def)}, not '${text}'`);
  }
  return n;
}

/** One flag as the command line gave it: its row and its value if it takes one. */
interface Given {
  readonly def: FlagDef;
  /** The value: inline (`-v5`, `--verbose=5`) or the next argument; undefined for a switch. */
  readonly value: string | undefined;
}

/** The row for a long name or an unambiguous prefix of one; throws when ambiguous; null when unknown. */
function findLong(name: string): FlagDef | null {
  const exact = FLAGS.find((f) => f.long === name);
  if (exact !== undefined) return exact;
  const matches = FLAGS.filter((f) => f.long.startsWith(name));
  if (matches.length > 1) {
    throw new UsageError(
      `option '--${name}' is ambiguous; use ${matches.map((f) => `--${f.long}`).join(" or ")}`,
    );
  }
  return matches[0] ?? null;
}

/**
 * Reads `args` against {@link FLAGS} the way getopt_long does, in order,
 * throwing at the first argument that is wrong. A flag that takes a value
 * takes the rest of its group (`-v5`, `-tcx.yml`), its `=` part
 * (`--verbose=5`) or else the next argument whatever it looks like
 * (`-c -weird.yml`); `-?` alone is `--help`; after `--` only stray
 * arguments can follow.
 */
function* readArgs(args: readonly string[]): Generator<Given> {
  let i = 0;
  const next = (): string | undefined => i < args.length ? args[i++] : undefined;
  for (let arg = next(); arg !== undefined; arg = next()) {
    if (arg === "--") {
      arg = next();
      if (arg !== undefined) throw strayArgument(arg);
      return;
    }
    if (arg === "-?") {
      yield { def: flag("help"), value: undefined };
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const def = findLong(name);
      if (def === null) throw new UsageError(`invalid option '--${name}'; see -h for the options`);
      const inline = eq < 0 ? undefined : arg.slice(eq + 1);
      if (def.kind === "switch" && inline !== undefined) {
        throw new UsageError(`option ${label(def)} takes no value`);
      }
      const value = def.kind === "switch" ? undefined : inline ?? next();
      yield { def, value };
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg.charAt(j);
        const def = FLAGS.find((f) => f.short === letter);
        if (def === undefined) {
          throw new UsageError(`invalid option '-${letter}'; see -h for the options`);
        }
        if (def.kind === "switch") {
          yield { def, value: undefined };
          continue;
        }
        const value = j + 1 < arg.length ? arg.slice(j + 1) : next();
        yield { def, value };
        break;
      }
    } else {
      throw strayArgument(arg);
    }
  }
}

function strayArgument(arg: string): UsageError {
  return new UsageError(
    `unexpected argument '${arg}'; nutmeg takes only options (e.g. -c ${arg}), see -h`,
  );
}

/**
 * Reads nutcracker's flags from `args`, in order, as nutcracker does: the
 * first unknown flag, missing or bad value, or stray argument throws
 * {@link UsageError}; a flag given twice keeps its last value.
 *
 * Differences from nutcracker 0.5.0, all deliberate: `-?` shows help
 * (nutcracker lists it but rejects it); `-i 0` is refused (nutcracker would
 * spin the CPU); stray arguments are refused (nutcracker ignores them);
 * `-v` above 11 is refused (nutcracker silently clamps it to 11, hiding a typo).
 *
 * @example
 * ```ts
 * import { parseFlags } from "./flags.ts";
 * const flags = parseFlags(["-t", "-c", "x.yml", "-v7"]);
 * console.assert(flags.testConf && flags.options.confFile === "x.yml" && flags.options.verbosity === 7);
 * ```
 */
export function parseFlags(args: readonly string[]): CliFlags {
  const switches = new Set<string>();
  const numbers = new Map<string, number>();
  const texts = new Map<string, string | null>();
  let workers = DEFAULT_RUN_OPTIONS.workers;
  for (const { def, value } of readArgs(args)) {
    if (def.kind === "switch") {
      switches.add(def.long);
      continue;
    }
    if (value === undefined) throw new UsageError(`option ${label(def)} requires ${takes(def)}`);
    switch (def.kind) {
      case "number":
        numbers.set(def.long, readNumber(def, value));
        break;
      case "file":
        texts.set(def.long, readFile(def, value));
        break;
      default:
        if (def.long === "workers") workers = readWorkers(value);
        else texts.set(def.long, def.long === "stats-addr" ? readHost(value) : value);
    }
  }

  const d = DEFAULT_RUN_OPTIONS;
  const number = (long: string, fallback: number): number => numbers.get(long) ?? fallback;
  const text = (long: string, fallback: string | null): string | null =>
    texts.has(long) ? texts.get(long) ?? null : fallback;
  return {
    help: switches.has("help"),
    version: switches.has("version"),
    testConf: switches.has("test-conf"),
    describeStats: switches.has("describe-stats"),
    options: {
      confFile: text("conf-file", d.confFile) ?? d.confFile,
      verbosity: number("verbose", d.verbosity),
      logFile: text("output", d.logFile),
      statsPort: number("stats-port", d.statsPort),
      statsAddr: text("stats-addr", d.statsAddr) ?? d.statsAddr,
      statsInterval: number("stats-interval", d.statsInterval),
      pidFile: text("pid-file", d.pidFile),
      mbufSize: number("mbuf-size", d.mbufSize),
      daemonize: switches.has("daemonize"),
      watch: switches.has("watch"),
      workers,
    },
  };
}

/** A file flag's value: an empty -o means stderr (null), as in nutcracker; other files need a name. */
function readFile(def: FlagDef, text: string): string | null {
  if (text !== "") return text;
  if (def.long === "output") return null;
  throw new UsageError(`option ${label(def)} requires a file name, not ''`);
}

/** `-a`: a host name or IP address, IPv6 optionally in brackets. */
function readHost(text: string): string {
  try {
    checkHost(text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text, "127.0.0.1");
  } catch (e) {
    const why = e instanceof ValueError ? e.reason : String(e);
    throw new UsageError(`option -a (--stats-addr) requires a host name or IP address: ${why}`);
  }
  return text;
}

/** Reads `--workers`: a whole number 1..WORKERS_MAX, or `auto`. */
function readWorkers(text: string): number | "auto" {
  if (text === "auto") return "auto";
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= WORKERS_MAX) return n;
  }
  throw new UsageError(
    `option --workers requires a whole number from 1 to ${WORKERS_MAX} or 'auto', not '${text}'`,
  );
}
