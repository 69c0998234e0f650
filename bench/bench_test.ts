/**
 * Unit tests of the benchmark's pure parts: output parsers, percentile
 * interpolation, configuration text, round rotation, report shape and the
 * chart. No process is started and nothing is timed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { loadsFor, rowsOf } from "./loads.ts";
import { memcaslapConfig, parseMcload } from "./loads_memcached.ts";
import { buildRequest, countValues, keyTable, replyState, templates } from "./mcload_proto.ts";
import { mcloadArgs, measuredCpu, parseMcloadArgs, percentileMs } from "./mcload.ts";
import {
  csvFields,
  log2HistogramAfter,
  log2Percentile,
  parseMemcaslap,
  parseRedisCsv,
} from "./parse.ts";
import {
  type BenchReport,
  bigMgetSummary,
  formatReport,
  median,
  memoryRatios,
  ratio,
  rowReport,
  type RunRecord,
  type RunTable,
} from "./report.ts";
import { rotation } from "./runner.ts";
import { poolYaml, type Target, TARGETS } from "./services.ts";
import { FULL, parseArgs, QUICK } from "./settings.ts";
import { barsOf, ratioChart } from "./svg.ts";
import { parseStatChildTicks, parseStatTicks } from "./cpu.ts";
import { cpuBudget, cpuCeiling, type CpuMark, proxyAllowance, zeroProxyCeiling } from "./budget.ts";
import { PING_BYTES, Pongs } from "./floor.ts";

/** Asserts |actual - expected| <= tolerance. */
function near(actual: number, expected: number, tolerance = 1e-7): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);
}

const REDIS_CSV = `WARNING: Could not fetch server CONFIG
"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","37878.79","0.818","0.200","0.791","1.247","1.759","6.167"
"GET","36496.35","0.864","0.224","0.791","1.559","2.823","5.695"
`;

const MEMCASLAP = `servers: 127.0.0.1:23411
threads count: 2
\x1b[1;1H\x1b[2J
Total Statistics
Type     Time(s)  Ops          TPS(ops/s)   Net(M/s)   Get_miss   Min(us)  Max(us)    Avg(us)    Std_dev    Geo_dist
Period   2        134506       67253        4.1        0          13       20126      741        1208.07    368.87
Global   2        134506       67253        4.1        0          13       20126      741        1208.07    368.87

Get Statistics (90 events)
   Min:        14
   Log2 Dist:
       4:        0       10       80        0

<35 SERVER_ERROR out of memory storing object
Total Statistics (100 events)
   Min:        13
   Max:     20126
   Avg:       743
   Geo:    369.17
   Std:   1210.00
   Log2 Dist:
       4:        0       10       80        0
       8:        9        1

cmd_get: 900
cmd_set: 10
get_misses: 3
written_bytes: 41621796

Run time: 2.0s Ops: 910 TPS: 455 Net_rate: 65.8M/s
`;

Deno.test("csvFields splits quoted fields with commas and escaped quotes", () => {
  assert.deepEqual(csvFields('"a","b,c","d""e",5'), ["a", "b,c", 'd"e', "5"]);
});

Deno.test("parseRedisCsv reads rps, p50 and p99 of every test", () => {
  assert.deepEqual(parseRedisCsv(REDIS_CSV), [
    { test: "SET", rps: 37878.79, p50Ms: 0.791, p99Ms: 1.759 },
    { test: "GET", rps: 36496.35, p50Ms: 0.791, p99Ms: 2.823 },
  ]);
  assert.throws(() => parseRedisCsv("Could not connect to Redis"));
  assert.throws(() => parseRedisCsv('"test","rps"\n"GET","1"\n'), /p50_latency_ms/);
});

Deno.test("log2Percentile interpolates inside memcaslap's (2^(e-1), 2^e] buckets", () => {
  const hist = new Map([[4, 50], [5, 50]]);
  assert.deepEqual(log2Percentile(hist, 0.5), 16); // all of bucket 4: (8, 16]
  assert.deepEqual(log2Percentile(hist, 0.25), 12); // half-way through (8, 16]
  assert.deepEqual(log2Percentile(hist, 0.99), 16 + 0.98 * 16); // in (16, 32]
  assert.ok(Number.isNaN(log2Percentile(new Map(), 0.5)));
});

