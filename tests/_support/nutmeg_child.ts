/**
 * Test support for reload tests: nutmeg run as its own process on a
 * configuration file the test rewrites, with its stats port and log file,
 * and the signal that reloads it. Reload outcomes are read from the stats
 * JSON (`reloads`, `reload_errors`), never guessed from time.
 *
 * @module
 */
import { concat } from "./bytes.ts";
import { startNutmeg } from "./nutmeg_process.ts";

/** The stats JSON of a running nutmeg (twemproxy's fields plus nutmeg's). */
// deno-lint-ignore no-explicit-any
export type StatsJson = Record<string, any>;

/** A nutmeg process; `await using` kills it and removes its directory. */
export interface NutmegChild extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  /** The configuration file it reads. */
  readonly conf: string;
  readonly statsPort: number;
  /** Replaces the configuration file's text. */
  write(yaml: string): Promise<void>;
  /** The log so far. */
  log(): Promise<string>;
  /** The stats JSON now. */
  stats(): Promise<StatsJson>;
  /**
   * Sends SIGUSR2 and waits until the reload is done or refused; resolves
   * with the stats JSON then.
   */
  reload(): Promise<StatsJson>;
  /** Waits until `check(stats)` holds (bounded); resolves with those stats. */
  waitStats(check: (s: StatsJson) => boolean, what: string): Promise<StatsJson>;
  /** Ends with SIGTERM and resolves with the exit status. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Reads the stats port's JSON (a raw connection gets it and is closed). */
export async function readStats(port: number): Promise<StatsJson> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(65536);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } finally {
    conn.close();
  }
  return JSON.parse(new TextDecoder().decode(concat(chunks)));
}

/**
 * Writes `yaml` to a fresh directory and runs `deno run -A main.ts -c it`
 * with a stats port, `-i 100`, a log file at `-v verbosity`, `flags` and
 * the more environment variables `env` ({@link startNutmeg}); waits until
 * the stats port answers.
 */
export async function startNutmegChild(
  yaml: string,
  flags: readonly string[] = [],
  verbosity = 5,
  env?: Readonly<Record<string, string>>,
): Promise<NutmegChild> {
  const proc = await startNutmeg(yaml, {
    flags: ["-i", "100", "-v", String(verbosity), ...flags],
    waitForStats: true,
    ...(env === undefined ? {} : { env }),
  });
  const stats = () => readStats(proc.statsPort);
  const waitStats = async (check: (s: StatsJson) => boolean, what: string) => {
    for (let i = 0; i < 1000; i++) {
      const s = await stats();
      if (check(s)) return s;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`Cannot see ${what} in the stats after 1000 polls`);
  };
  return {
    child: proc.child,
    pid: proc.pid,
    conf: proc.conf,
    statsPort: proc.statsPort,
    write: (text) => Deno.writeTextFile(proc.conf, text),
    log: proc.log,
    stats,
    waitStats,
    async reload() {
      const before = await stats();
      const done = before.reloads + before.reload_errors;
      proc.child.kill("SIGUSR2");
      return await waitStats((s) => s.reloads + s.reload_errors > done, "the reload");
    },
    async stop() {
      if (proc.running()) proc.child.kill("SIGTERM");
      return await proc.status;
    },
    [Symbol.asyncDispose]: () => proc[Symbol.asyncDispose](),
  };
}
