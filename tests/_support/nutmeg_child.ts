/**
 * Test support for reload tests: nutmeg run as its own process on a
 * configuration file the test rewrites, with its stats port and log file,
 * and the signal that reloads it. Reload outcomes are read from the stats
 * JSON (`reloads`, `reload_errors`), never guessed from time.
 *
 * @module
 */
import { freePort, waitForPort } from "./ports.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

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
  const text = new TextDecoder().decode(
    chunks.reduce((a, b) => {
      const out = new Uint8Array(a.length + b.length);
      out.set(a);
      out.set(b, a.length);
      return out;
    }, new Uint8Array(0)),
  );
  return JSON.parse(text);
}

/**
 * Writes `yaml` to a fresh directory and runs `deno run -A main.ts -c it`
 * with a stats port, `-i 100`, a log file at `-v verbosity` and `flags`;
 * waits until the stats port answers.
 */
export async function startNutmegChild(
  yaml: string,
  flags: readonly string[] = [],
  verbosity = 5,
): Promise<NutmegChild> {
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-reload-" });
  const conf = `${dir}/nutmeg.yml`;
  const logFile = `${dir}/nutmeg.log`;
  await Deno.writeTextFile(conf, yaml);
  const statsPort = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "-c",
      conf,
      "-s",
      String(statsPort),
      "-a",
      "127.0.0.1",
      "-i",
      "100",
      "-o",
      logFile,
      "-v",
      String(verbosity),
      ...flags,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let ended = false;
  const status = child.status.then((s) => {
    ended = true;
    return s;
  });
  const stats = () => readStats(statsPort);
  const waitStats = async (check: (s: StatsJson) => boolean, what: string) => {
    for (let i = 0; i < 1000; i++) {
      const s = await stats();
      if (check(s)) return s;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`Cannot see ${what} in the stats after 1000 polls`);
  };
  const proc: NutmegChild = {
    child,
    pid: child.pid,
    conf,
    statsPort,
    write: (text) => Deno.writeTextFile(conf, text),
    log: async () => {
      try {
        return await Deno.readTextFile(logFile);
      } catch {
        return "";
      }
    },
    stats,
    waitStats,
    async reload() {
      const before = await stats();
      const done = before.reloads + before.reload_errors;
      child.kill("SIGUSR2");
      return await waitStats((s) => s.reloads + s.reload_errors > done, "the reload");
    },
    async stop() {
      if (!ended) child.kill("SIGTERM");
      return await status;
    },
    async [Symbol.asyncDispose]() {
      if (!ended) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await status;
      await Deno.remove(dir, { recursive: true });
    },
  };
  try {
    await Promise.race([
      waitForPort(statsPort, 20_000),
      status.then((s) => {
        throw new Error(`nutmeg exited with ${s.code} before listening`);
      }),
    ]);
  } catch (e) {
    await proc[Symbol.asyncDispose]();
    throw e;
  }
  return proc;
}
