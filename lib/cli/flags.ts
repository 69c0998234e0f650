/**
 * nutcracker's command line: one table of flags (letters, long names,
 * defaults, ranges, help text) read with node:util `parseArgs`, the way
 * getopt_long reads them: `-v5`, `-v 5`, `--verbose=5`, `--verbose 5`,
 * grouped letters (`-tc file`), unambiguous long prefixes (`--verb 5`), and a
 * value is taken even when it starts with `-`. `-?` asks for help.
 *
 * @module
 */
import { parseArgs } from "node:util";
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
});

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

/** True when `arg` is a short option group whose last option waits for its value in the next argument. */
function shortWantsValue(arg: string): boolean {
  for (let i = 1; i < arg.length; i++) {
    const def = FLAGS.find((f) => f.short === arg[i]);
    if (def !== undefined && def.kind !== "switch") return i === arg.length - 1;
  }
  return false;
}

/**
 * Expands `-?` to --help and unambiguous long prefixes (`--verb`) to full
 * names, leaving alone the arguments that are option values.
 */
function normalize(args: readonly string[]): string[] {
  const out: string[] = [];
  let options = true;
  let value = false;
  for (const arg of args) {
    if (value || !options || !arg.startsWith("-") || arg === "-") {
      value = false;
      out.push(arg);
      continue;
    }
    if (arg === "--") {
      options = false;
      out.push(arg);
      continue;
    }
    if (arg === "-?") {
      out.push("--help");
      continue;
    }
    if (!arg.startsWith("--")) {
      value = shortWantsValue(arg);
      out.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const rest = eq < 0 ? "" : arg.slice(eq);
    const exact = FLAGS.find((f) => f.long === name);
    const matches = exact !== undefined ? [exact] : FLAGS.filter((f) => f.long.startsWith(name));
    if (matches.length > 1) {
      throw new UsageError(
        `option '--${name}' is ambiguous; use ${matches.map((f) => `--${f.long}`).join(" or ")}`,
      );
    }
    const def = matches[0];
    if (def === undefined) {
      out.push(arg);
      continue;
    }
    value = def.kind !== "switch" && eq < 0;
    out.push(`--${def.long}${rest}`);
  }
  return out;
}

/**
 * Reads nutcracker's flags from `args`. Throws {@link UsageError} for an
 * unknown flag, a missing or bad value, or a stray argument.
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
  const options: Record<string, { type: "boolean" | "string"; short?: string }> = {};
  for (const f of FLAGS) {
    const type = f.kind === "switch" ? "boolean" : "string";
    options[f.long] = f.short === null ? { type } : { type, short: f.short };
  }
  const { tokens } = parseArgs({
    args: normalize(args),
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });

  const switches = new Set<string>();
  const values = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind === "option-terminator") continue;
    if (token.kind === "positional") {
      throw new UsageError(
        `unexpected argument '${token.value}'; nutmeg takes only options (e.g. -c ${token.value}), see -h`,
      );
    }
    const def = FLAGS.find((f) => f.long === token.name);
    if (def === undefined) {
      throw new UsageError(`invalid option '${token.rawName}'; see -h for the options`);
    }
    if (def.kind === "switch") {
      if (token.value !== undefined) throw new UsageError(`option ${label(def)} takes no value`);
      switches.add(def.long);
      continue;
    }
    if (token.value === undefined) {
      throw new UsageError(`option ${label(def)} requires ${takes(def)}`);
    }
    values.set(def.long, token.value);
  }

  const number = (long: string, fallback: number): number => {
    const text = values.get(long);
    return text === undefined ? fallback : readNumber(flag(long), text);
  };
  const file = (long: string, fallback: string | null): string | null => {
    const text = values.get(long);
    if (text === undefined) return fallback;
    // An empty -o means stderr, as in nutcracker; other files need a name.
    if (text === "" && long !== "output") {
      throw new UsageError(`option ${label(flag(long))} requires a file name, not ''`);
    }
    return text === "" ? null : text;
  };

  const statsAddr = values.get("stats-addr") ?? DEFAULT_RUN_OPTIONS.statsAddr;
  try {
    checkHost(
      statsAddr.startsWith("[") && statsAddr.endsWith("]") ? statsAddr.slice(1, -1) : statsAddr,
      "127.0.0.1",
    );
  } catch (e) {
    const why = e instanceof ValueError ? e.reason : String(e);
    throw new UsageError(`option -a (--stats-addr) requires a host name or IP address: ${why}`);
  }

  const d = DEFAULT_RUN_OPTIONS;
  return {
    help: switches.has("help"),
    version: switches.has("version"),
    testConf: switches.has("test-conf"),
    describeStats: switches.has("describe-stats"),
    options: {
      confFile: file("conf-file", d.confFile) ?? d.confFile,
      verbosity: number("verbose", d.verbosity),
      logFile: file("output", d.logFile),
      statsPort: number("stats-port", d.statsPort),
      statsAddr,
      statsInterval: number("stats-interval", d.statsInterval),
      pidFile: file("pid-file", d.pidFile),
      mbufSize: number("mbuf-size", d.mbufSize),
      daemonize: switches.has("daemonize"),
      watch: switches.has("watch"),
    },
  };
}
