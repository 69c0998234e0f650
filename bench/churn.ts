/**
 * Connection churn, nutmeg against nutcracker: clients that connect for one
 * command and close (PHP-FPM, CGI, cron jobs, health checkers). Two loads,
 * each through both proxies with the same one-server redis pool:
 *
 * - **sequential**: `--cycles` (3,000) times connect, PING, read +PONG, close;
 * - **waves**: `--waves` (20) times open `--wave` (500) connections at once,
 *   each sends PING and reads +PONG, then all close; the next wave starts at
 *   once (10,000 connections in all);
 * - **open**: the same waves with no command: connect, then close. The
 *   client never waits for the proxy to accept, so a proxy that accepts more
 *   slowly than the client connects fills its listen queue (`--backlog`,
 *   the pools' `backlog:`, 512 by default as in twemproxy).
 *
 * It prints the wall time of each load, the proxy's CPU time (utime+stime
 * from /proc), and how many connections took longer than 500 ms from connect
 * to +PONG: a SYN dropped by a full accept queue is retransmitted after 1 s,
 * so a stalled connect shows there. Run: `deno run -A bench/churn.ts`
 * (`--rounds N` repeats and keeps the median; `--only nutmeg`). The Deno
 * floor (bench/floor.ts, which answers PING with no parsing) runs beside
 * them: what any Deno server pays per connection.
 *
 * @module
 */
import { freePorts } from "../tests/_support/ports.ts";
import { redisArgs } from "../tests/_support/servers.ts";
import { ProcRegistry, waitForProc } from "./procs.ts";
import { nutmegRunArgs } from "./services.ts";

/** `--name value` pairs of the command line, over the defaults. */
function options(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {
    cycles: "3000",
    waves: "20",
    wave: "500",
    rounds: "1",
    slow: "500",
    verbosity: "2",
    backlog: "512",
  };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, "");
    const value = argv[i + 1];
    if (value === undefined || !(name in out || name === "only")) {
      throw new Error(
        `Unknown or incomplete option '${argv[i]}': use --cycles N --waves N ` +
          `--wave N --rounds N --slow MS --verbosity N --backlog N --only nutmeg|nutcracker|floor`,
      );
    }
    out[name] = value;
  }
  return out;
}

const args = options(Deno.args);
const CYCLES = Number(args.cycles);
const WAVES = Number(args.waves);
const WAVE = Number(args.wave);
const ROUNDS = Number(args.rounds);
const SLOW_MS = Number(args.slow);
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);

const PING = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n");
const PONG_LEN = "+PONG\r\n".length;

/** utime+stime of `pid` and its threads, in seconds. */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Sends PING on `conn` and reads the whole +PONG. */
async function ping(conn: Deno.Conn): Promise<void> {
  await conn.write(PING);
  const buf = new Uint8Array(64);
  let got = 0;
  while (got < PONG_LEN) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) throw new Error(`closed after ${got} bytes`);
    got += n;
  }
}

/** One connect, PING, +PONG, close; resolves with its duration in ms. */
async function cycle(port: number): Promise<number> {
  const t0 = performance.now();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await ping(conn);
  } finally {
    conn.close();
  }
  return performance.now() - t0;
}

interface Outcome {
  seconds: number;
  cpu: number;
  slow: number;
  worstMs: number;
}

/**
 * Runs `load` against the target of pid `pid`, which reports each
 * connection's time to `note`: wall time, the target's CPU, the slow ones
 * and the worst.
 */
async function measure(
  pid: number,
  load: (note: (ms: number) => void) => Promise<void>,
): Promise<Outcome> {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  let slow = 0;
  let worst = 0;
  await load((ms) => {
    if (ms > SLOW_MS) slow++;
    worst = Math.max(worst, ms);
  });
  return {
    seconds: (performance.now() - t0) / 1000,
    cpu: cpuSeconds(pid) - cpu0,
    slow,
    worstMs: worst,
  };
}

function sequential(port: number, pid: number): Promise<Outcome> {
  return measure(pid, async (note) => {
    for (let i = 0; i < CYCLES; i++) note(await cycle(port));
  });
}

function waves(port: number, pid: number): Promise<Outcome> {
  return measure(pid, async (note) => {
    for (let w = 0; w < WAVES; w++) {
      // Open the whole wave, then close it all at once.
      const conns = await Promise.all(Array.from({ length: WAVE }, async () => {
        const s = performance.now();
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        await ping(conn);
        note(performance.now() - s);
        return conn;
      }));
      for (const c of conns) c.close();
    }
  });
}