Deno.test("parseMemcaslap takes the last Total histogram, commands, misses and errors", () => {
  const m = parseMemcaslap(MEMCASLAP);
  assert.deepEqual(m.commands, 100);
  assert.deepEqual(m.seconds, 2);
  assert.deepEqual(m.commandsPerSec, 50);
  assert.deepEqual(m.keysPerSec, 455);
  assert.deepEqual(m.getMisses, 3);
  assert.deepEqual(m.errorReplies, 1);
  const hist = log2HistogramAfter(MEMCASLAP, "Total Statistics (");
  assert.deepEqual([...hist.entries()], [[4, 0], [5, 10], [6, 80], [7, 0], [8, 9], [9, 1]]);
  // 50th of 100: 40th of the 80 in (32, 64].
  near(m.p50Ms, (32 + (40 / 80) * 32) / 1000);
  // 99th: 9th of the 9 in (128, 256].
  near(m.p99Ms, 0.256);
  assert.throws(() => parseMemcaslap("servers: x\n"));
});

Deno.test("memcaslapConfig makes setShare of the commands sets, weighing multi-gets by keys", () => {
  const text = memcaslapConfig(10, 0.1);
  const set = Number(/^0 ([\d.]+)$/m.exec(text)?.[1]);
  const get = Number(/^1 ([\d.]+)$/m.exec(text)?.[1]);
  near(set + get, 1, 1e-4);
  // Commands: sets = set, multi-gets = get / 10; sets are a tenth of them.
  near(set / (set + get / 10), 0.1, 1e-3);
  assert.ok(memcaslapConfig(1, 0.1).includes("0 0.1000"));
});

Deno.test("rotation puts every target in every position once over three rounds", () => {
  const three: Target[] = ["nutmeg", "nutcracker", "direct"];
  const rounds = [0, 1, 2].map((r) => rotation(r, three));
  for (const order of rounds) assert.deepEqual([...order].sort(), [...three].sort());
  for (let pos = 0; pos < three.length; pos++) {
    assert.deepEqual(new Set(rounds.map((r) => r[pos])).size, three.length);
  }
  assert.deepEqual(rotation(1, ["nutmeg", "nutcracker"]), ["nutcracker", "nutmeg"]);
});

Deno.test("poolYaml gives both proxies the same pools but their own listen ports", () => {
  const backends = { redis: [6000, 6001, 6002, 6003], memcached: [7000, 7001, 7002, 7003] };
  const a = poolYaml(
    { redis: { 1: 1, 2: 11, 4: 21 }, memcached: { 1: 2, 2: 12, 4: 22 } },
    backends,
  );
  const b = poolYaml(
    { redis: { 1: 3, 2: 13, 4: 23 }, memcached: { 1: 4, 2: 14, 4: 24 } },
    backends,
  );
  const strip = (s: string) => s.replace(/listen: \S+/g, "listen: X");
  assert.deepEqual(strip(a), strip(b));
  assert.ok(a.includes("listen: 127.0.0.1:1\n") && a.includes("- 127.0.0.1:6000:1"));
  // Pools of 1, 2 and 4 servers over the first backends.
  const redis4 = a.slice(a.indexOf("bench_redis_s4:"), a.indexOf("bench_memcached_s4:"));
  assert.deepEqual(redis4.match(/- 127\.0\.0\.1:600\d:1/g)?.length, 4);
  assert.ok(a.includes("bench_memcached_s2:") && a.includes("- 127.0.0.1:7001:1"));
  assert.ok(!/0\.0\.0\.0|localhost/.test(a));
});

Deno.test("median and ratio treat missing values as null", () => {
  assert.deepEqual(median([3, 1, 2]), 2);
  assert.deepEqual(median([4, 1, 2, 3]), 2.5);
  assert.deepEqual(median([]), null);
  assert.deepEqual(ratio(1, null), null);
  assert.deepEqual(ratio(1, 0), null);
  assert.deepEqual(ratio(3, 2), 1.5);
});

