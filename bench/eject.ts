/**
 * Ejection under a server that keeps accepting connections and breaking
 * them, nutmeg against nutcracker: how many error replies clients get before
 * the broken server is out of the ring. A two-server pool (a real
 * redis-server and a breaking fake, tests/_support/breaking_backend.ts) with
 * `auto_eject_hosts: true`, `server_failure_limit: 3` and a 30 s
 * `server_retry_timeout`, the same YAML for both proxies; 20 clients each send
 * 500 GETs one at a time over keys spread on both servers. Modes of the fake:
 *
 * - `first-then-close` (with `redis_auth` on the pool): answers the AUTH the
 *   proxy sends first on each connection, then drops it;
 * - `close-at-once`: drops every connection on its first read;
 * - `half-then-close`: answers half of what it read, then drops it (a
 *   response resets the count in both proxies, so neither ejects it).
 *
 * Run: `deno run -A bench/eject.ts [--clients 20] [--requests 500]`.
 *
 * @module
 */
import { freePorts } from "../tests/_support/ports.ts";
import { redisArgs } from "../tests/_support/servers.ts";
import { type BreakingMode, startBreakingBackend } from "../tests/_support/breaking_backend.ts";
import { ProcRegistry, waitForProc } from "./procs.ts";
import { nutmegRunArgs } from "./services.ts";

function options(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = { clients: "20", requests: "500" };
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i]!.replace(/^--/, "");
    if (argv[i + 1] === undefined || !(name in out)) {
      throw new Error(`Unknown or incomplete option '${argv[i]}': use --clients N --requests N`);
    }
    out[name] = argv[i + 1]!;
  }
  return out;
}

const args = options(Deno.args);
const CLIENTS = Number(args.clients);
const REQUESTS = Number(args.requests);
const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname);
const enc = new TextEncoder();
const dec = new TextDecoder();

interface Outcome {
  errors: number;
  ok: number;
  /** Connections the broken server accepted. */
  accepted: number;
}

async function scenario(
  proxy: "nutmeg" | "nutcracker",
  mode: BreakingMode,
  auth: boolean,
): Promise<Outcome> {
  const procs = new ProcRegistry();
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-eject-" });
  await using bad = startBreakingBackend(mode);
  try {
    const [redisPort, port, stats] = freePorts(3) as [number, number, number];
    const redis = procs.start(
      "redis-server",
      "redis-server",
      redisArgs(redisPort, auth ? ["--requirepass", "secret"] : []),
    );
    await waitForProc(redisPort, 30_000, redis);
    const conf = `${dir}/${proxy}.yml`;
    await Deno.writeTextFile(
      conf,
      `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  timeout: 2000\n` +
        `  auto_eject_hosts: true\n  server_failure_limit: 3\n  server_retry_timeout: 30000\n` +
        (auth ? "  redis_auth: secret\n" : "") +
        `  servers:\n    - 127.0.0.1:${redisPort}:1\n    - 127.0.0.1:${bad.port}:1\n`,
    );
    const flags = ["-c", conf, "-s", String(stats), "-a", "127.0.0.1", "-v", "2"];
    const proc = proxy === "nutcracker"
      ? procs.start(proxy, "nutcracker", flags)
      : procs.start(proxy, Deno.execPath(), nutmegRunArgs(flags), { cwd: ROOT });
    await waitForProc(port, 30_000, proc);
    let errors = 0;
    let ok = 0;
    await Promise.all(Array.from({ length: CLIENTS }, async (_, ci) => {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      const buf = new Uint8Array(4096);
      try {
        if (auth) {
          await c.write(enc.encode("*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n"));
          await c.read(buf);
        }
        for (let i = 0; i < REQUESTS; i++) {
          const k = `k${ci}:${i}`;
          await c.write(enc.encode(`*2\r\n$3\r\nGET\r\n$${k.length}\r\n${k}\r\n`));
          const n = await c.read(buf);
          if (n === null) throw new Error(`${proxy} closed a client`);
          if (dec.decode(buf.subarray(0, 1)) === "-") errors++;
          else ok++;
        }
      } finally {
        c.close();
      }
    }));
    return { errors, ok, accepted: bad.accepted };
  } finally {
    await procs.stopAll();
    await Deno.remove(dir, { recursive: true });
  }
}

console.log(
  `${CLIENTS} clients x ${REQUESTS} GETs; server_failure_limit 3; error replies (ok replies)` +
    ` and connections the broken server accepted`,
);
for (
  const [mode, auth] of [
    ["first-then-close", true],
    ["close-at-once", false],
    ["half-then-close", false],
  ] as const
) {
  const line = [mode.padEnd(17)];
  for (const proxy of ["nutmeg", "nutcracker"] as const) {
    const o = await scenario(proxy, mode, auth);
    line.push(
      `${proxy} ${String(o.errors).padStart(5)} errors (${o.ok} ok), ${o.accepted} accepted`,
    );
  }
  console.log(line.join("   "));
}
