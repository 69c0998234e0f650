/**
 * TLS cost, measured apart from the main benchmark (`deno run -A bench/tls.ts [--quick]`):
 * one nutmeg process with four Redis pools — plain, TLS to clients, TLS to
 * the server, TLS on both sides — in front of one plain and one `--tls-port`
 * redis-server, driven by redis-benchmark (`--tls` for the TLS listeners).
 * For each pool and load it reports requests per second and nutmeg's CPU
 * per request (user+sys from /proc, as bench/cpu.ts reads it), the figure
 * that stays comparable on a shared machine. Certificates are made with
 * openssl for the run (tests/_support/certs.ts) and removed after.
 *
 * @module
 */
import { makeCerts } from "../tests/_support/certs.ts";
import { freePort, startRedis, startRedisTls, waitForPort } from "../tests/_support/servers.ts";
import { cpuSeconds, initClockTicks } from "./cpu.ts";
import { parseRedisCsv } from "./parse.ts";
import { nutmegRunArgs } from "./services.ts";

const quick = Deno.args.includes("--quick");
const requests = quick ? 20_000 : 100_000;
const rounds = quick ? 1 : 3;

interface PoolSpec {
  readonly name: string;
  readonly clientTls: boolean;
  readonly serverTls: boolean;
}

const POOLS: readonly PoolSpec[] = [
  { name: "plain", clientTls: false, serverTls: false },
  { name: "tls_clients", clientTls: true, serverTls: false },
  { name: "tls_server", clientTls: false, serverTls: true },
  { name: "tls_both", clientTls: true, serverTls: true },
];

const LOADS = [
  { name: "GET c50 P1", args: ["-t", "get", "-c", "50", "-P", "1"] },
  { name: "GET c50 P16", args: ["-t", "get", "-c", "50", "-P", "16"] },
  { name: "SET c50 P16", args: ["-t", "set", "-c", "50", "-P", "16"] },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

await initClockTicks();
await using certs = await makeCerts();
const g = certs.good;
await using plain = await startRedis();
await using secure = await startRedisTls({ cert: g.serverCert, key: g.serverKey });
const ports: Record<string, number> = {};
let yaml = "";
for (const p of POOLS) {
  ports[p.name] = freePort();
  yaml += `${p.name}:\n  listen: 127.0.0.1:${ports[p.name]}\n  redis: true\n  preconnect: true\n`;
  if (p.clientTls) yaml += `  tls_cert: ${g.serverCert}\n  tls_key: ${g.serverKey}\n`;
  if (p.serverTls) yaml += `  server_tls: true\n  server_tls_ca: ${g.ca}\n`;
  yaml += `  servers:\n    - 127.0.0.1:${p.serverTls ? secure.port : plain.port}:1\n`;
}
const conf = `${certs.dir}/bench_tls.yml`;
await Deno.writeTextFile(conf, yaml);
const nutmeg = new Deno.Command(Deno.execPath(), {
  args: nutmegRunArgs(["-c", conf, "-s", String(freePort()), "-a", "127.0.0.1", "-v", "2"]),
  cwd: new URL("../", import.meta.url).pathname,
  stdin: "null",
  stdout: "null",
  stderr: "inherit",
}).spawn();
try {
  for (const p of POOLS) await waitForPort(ports[p.name]!, 20_000);
  const results: { pool: string; load: string; rps: number; cpuUsPerReq: number }[] = [];
  for (const load of LOADS) {
    for (const p of POOLS) {
      const rps: number[] = [];
      const cpu: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const before = cpuSeconds(nutmeg.pid) ?? 0;
        const out = await new Deno.Command("redis-benchmark", {
          args: [
            "-h",
            "127.0.0.1",
            "-p",
            String(ports[p.name]),
            ...(p.clientTls ? ["--tls", "--cacert", g.ca] : []),
            ...load.args,
            "-n",
            String(requests),
            "-r",
            "100000",
            "--csv",
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output();
        const after = cpuSeconds(nutmeg.pid) ?? 0;
        const row = parseRedisCsv(new TextDecoder().decode(out.stdout))[0]!;
        rps.push(row.rps);
        cpu.push(((after - before) / requests) * 1e6);
      }
      results.push({ pool: p.name, load: load.name, rps: median(rps), cpuUsPerReq: median(cpu) });
    }
  }
  console.log(`| load | pool | rps | nutmeg CPU µs/request | vs plain |`);
  console.log(`| ---- | ---- | --: | --: | --: |`);
  for (const r of results) {
    const base = results.find((b) => b.load === r.load && b.pool === "plain")!;
    console.log(
      `| ${r.load} | ${r.pool} | ${Math.round(r.rps)} | ${r.cpuUsPerReq.toFixed(2)} | ${
        (r.cpuUsPerReq / base.cpuUsPerReq).toFixed(2)
      }x |`,
    );
  }
  const file = new URL(`results/tls_latest.json`, import.meta.url);
  await Deno.writeTextFile(
    file,
    JSON.stringify({ date: new Date().toISOString(), requests, rounds, results }, null, 2) + "\n",
  );
} finally {
  nutmeg.kill("SIGTERM");
  await nutmeg.status;
}