Deno.test("parseArgs: --quick, --memcaslap, --only, --rounds, --help, and nothing else", () => {
  assert.deepEqual(parseArgs([]), FULL);
  assert.deepEqual(parseArgs(["--quick"]), QUICK);
  const some = parseArgs(["--only", "mget10_c50_s2,ping", "--rounds", "5"]);
  assert.ok(some !== "help");
  assert.deepEqual(some.only, ["mget10_c50_s2", "ping"]);
  assert.equal(some.rounds, 5);
  assert.throws(() => parseArgs(["--rounds", "0"]), /whole number/);
  assert.throws(() => parseArgs(["--only"]), /needs a value/);
  const mc = parseArgs(["--quick", "--memcaslap"]);
  assert.ok(mc !== "help" && mc.memcachedTool === "memcaslap" && mc.rounds === QUICK.rounds);
  assert.equal(parseArgs(["--help"]), "help");
  assert.throws(() => parseArgs(["--fast"]), /unknown argument/);
});

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("replyState: complete, incomplete and error replies", () => {
  const state = (s: string, isGet: boolean) => replyState(bytes(s), bytes(s).length, isGet);
  assert.equal(state("STORED\r\n", false), "ok");
  assert.equal(state("STOR", false), "more");
  assert.equal(state("NOT_STORED\r\n", false), "error");
  assert.equal(state("SERVER_ERROR out of memory\r\n", false), "error");
  assert.equal(state("END\r\n", true), "ok");
  assert.equal(state("VALUE k 0 3\r\nabc\r\nEND\r\n", true), "ok");
  assert.equal(state("VALUE k 0 3\r\n", true), "more");
  assert.equal(state("VALUE k 0 5\r\nxEND\r\n", true), "more");
  assert.equal(state("CLIENT_ERROR bad command line format\r\n", true), "error");
  assert.equal(state("ERROR\r\n", true), "error");
});

Deno.test("countValues counts VALUE blocks, even when data looks like a header", () => {
  const reply = bytes("VALUE a 0 3\r\nabc\r\nVALUE b 7 12\r\nVALUE x 0 1\r\r\nEND\r\n");
  assert.equal(countValues(reply, reply.length), 2);
  assert.equal(countValues(bytes("END\r\n"), 5), 0);
});

Deno.test("buildRequest writes gets of `division` keys and sets with their value", () => {
  const keys = keyTable(10);
  const t = templates(4);
  const out = new Uint8Array(256);
  const dec = (n: number) => new TextDecoder().decode(out.subarray(0, n));
  const seq = (xs: number[]) => () => xs.shift() ?? 0;
  const [getLen, gets] = buildRequest(
    { setShare: 0.1, division: 2 },
    out,
    keys,
    t,
    seq([0.5, 0.3, 0.95]),
  );
  assert.equal(gets, 2);
  assert.equal(dec(getLen), "get mc:000000000003 mc:000000000009\r\n");
  const [setLen, none] = buildRequest(
    { setShare: 0.1, division: 2 },
    out,
    keys,
    t,
    seq([0.05, 0.0]),
  );
  assert.equal(none, 0);
  assert.equal(dec(setLen), "set mc:000000000000 0 0 4\r\nvvvv\r\n");
});

