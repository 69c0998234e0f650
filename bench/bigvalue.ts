/**
 * Memory given back after big values, nutmeg against nutcracker. For each
 * proxy, a fresh process over one redis-server (started with
 * `proto-max-bulk-len 1gb`, since Redis refuses bulk strings over 512 MB by
 * default):
 *
 * 1. **pass**: SET of one `--size` MB value (500) through the proxy, then
 *    GET of it by a client that reads as fast as it can;
 * 2. **slow**: GET of a `--slow-size` MB value (200) by a client that reads
 *    1 MiB every 10 ms, so the proxy holds the reply while it trickles out.
 *
 * It prints the proxy's peak RSS (VmHWM) during each, its RSS (VmRSS) right
 * after the transfer, and after a quiet period (`--quiet` s, 5). Run:
 * `deno run -A bench/bigvalue.ts [--size 500] [--slow-size 200] [--quiet 5] [--only nutmeg]`.
 *
 * @module
 */
import { freePorts } from "../tests/_support/ports.ts";
import { redisArgs } from "../tests/_support/servers.ts";
import { ProcRegistry, sleep, waitForProc } from "./procs.ts";
import { nutmegRunArgs } from "./services.ts";

function options(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { size: "500", "slow-size": "200", quiet: "5" };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, "");
    const value = argv[i + 1];
    if (value === undefined || !(name in out || name === "only")) {
      throw new Error(
        `Unknown or incomplete option '${argv[i]}': use --size MB --slow-size MB --quiet S ` +
          `--only nutmeg|nutcracker`,
      );
    }
    out[name] = value;
  }
  return out;
}

const args = options(Deno.args);
const MB = 1024 * 1024;
const SIZE = Number(args.size) * MB;
const SLOW_SIZE = Number(args["slow-size"]) * MB;
const QUIET_MS = Number(args.quiet) * 1000;
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const enc = new TextEncoder();

/** VmRSS and VmHWM of `pid`, in MB. */
function memory(pid: number): { rss: number; hwm: number } {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)![1]);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

/** `*3 SET key <value of n bytes 'x'>` as one buffer. */
function setCommand(key: string, n: number): Uint8Array {
  const head = enc.encode(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${n}\r\n`);
  const out = new Uint8Array(head.length + n + 2);
  out.set(head, 0);
  out.fill(0x78, head.length, head.length + n);
  out.set([13, 10], head.length + n);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await conn.write(bytes.subarray(off));
}

/** Reads until `expect` bytes came; with `paceMs`, reads at most 1 MiB per `paceMs`. */
async function readBytes(conn: Deno.Conn, expect: number, paceMs = 0): Promise<number> {
  const buf = new Uint8Array(paceMs > 0 ? MB : 4 * MB);
  let got = 0;
  while (got < expect) {
    let chunk = 0;
    while (chunk < buf.length && got < expect) {
      const n = await conn.read(buf.subarray(chunk, Math.min(buf.length, chunk + expect - got)));
      if (n === null) return got;
      chunk += n;
      got += n;
    }
    if (paceMs > 0) await sleep(paceMs);
  }
  return got;
}

interface Row {
  peak: number;
  after: number;
  quiet: number;
}

/**
 * In a fresh proxy process (VmHWM only grows): with `set`, stores `key`
 * (`size` bytes) through the proxy; then reads it back through it, at most
 * 1 MiB per `paceMs` when that is not 0; then samples the proxy's memory.
 */
async function measure(
  name: "nutmeg" | "nutcracker",
  redisPort: number,
  key: string,
  size: number,
  set: boolean,
  paceMs: number,
): Promise<Row> {
  const procs = new ProcRegistry();
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-bigvalue-" });
  try {
    const [port, stats] = freePorts(2) as [number, number];
    const conf = `${dir}/${name}.yml`;
    await Deno.writeTextFile(
      conf,
      `big:\n  listen: 127.0.0.1:${port}\n  redis: true\n  timeout: 60000\n` +
        `  servers:\n    - 127.0.0.1:${redisPort}:1\n`,
    );
    const flags = ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-v", "2"];
    const proc = name === "nutcracker"
      ? procs.start(name, "nutcracker", flags)
      : procs.start(name, Deno.execPath(), nutmegRunArgs(flags), { cwd: ROOT });
    await waitForProc(port, 30_000, proc);
    if (set) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      await writeAll(c, setCommand(key, size));
      if (await readBytes(c, 5) !== 5) throw new Error(`${name}: SET ${key} got no +OK`);
      c.close();
    }
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    await writeAll(c, enc.encode(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`));
    const want = `$${size}\r\n`.length + size + 2;
    const got = await readBytes(c, want, paceMs);
    if (got !== want) throw new Error(`${name}: GET ${key}: ${got} of ${want} bytes`);
    c.close();
    await sleep(200);
    const after = memory(proc.pid);
    await sleep(QUIET_MS);
    return { peak: after.hwm, after: after.rss, quiet: memory(proc.pid).rss };
  } finally {
    await procs.stopAll();
    await Deno.remove(dir, { recursive: true });
  }
}

const procs = new ProcRegistry();
try {
  const [redisPort] = freePorts(1) as [number];
  const redis = procs.start(
    "redis-server",
    "redis-server",
    redisArgs(redisPort, ["--proto-max-bulk-len", "1gb", "--client-query-buffer-limit", "2gb"]),
  );
  await waitForProc(redisPort, 30_000, redis);
  // The slow step's value, stored directly.
  {
    const c = await Deno.connect({ hostname: "127.0.0.1", port: redisPort });
    await writeAll(c, setCommand("slow", SLOW_SIZE));
    await readBytes(c, 5);
    c.close();
  }
  console.log(
    `pass: SET + GET of ${args.size} MB through the proxy; slow: GET of ${
      args["slow-size"]
    } MB read at 1 MiB / 10 ms` +
      ` (MB of the proxy: peak VmHWM, VmRSS after, after ${args.quiet} s)`,
  );
  for (const name of ["nutmeg", "nutcracker"] as const) {
    if (args.only !== undefined && args.only !== name) continue;
    const pass = await measure(name, redisPort, "big", SIZE, true, 0);
    const slow = await measure(name, redisPort, "slow", SLOW_SIZE, false, 10);
    for (const [load, r] of [["pass", pass], ["slow", slow]] as const) {
      console.log(
        `${load.padEnd(5)} ${name.padEnd(10)} peak ${r.peak.toFixed(0).padStart(5)}  after ${
          r.after.toFixed(0).padStart(5)
        }  quiet ${r.quiet.toFixed(0).padStart(5)}`,
      );
    }
  }
} finally {
  await procs.stopAll();
}