/** Waves of connections opened and closed with no command: the client never waits for an accept. */
function openWaves(port: number, pid: number): Promise<Outcome> {
  return measure(pid, async (note) => {
    for (let w = 0; w < WAVES; w++) {
      const conns = await Promise.all(Array.from({ length: WAVE }, async () => {
        const s = performance.now();
        const conn = await Deno.connect({ hostname: "127.0.0.1", port });
        note(performance.now() - s);
        return conn;
      }));
      for (const c of conns) c.close();
    }
    // Let the target take the last wave before the next load.
    await new Promise((r) => setTimeout(r, 500));
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** The proxies, and the Deno floor (bench/floor.ts: the least a Deno server does per PING). */
const TARGETS = ["nutmeg", "nutcracker", "floor"] as const;

const procs = new ProcRegistry();
const dir = await Deno.makeTempDir({ prefix: "nutmeg-churn-" });
try {
  const [redisPort, nmPort, ncPort, nmStats, ncStats, floorPort] = freePorts(6) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const redis = procs.start("redis-server", "redis-server", redisArgs(redisPort));
  await waitForProc(redisPort, 30_000, redis);
  const yaml = (port: number) =>
    `churn:\n  listen: 127.0.0.1:${port}\n  redis: true\n  preconnect: true\n` +
    `  backlog: ${args.backlog}\n` +
    `  servers:\n    - 127.0.0.1:${redisPort}:1\n`;
  const targets: { name: string; port: number; pid: number }[] = [];
  for (
    const [name, port, stats] of TARGETS.map((t) =>
      [
        t,
        t === "nutmeg" ? nmPort : t === "nutcracker" ? ncPort : floorPort,
        t === "nutmeg" ? nmStats : ncStats,
      ] as const
    )
  ) {
    if (args.only !== undefined && args.only !== name) continue;
    let proc;
    if (name === "floor") {
      proc = procs.start(name, Deno.execPath(), ["run", "-A", "bench/floor.ts", String(port)], {
        cwd: ROOT,
      });
    } else {
      const conf = `${dir}/${name}.yml`;
      await Deno.writeTextFile(conf, yaml(port));
      const flags = ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-v", args.verbosity!];
      proc = name === "nutcracker"
        ? procs.start(name, "nutcracker", flags)
        : procs.start(name, Deno.execPath(), nutmegRunArgs(flags), { cwd: ROOT });
    }
    await waitForProc(port, 30_000, proc);
    targets.push({ name, port, pid: proc.pid });
  }
  const results: Record<string, Record<string, Outcome[]>> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
      const seq = await sequential(t.port, t.pid);
      const wav = await waves(t.port, t.pid);
      ((results[t.name] ??= {}).sequential ??= []).push(seq);
      (results[t.name]!.waves ??= []).push(wav);
      (results[t.name]!.open ??= []).push(await openWaves(t.port, t.pid));
    }
  }
  console.log(
    `load: sequential = ${CYCLES} x connect+PING+close; waves = ${WAVES} x ${WAVE} connections` +
      ` each sending PING; open = the same waves with no command (slow: connect to +PONG, or` +
      ` connect alone, > ${SLOW_MS} ms; backlog ${args.backlog}; median of ${ROUNDS} round(s))`,
  );
  for (const load of ["sequential", "waves", "open"]) {
    const row = (name: string) => {
      const os = results[name]?.[load];
      if (os === undefined) return null;
      return {
        seconds: median(os.map((o) => o.seconds)),
        cpu: median(os.map((o) => o.cpu)),
        slow: median(os.map((o) => o.slow)),
        worst: median(os.map((o) => o.worstMs)),
      };
    };
    const nm = row("nutmeg");
    const nc = row("nutcracker");
    for (
      const [name, o] of [["nutmeg", nm], ["nutcracker", nc], ["floor", row("floor")]] as const
    ) {
      if (o === null) continue;
      console.log(
        `${load.padEnd(10)} ${name.padEnd(10)} ${o.seconds.toFixed(2).padStart(7)} s  cpu ${
          o.cpu.toFixed(2).padStart(5)
        } s  slow ${String(o.slow).padStart(4)}  worst ${o.worst.toFixed(0).padStart(5)} ms`,
      );
    }
    if (nm !== null && nc !== null) {
      console.log(
        `${load.padEnd(10)} nutmeg/nutcracker: time ${(nm.seconds / nc.seconds).toFixed(2)}x, cpu ${
          (nm.cpu / Math.max(nc.cpu, 0.01)).toFixed(2)
        }x`,
      );
    }
  }
} finally {
  await procs.stopAll();
  await Deno.remove(dir, { recursive: true });
}