Deno.test("mcload: arguments, percentiles and its JSON line", () => {
  const o = parseMcloadArgs(["--port", "1", "--seconds", "2", "--division", "10"]);
  assert.equal(o.port, 1);
  assert.equal(o.division, 10);
  assert.equal(o.clients, 50);
  assert.throws(() => parseMcloadArgs(["--seconds", "2"]), /--port/);
  assert.deepEqual(parseMcloadArgs(mcloadArgs(o)), o, "mcloadArgs gives back what it read");
  const sorted = Uint32Array.from(Array.from({ length: 100 }, (_, i) => (i + 1) * 1000));
  assert.equal(percentileMs(sorted, 0.5), 50);
  assert.equal(percentileMs(sorted, 0.99), 99);
  const line = JSON.stringify({
    commands: 10,
    seconds: 1,
    commandsPerSec: 10,
    p50Ms: 1,
    p99Ms: 2,
    keysRequested: 9,
    keysFound: 9,
    errors: 0,
    firstError: null,
    failure: null,
  });
  assert.equal(parseMcload(`noise\n${line}\n`).commandsPerSec, 10);
  // Output without cpuSeconds (an older mcload): not measured.
  assert.equal(parseMcload(line).cpuSeconds, null);
  const withCpu = JSON.stringify({ ...JSON.parse(line), cpuSeconds: 0.5 });
  assert.equal(parseMcload(withCpu).cpuSeconds, 0.5);
  assert.throws(() => parseMcload('{"commands":1}'), /lacks/);
});

const LOADS = loadsFor(QUICK);
const ROWS = rowsOf(LOADS);

function reportFrom(table: RunTable): BenchReport {
  const rows = LOADS.flatMap((l) => l.rows.map((r) => rowReport(l, r.id, r.title, table, 2)));
  const none = { pid: null, restKb: null, peakKb: null, hwmKb: null, idle: null };
  const memory = { nutmeg: none, nutcracker: { ...none, restKb: 2048 } };
  return {
    schema: "nutmeg-bench/2",
    mode: "quick",
    startedAt: "2026-01-01T00:00:00.000Z",
    durationSeconds: 1,
    host: { cpus: 2, deno: "x" },
    settings: QUICK,
    targets: TARGETS,
    rows,
    bigMget: bigMgetSummary(rows.find((r) => r.id === "redis_mget10k_c1")),
    memory: { ...memory, ratios: memoryRatios(memory) },
    errors: [],
  };
}

Deno.test("a report with nothing measured keeps its full shape, with nulls", () => {
  const report = reportFrom(new Map());
  assert.deepEqual(report.rows.map((r) => r.id), ROWS.map((r) => r.id));
  for (const row of report.rows) {
    assert.deepEqual(Object.keys(row.results), [...TARGETS]);
    assert.deepEqual(row.results.nutmeg, {
      throughput: null,
      p50Ms: null,
      p99Ms: null,
      cpuUsPerReq: null,
      generatorUsPerReq: null,
      backendsUsPerReq: null,
      proxyUsPerReq: null,
      coresInUse: null,
      ceiling: null,
      runs: [],
    });
    assert.deepEqual(row.ratios.zeroProxyCeilingVsNutcracker, null);
    assert.deepEqual(row.ratios.throughput, null);
  }
  assert.deepEqual(report.bigMget.pass, null);
  assert.deepEqual(report.memory.ratios, { rest: null, peak: null, idle: null });
  assert.ok(formatReport(report).includes("not measured"));
  assert.ok(ratioChart(report).includes("not measured"));
});

Deno.test("ratios and the big-MGET verdict come from the medians", () => {
  const run = (throughput: number, p99Ms: number, round: number) => ({
    throughput,
    p50Ms: p99Ms / 2,
    p99Ms,
    size: 1,
    requests: 1,
    cpuUsPerReq: p99Ms * 10,
    round,
    position: 0,
  });
  const table: RunTable = new Map();
  table.set(
    "redis_get_c50_p1",
    new Map<Target, RunRecord[]>([
      ["nutmeg", [run(90, 2, 1), run(100, 4, 2), run(300, 9, 3)]],
      ["nutcracker", [run(50, 8, 1)]],
    ]),
  );
  table.set(
    "redis_mget10k_c1",
    new Map<Target, RunRecord[]>([["nutmeg", [run(100, 1, 1)]], ["direct", [run(125, 1, 1)]]]),
  );
  const report = reportFrom(table);
  const get = report.rows.find((r) => r.id === "redis_get_c50_p1")!;
  assert.deepEqual(get.results.nutmeg.throughput, 100);
  assert.deepEqual(get.results.nutmeg.p99Ms, 4);
  assert.deepEqual(get.ratios.throughput, 2);
  assert.deepEqual(get.ratios.p99, 0.5);
  assert.deepEqual(get.results.nutmeg.cpuUsPerReq, 40);
  assert.deepEqual(get.ratios.cpu, 0.5);
  assert.deepEqual(report.bigMget.msPerMget.nutmeg, 10);
  assert.deepEqual(report.bigMget.msPerMget.direct, 8);
  assert.deepEqual(report.bigMget.ratioVsDirect, 1.25);
  assert.deepEqual(report.bigMget.pass, true);
  assert.deepEqual(report.bigMget.ratio2VsDirect, null);
  assert.deepEqual(barsOf(report).length, ROWS.length * 2 + 4);
  assert.ok(ratioChart(report).startsWith("<svg"));
});

