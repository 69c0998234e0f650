/**
 * Test support: nutmeg run as its own process (`deno run -A main.ts`), the
 * way operators run it, for what only a whole process shows: signals, exit
 * codes, the sockets it listens on, its log file.
 *
 * @module
 */
import { freePort, waitForPort } from "./ports.ts";
import { TEST_WORKERS } from "./test_workers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A nutmeg process started for a test; `await using` kills it and removes its files. */
export interface NutmegProcess extends AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  /** The first pool's listen port. */
  readonly port: number;
  /** The stats port. */
  readonly statsPort: number;
  /** The configuration file it reads (-c). */
  readonly conf: string;
  /** The log file (-o). */
  readonly logFile: string;
  /** The log so far. */
  log(): Promise<string>;
  /** Resolves with the exit status once the process has ended. */
  readonly status: Promise<Deno.CommandStatus>;
  /** Whether the process has not ended yet. */
  running(): boolean;
}

/** Options of {@link startNutmeg}. */
export interface StartOptions {
  /**
   * Extra command-line flags; `--workers N` is added unless they set
   * `--workers` (tests/_support/test_workers.ts).
   */
  readonly flags?: readonly string[];
  /** Do not wait for the listen port (to catch the first milliseconds). */
  readonly noWait?: boolean;
  /**
   * Start through the README's `./denow` (which installs the pinned Deno on
   * first use, then execs it) instead of this test's own Deno.
   */
  readonly viaDenow?: boolean;
  /** Wait for the stats port instead of the first pool's listen port. */
  readonly waitForStats?: boolean;
  /** More environment variables for the process. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Runs `deno run -A main.ts -c <yaml> -s <free port> -o <log>` where each
 * `listen: AUTO` in `yaml` becomes a free loopback port, and waits until the
 * first pool (or with `waitForStats` the stats port) accepts connections.
 */
export async function startNutmeg(
  yaml: string,
  options: StartOptions = {},
): Promise<NutmegProcess> {
  // A free port can be drawn by another test's process between our probe
  // and nutmeg's bind: when the stats port was taken, start again on others.
  for (let attempt = 1;; attempt++) {
    try {
      return await startOnce(yaml, options);
    } catch (e) {
      if (!(e instanceof StatsPortTaken) || attempt === 3) throw e;
    }
  }
}

/** nutmeg exited at start because its stats port was taken meanwhile. */
class StatsPortTaken extends Error {}

async function startOnce(yaml: string, options: StartOptions): Promise<NutmegProcess> {
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-proc-" });
  const ports: number[] = [];
  const text = yaml.replace(/listen: AUTO/g, () => {
    const p = freePort();
    ports.push(p);
    return `listen: 127.0.0.1:${p}`;
  });
  const conf = `${dir}/nutmeg.yml`;
  const logFile = `${dir}/nutmeg.log`;
  await Deno.writeTextFile(conf, text);
  const statsPort = freePort();
  const via = options.viaDenow === true;
  const flags = options.flags ?? [];
  const workers = TEST_WORKERS > 1 && !flags.includes("--workers")
    ? ["--workers", String(TEST_WORKERS)]
    : [];
  const child = new Deno.Command(via ? `${ROOT}denow` : Deno.execPath(), {
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
      "-o",
      logFile,
      ...workers,
      ...flags,
    ],
    cwd: ROOT,
    ...(options.env === undefined ? {} : { env: { ...options.env } }),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let ended = false;
  const status = child.status.then((s) => {
    ended = true;
    return s;
  });
  const proc: NutmegProcess = {
    child,
    pid: child.pid,
    port: ports[0] ?? 0,
    statsPort,
    conf,
    logFile,
    status,
    running: () => !ended,
    log: async () => {
      try {
        return await Deno.readTextFile(logFile);
      } catch {
        return "";
      }
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
  // With waitForStats, the stats port must be this process's own socket
  // (read from /proc on Linux, no connection made): a stats port that
  // answers may be another test's process that drew the same free port,
  // and the pool then refuses the test's first connect.
  const mine = options.waitForStats === true && Deno.build.os === "linux";
  const waitOn = options.waitForStats === true ? statsPort : ports[0];
  if (options.noWait !== true && waitOn !== undefined) {
    try {
      await Promise.race([
        mine
          ? listensOn(child.pid, waitOn, via ? 60_000 : 20_000, () => ended)
          : waitForPort(waitOn, via ? 60_000 : 20_000),
        status.then((s) => {
          throw new Error(`nutmeg exited with ${s.code} before listening`);
        }),
      ]);
    } catch (e) {
      const log = await proc.log();
      await proc[Symbol.asyncDispose]();
      if (log.includes("cannot open the stats port")) throw new StatsPortTaken(String(e));
      throw e;
    }
  }
  return proc;
}

/**
 * The TCP ports process `pid` listens on, each once (Linux: its socket
 * inodes matched against /proc/net/tcp and tcp6).
 */
export async function listeningPorts(pid: number): Promise<number[]> {
  const inodes = new Set<string>();
  for await (const e of Deno.readDir(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(await Deno.readLink(`/proc/${pid}/fd/${e.name}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const lines = (await Deno.readTextFile(table)).split("\n").slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // local_address is f[1] (hex ip:port), st is f[3] (0A = LISTEN), inode is f[9].
      if (f.length < 10 || f[3] !== "0A" || !inodes.has(f[9]!)) continue;
      ports.push(parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  // Once each: with --workers every worker holds a socket on each port.
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * Waits until process `pid` itself listens on TCP `port` (Linux), at most
 * `ms`; gives up at once when `gone()` (the process ended).
 */
async function listensOn(
  pid: number,
  port: number,
  ms: number,
  gone: () => boolean,
): Promise<void> {
  const listening = async () => {
    if (gone()) return true;
    try {
      return (await listeningPorts(pid)).includes(port);
    } catch {
      return false; // the process is going away
    }
  };
  if (!(await until(listening, ms)) && !gone()) {
    throw new Error(`process ${pid} did not listen on 127.0.0.1:${port} within ${ms} ms`);
  }
}

/** Waits until `check()` holds, polling every 10 ms, at most `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return await check();
}