Deno.test("parseStatTicks adds utime and stime, whatever the command name holds", () => {
  const stat = "4242 (deno (x) y) S 1 2 3 4 5 6 7 8 9 10 120 35 0 0 20 0 7 0 99";
  assert.equal(parseStatTicks(stat), 155);
  assert.equal(parseStatTicks("garbage"), null);
});

Deno.test("parseStatChildTicks adds cutime and cstime (fields 16 and 17)", () => {
  const stat = "4242 (deno (x) y) S 1 2 3 4 5 6 7 8 9 10 120 35 7000 42 20 0 7 0 99";
  assert.equal(parseStatChildTicks(stat), 7042);
  assert.equal(parseStatChildTicks("4242 (x) S 1 2"), null);
  assert.equal(parseStatChildTicks("garbage"), null);
});

Deno.test("cpuBudget: CPU per request of each part and the cores in use", () => {
  const start: CpuMark = { atMs: 1000, proxy: 10, backends: 5, exited: 100 };
  const end: CpuMark = { atMs: 3000, proxy: 11, backends: 5.2, exited: 102.4 };
  const b = cpuBudget(start, end, 100_000)!;
  near(b.proxy, 10);
  near(b.backends, 2);
  near(b.generator, 24);
  near(b.wallSeconds, 2);
  near(b.cores, (1 + 0.2 + 2.4) / 2);
  // The generators' own count (without their start-up) replaces theirs per request only.
  const own = cpuBudget(start, end, 100_000, 2)!;
  near(own.generator, 20);
  near(own.cores, b.cores);
  assert.equal(cpuBudget(start, { ...end, proxy: null }, 100_000), null);
  assert.equal(cpuBudget(start, end, 0), null);
  assert.equal(cpuBudget(start, { ...end, atMs: 1000 }, 10), null);
});

Deno.test("cpuCeiling: shared cores over the sum; pinned the lower of the two sides", () => {
  const us = { generator: 11, backends: 1.5, proxy: 10 };
  const shared = { kind: "shared", cores: 2 } as const;
  // 2 cores / 22.5 us per request.
  near(cpuCeiling(us, shared), 2e6 / 22.5, 1e-6);
  // Nothing from the proxy: 2 cores / 12.5 us; 1.8x the ceiling with a proxy costing 10 us.
  near(zeroProxyCeiling(us, shared), 160_000, 1e-6);
  near(zeroProxyCeiling(us, shared) / cpuCeiling(us, shared), 1.8, 1e-9);
  const pinned = { kind: "pinned", loadCores: 1, proxyCores: 1 } as const;
  near(cpuCeiling(us, pinned), 1e6 / 12.5, 1e-6);
  near(cpuCeiling({ ...us, proxy: 20 }, pinned), 50_000, 1e-6);
  near(zeroProxyCeiling({ ...us, proxy: 20 }, pinned), 80_000, 1e-6);
  assert.equal(cpuCeiling({ generator: 0, backends: 0, proxy: 0 }, shared), Infinity);
});

Deno.test("proxyAllowance: the proxy CPU per request a throughput leaves, or null", () => {
  const shared = { kind: "shared", cores: 2 } as const;
  // 1.3 x nutcracker's ceiling at 11 + 1.5 + 10 us: the proxy may spend 22.5/1.3 - 12.5 us.
  const nc = cpuCeiling({ generator: 11, backends: 1.5, proxy: 10 }, shared);
  near(proxyAllowance(1.3 * nc, 12.5, shared)!, 22.5 / 1.3 - 12.5, 1e-9);
  assert.equal(proxyAllowance(200_000, 12.5, shared), null);
  assert.equal(proxyAllowance(0, 12.5, shared), null);
  const pinned = { kind: "pinned", loadCores: 1, proxyCores: 1 } as const;
  near(proxyAllowance(50_000, 12.5, pinned)!, 20);
  assert.equal(proxyAllowance(90_000, 12.5, pinned), null);
});

Deno.test("measuredCpu spans the first worker's start to the last one's end", () => {
  assert.equal(
    measuredCpu([{ cpuAtStart: 0.5, cpuAtEnd: 2 }, { cpuAtStart: 0.6, cpuAtEnd: 2.25 }]),
    1.75,
  );
  assert.equal(
    measuredCpu([{ cpuAtStart: 0.5, cpuAtEnd: 2 }, { cpuAtStart: null, cpuAtEnd: 3 }]),
    null,
  );
  assert.equal(measuredCpu([]), null);
});

Deno.test("the Deno floor answers n PINGs with n PONGs", () => {
  const pongs = new Pongs();
  assert.equal(new TextDecoder().decode(pongs.take(2)), "+PONG\r\n+PONG\r\n");
  assert.equal(pongs.take(5000).length, 5000 * 7);
  assert.equal(PING_BYTES, "*1\r\n$4\r\nPING\r\n".length);
});

Deno.test("split loads exist for pools of 1, 2 and 4 servers; PING rows run the floor", () => {
  const ids = ROWS.map((r) => r.id);
  for (const id of ["redis_mget10_c50", "redis_mget100_c50", "redis_del10_c50", "mc_mget10_c50"]) {
    for (const tag of ["", "_s2", "_s4"]) assert.ok(ids.includes(id + tag), id + tag);
  }
  const ping = LOADS.find((l) => l.id === "redis_ping_c50")!;
  assert.ok(ping.targets.includes("floor") && ping.servers === 1);
  assert.ok(!LOADS.find((l) => l.id === "redis_mget10_c50_s2")!.targets.includes("direct"));
});

Deno.test("the report's CPU budget: medians, the ceiling and the zero-proxy ratios", () => {
  const run = (throughput: number, proxy: number, generator: number) => ({
    throughput,
    p50Ms: 1,
    p99Ms: 2,
    size: 1,
    requests: 1,
    cpuUsPerReq: proxy,
    budget: { generator, backends: 1.5, proxy, wallSeconds: 2, cores: 1.9 },
    round: 1,
    position: 0,
  });
  const table: RunTable = new Map();
  table.set(
    "redis_get_c50_p1",
    new Map<Target, RunRecord[]>([
      ["nutmeg", [run(60_000, 20, 12), run(61_000, 18, 11.5), run(59_000, 19, 30)]],
      ["nutcracker", [run(80_000, 10, 11)]],
    ]),
  );
  const get = reportFrom(table).rows.find((r) => r.id === "redis_get_c50_p1")!;
  const nc = get.results.nutcracker;
  assert.deepEqual(get.results.nutmeg.generatorUsPerReq, 12);
  assert.deepEqual(get.results.nutmeg.proxyUsPerReq, 19);
  assert.deepEqual(get.results.nutmeg.coresInUse, 1.9);
  // 2 cores / (11 + 1.5 + 10) us.
  near(nc.ceiling!, 88_888.9, 0.05);
  // Proxy CPU 0 with the cheaper generator + backends (nutcracker's 12.5 us): 160,000/s.
  near(get.ratios.zeroProxyCeilingVsNutcracker!, 2, 1e-3);
  near(get.ratios.zeroProxyCeilingVsNutcrackerCeiling!, 1.8, 1e-3);
  assert.ok(formatReport(reportFrom(table)).includes("ceil0/nc"));
});
