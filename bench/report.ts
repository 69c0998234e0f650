/**
 * The benchmark's result: one JSON document of a fixed shape (every key is
 * always present; a value that could not be measured is null), and the
 * table printed from it.
 *
 * @module
 */
import { cpuCeiling, zeroProxyCeiling } from "./budget.ts";
import type { Load, Sample } from "./load_types.ts";
import type { IdleResult } from "./memory.ts";
import { type ProxyName, type Target, TARGETS } from "./services.ts";
import { BIG_MGET_KEYS, BIG_MGET_TARGET, type Settings } from "./settings.ts";

/** One measured run of one row against one target. */
export interface RunRecord extends Sample {
  /** Round (1-based). */
  readonly round: number;
  /** Position of the target in that round's order (0-based). */
  readonly position: number;
}

/** Medians of one row on one target. */
export interface TargetSummary {
  /** Median throughput over the rounds (per second). */
  readonly throughput: number | null;
  /** Median of the runs' p50 latencies (ms). */
  readonly p50Ms: number | null;
  /** Median of the runs' p99 latencies (ms). */
  readonly p99Ms: number | null;
  /** Median of the runs' CPU per request of the target's process (microseconds, user+sys). */
  readonly cpuUsPerReq: number | null;
  /** Median of the runs' CPU per request of the load generator (us). */
  readonly generatorUsPerReq: number | null;
  /** Median of the runs' CPU per request of all the backends (us). */
  readonly backendsUsPerReq: number | null;
  /** Median of the runs' CPU per request of the proxy (us; 0 for direct, the floor's for floor). */
  readonly proxyUsPerReq: number | null;
  /** Median of the runs' cores in use: their CPU seconds / wall seconds. */
  readonly coresInUse: number | null;
  /** The CPU ceiling at the medians' costs: cores / (generator + backends + proxy), per second. */
  readonly ceiling: number | null;
  /** The runs, in round order. */
  readonly runs: readonly RunRecord[];
}

/** Ratios of one row; null when a side is missing. */
export interface RowRatios {
  /** nutmeg / nutcracker throughput (above 1: nutmeg serves more). */
  readonly throughput: number | null;
  /** nutmeg / nutcracker p99 latency (below 1: nutmeg answers sooner). */
  readonly p99: number | null;
  /** nutmeg / direct throughput. */
  readonly throughputVsDirect: number | null;
  /** nutmeg / direct p99 latency. */
  readonly p99VsDirect: number | null;
  /** nutmeg / nutcracker CPU per request (below 1: nutmeg spends less). */
  readonly cpu: number | null;
  /** nutmeg / Deno floor CPU per request (PING rows). */
  readonly cpuVsFloor: number | null;
  /**
   * The CPU ceiling with the proxy's CPU at 0 (the lower generator +
   * backends cost of the nutmeg and nutcracker runs) / nutcracker's measured
   * throughput: the most any proxy could serve here, relative to nutcracker.
   */
  readonly zeroProxyCeilingVsNutcracker: number | null;
  /** The same over nutcracker's ceiling (which other processes on the machine do not lower). */
  readonly zeroProxyCeilingVsNutcrackerCeiling: number | null;
}

/** One row of the report. */
export interface RowReport {
  /** Stable id. */
  readonly id: string;
  /** Human title. */
  readonly title: string;
  /** Load generator. */
  readonly tool: string;
  /** Unit of `throughput`. */
  readonly unit: string;
  /** Unit of a run's `size`. */
  readonly sizeUnit: string;
  /** Servers in the pool. */
  readonly servers: number;
  /** Targets the load ran against. */
  readonly targets: readonly Target[];
  /** Per target. */
  readonly results: Readonly<Record<Target, TargetSummary>>;
  /** Ratios. */
  readonly ratios: RowRatios;
}

/** Memory of one proxy (kB of VmRSS, process and descendants). */
export interface ProxyMemory {
  /** Its pid, or null when it did not run. */
  readonly pid: number | null;
  /** After start, with both pools checked, before any load. */
  readonly restKb: number | null;
  /** Highest sample while the loads ran. */
  readonly peakKb: number | null;
  /** VmHWM (the kernel's peak since start) after the loads. */
  readonly hwmKb: number | null;
  /** The idle-connections test. */
  readonly idle: IdleResult | null;
}

/** The 10,000-key MGET against its target. */
export interface BigMget {
  /** Keys per MGET. */
  readonly keys: number;
  /** Mean time per MGET (ms) = 1000 / median throughput, per target, on 1-server pools. */
  readonly msPerMget: Readonly<Record<Target, number | null>>;
  /** The same over 2-server pools (split). */
  readonly msPerMget2: Readonly<Record<Target, number | null>>;
  /** nutmeg / direct (1 server). */
  readonly ratioVsDirect: number | null;
  /** nutcracker / direct (1 server). */
  readonly nutcrackerVsDirect: number | null;
  /** nutmeg over 2 servers / direct. */
  readonly ratio2VsDirect: number | null;
  /** nutcracker over 2 servers / direct. */
  readonly nutcracker2VsDirect: number | null;
  /** The target for ratio2VsDirect (ratioVsDirect when the 2-server row is missing). */
  readonly target: number;
  /** The ratio <= target, or null when not measured. */
  readonly pass: boolean | null;
}

/** The whole result (written as JSON). */
export interface BenchReport {
  /** Shape version. */
  readonly schema: "nutmeg-bench/2";
  /** "full" or "quick". */
  readonly mode: string;
  /** ISO time of the start. */
  readonly startedAt: string;
  /** Seconds the whole run took. */
  readonly durationSeconds: number;
  /** Machine and program versions. */
  readonly host: Readonly<Record<string, string | number>>;
  /** The settings used. */
  readonly settings: Settings;
  /** Targets in the order of the first round. */
  readonly targets: readonly Target[];
  /** One entry per row, in load order. */
  readonly rows: readonly RowReport[];
  /** The big MGET summary. */
  readonly bigMget: BigMget;
  /** Memory of both proxies. */
  readonly memory: Readonly<Record<ProxyName, ProxyMemory>> & {
    /** nutmeg / nutcracker. */
    readonly ratios: {
      readonly rest: number | null;
      readonly peak: number | null;
      readonly idle: number | null;
    };
  };
  /** Everything that went wrong (a missing value has its reason here). */
  readonly errors: readonly string[];
}

/** Median of numbers, or null for none. */
export function median(xs: readonly number[]): number | null {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null, b: number | null): number | null {
  if (a === null || b === null || b === 0) return null;
  return a / b;
}

/** Rounds for JSON (keeps files small and diffs readable). */
function round(x: number | null, digits = 3): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A budget with its figures rounded for JSON. */
function roundBudget(b: Sample["budget"]): Sample["budget"] {
  if (!b) return null;
  return {
    generator: round(b.generator) ?? 0,
    backends: round(b.backends) ?? 0,
    proxy: round(b.proxy) ?? 0,
    wallSeconds: round(b.wallSeconds) ?? 0,
    cores: round(b.cores) ?? 0,
  };
}

function summarize(runs: readonly RunRecord[], cores: number): TargetSummary {
  const budgets = runs.flatMap((r) => r.budget ?? []);
  const generator = median(budgets.map((b) => b.generator));
  const backends = median(budgets.map((b) => b.backends));
  const proxy = median(budgets.map((b) => b.proxy));
  const ceiling = generator === null || backends === null || proxy === null
    ? null
    : cpuCeiling({ generator, backends, proxy }, { kind: "shared", cores });
  return {
    throughput: round(median(runs.map((r) => r.throughput)), 1),
    p50Ms: round(median(runs.map((r) => r.p50Ms))),
    p99Ms: round(median(runs.map((r) => r.p99Ms))),
    cpuUsPerReq: round(median(runs.flatMap((r) => r.cpuUsPerReq ?? []))),
    generatorUsPerReq: round(generator),
    backendsUsPerReq: round(backends),
    proxyUsPerReq: round(proxy),
    coresInUse: round(median(budgets.map((b) => b.cores))),
    ceiling: round(ceiling, 1),
    runs: runs.map((r) => ({
      ...r,
      throughput: round(r.throughput, 1) ?? 0,
      p50Ms: round(r.p50Ms) ?? 0,
      p99Ms: round(r.p99Ms) ?? 0,
      cpuUsPerReq: round(r.cpuUsPerReq),
      budget: roundBudget(r.budget),
    })),
  };
}

/** The ceiling with the proxy's CPU at 0, from the lower generator + backends cost of `of`. */
function zeroProxyOf(of: readonly TargetSummary[], cores: number): number | null {
  const loads = of.flatMap((t) =>
    t.generatorUsPerReq === null || t.backendsUsPerReq === null
      ? []
      : [t.generatorUsPerReq + t.backendsUsPerReq]
  );
  if (loads.length === 0) return null;
  const c = zeroProxyCeiling(
    { generator: Math.min(...loads), backends: 0, proxy: 0 },
    { kind: "shared", cores },
  );
  return Number.isFinite(c) ? c : null;
}

/** Runs collected so far: row id -> target -> runs. */
export type RunTable = Map<string, Map<Target, RunRecord[]>>;

/** Builds one row's report from its runs, on a machine of `cores` cores. */
export function rowReport(
  load: Load,
  rowId: string,
  title: string,
  table: RunTable,
  cores: number,
): RowReport {
  const byTarget = table.get(rowId);
  const results = Object.fromEntries(
    TARGETS.map((t) => [t, summarize(byTarget?.get(t) ?? [], cores)]),
  ) as Record<Target, TargetSummary>;
  const zeroProxy = zeroProxyOf([results.nutmeg, results.nutcracker], cores);
  const [nm, nc, d, f] = [results.nutmeg, results.nutcracker, results.direct, results.floor];
  return {
    id: rowId,
    title,
    tool: load.tool,
    unit: load.protocol === "memcached" ? "commands/s" : "requests/s",
    sizeUnit: load.sizeUnit,
    servers: load.servers,
    targets: load.targets,
    results,
    ratios: {
      throughput: round(ratio(nm.throughput, nc.throughput)),
      p99: round(ratio(nm.p99Ms, nc.p99Ms)),
      throughputVsDirect: round(ratio(nm.throughput, d.throughput)),
      p99VsDirect: round(ratio(nm.p99Ms, d.p99Ms)),
      cpu: round(ratio(nm.cpuUsPerReq, nc.cpuUsPerReq)),
      cpuVsFloor: round(ratio(nm.cpuUsPerReq, f.cpuUsPerReq)),
      zeroProxyCeilingVsNutcracker: round(ratio(zeroProxy, nc.throughput)),
      zeroProxyCeilingVsNutcrackerCeiling: round(ratio(zeroProxy, nc.ceiling)),
    },
  };
}

/** The big-MGET summary from its rows on 1-server and 2-server pools. */
export function bigMgetSummary(
  row: RowReport | undefined,
  row2: RowReport | undefined = undefined,
): BigMget {
  const times = (r: RowReport | undefined) => {
    const ms = (t: Target) => {
      const thr = r?.results[t].throughput ?? null;
      return thr ? round(1000 / thr) : null;
    };
    return Object.fromEntries(TARGETS.map((t) => [t, ms(t)])) as Record<Target, number | null>;
  };
  const msPerMget = times(row);
  const msPerMget2 = times(row2);
  const r1 = round(ratio(msPerMget.nutmeg, msPerMget.direct));
  const r2 = round(ratio(msPerMget2.nutmeg, msPerMget.direct));
  const r = r2 ?? r1;
  return {
    keys: BIG_MGET_KEYS,
    msPerMget,
    msPerMget2,
    ratioVsDirect: r1,
    nutcrackerVsDirect: round(ratio(msPerMget.nutcracker, msPerMget.direct)),
    ratio2VsDirect: r2,
    nutcracker2VsDirect: round(ratio(msPerMget2.nutcracker, msPerMget.direct)),
    target: BIG_MGET_TARGET,
    pass: r === null ? null : r <= BIG_MGET_TARGET,
  };
}

/** nutmeg / nutcracker memory ratios. */
export function memoryRatios(
  m: Readonly<Record<ProxyName, ProxyMemory>>,
): BenchReport["memory"]["ratios"] {
  return {
    rest: round(ratio(m.nutmeg.restKb, m.nutcracker.restKb), 2),
    peak: round(ratio(m.nutmeg.peakKb, m.nutcracker.peakKb), 2),
    idle: round(ratio(m.nutmeg.idle?.idleKb ?? null, m.nutcracker.idle?.idleKb ?? null), 2),
  };
}

// ---------------------------------------------------------------- text table

const NA = "-";

function num(x: number | null): string {
  return x === null ? NA : Math.round(x).toLocaleString("en-US");
}

function ms(x: number | null): string {
  if (x === null) return NA;
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function times(x: number | null): string {
  return x === null ? NA : `${x.toFixed(2)}x`;
}

function mb(kb: number | null): string {
  return kb === null ? NA : `${(kb / 1024).toFixed(1)} MB`;
}

function bytes(b: number | null): string {
  if (b === null) return NA;
  return Math.abs(b) >= 10_240 ? `${(b / 1024).toFixed(1)} KB` : `${b} B`;
}

/** Lays out rows of cells as aligned columns (first column left, the rest right). */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => widths[i] = Math.max(widths[i] ?? 0, c.length));
  return rows.map((r) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
      .trimEnd()
  ).join("\n");
}

function us(x: number | null): string {
  return x === null ? NA : x.toFixed(x >= 100 ? 0 : 1);
}

function throughputTable(report: BenchReport): string {
  const head = [
    "load",
    "nutmeg/s",
    "nutcracker/s",
    "dir|floor/s",
    "thr nm/nc",
    "cpu us/req nm|nc|3rd",
    "cpu nm/nc",
    "p50 ms nm|nc|3rd",
    "p99 ms nm|nc|3rd",
    "p99 nm/nc",
  ];
  const body = report.rows.map((r) => {
    const { nutmeg: a, nutcracker: b } = r.results;
    // The third column: the backend direct, or the Deno floor on PING rows.
    const c = r.targets.includes("floor") ? r.results.floor : r.results.direct;
    const mark = r.targets.includes("floor") ? " (floor)" : "";
    return [
      r.title,
      num(a.throughput),
      num(b.throughput),
      num(c.throughput) + mark,
      times(r.ratios.throughput),
      `${us(a.cpuUsPerReq)} | ${us(b.cpuUsPerReq)} | ${us(c.cpuUsPerReq)}`,
      times(r.ratios.cpu),
      `${ms(a.p50Ms)} | ${ms(b.p50Ms)} | ${ms(c.p50Ms)}`,
      `${ms(a.p99Ms)} | ${ms(b.p99Ms)} | ${ms(c.p99Ms)}`,
      times(r.ratios.p99),
    ];
  });
  return columns([head, ...body]);
}

function memoryTable(report: BenchReport): string {
  const { nutmeg: a, nutcracker: b, ratios } = report.memory;
  const n = Math.max(a.idle?.opened ?? 0, b.idle?.opened ?? 0);
  const opened = (m: ProxyMemory) =>
    m.idle && m.idle.opened !== m.idle.requested ? ` (${m.idle.opened} conns)` : "";
  return columns([
    ["memory (VmRSS)", "nutmeg", "nutcracker", "nm/nc"],
    ["at rest", mb(a.restKb), mb(b.restKb), times(ratios.rest)],
    ["peak under load", mb(a.peakKb), mb(b.peakKb), times(ratios.peak)],
    [
      `${n.toLocaleString("en-US")} idle connections`,
      mb(a.idle?.idleKb ?? null) + opened(a),
      mb(b.idle?.idleKb ?? null) + opened(b),
      times(ratios.idle),
    ],
    [
      "  per idle connection",
      bytes(a.idle?.perConnBytes ?? null),
      bytes(b.idle?.perConnBytes ?? null),
      "",
    ],
  ]);
}

function bigMgetLine(report: BenchReport): string {
  const m = report.bigMget;
  const verdict = m.pass === null ? "not measured" : m.pass ? "PASS" : "FAIL";
  return `${m.keys.toLocaleString("en-US")}-key MGET: nutmeg ${ms(m.msPerMget.nutmeg)} ms, ` +
    `nutcracker ${ms(m.msPerMget.nutcracker)} ms, direct ${ms(m.msPerMget.direct)} ms per MGET; ` +
    `over 2 servers nutmeg ${ms(m.msPerMget2.nutmeg)} ms, nutcracker ` +
    `${ms(m.msPerMget2.nutcracker)} ms; nutmeg(2 servers)/direct ${times(m.ratio2VsDirect)} ` +
    `(1 server: ${times(m.ratioVsDirect)}; target <= ${m.target}x): ${verdict}`;
}

function budgetTable(report: BenchReport): string {
  const head = [
    "load",
    "gen us/req nm|nc",
    "backends nm|nc",
    "proxy nm|nc",
    "cores nm|nc",
    "ceiling/s nm|nc",
    "ceil0/nc thr|ceil",
  ];
  const pair = (a: number | null, b: number | null, f: (x: number | null) => string) =>
    `${f(a)} | ${f(b)}`;
  const cores = (x: number | null) => x === null ? NA : x.toFixed(2);
  const body = report.rows.map((r) => {
    const { nutmeg: a, nutcracker: b } = r.results;
    return [
      r.title,
      pair(a.generatorUsPerReq, b.generatorUsPerReq, us),
      pair(a.backendsUsPerReq, b.backendsUsPerReq, us),
      pair(a.proxyUsPerReq, b.proxyUsPerReq, us),
      pair(a.coresInUse, b.coresInUse, cores),
      pair(a.ceiling, b.ceiling, num),
      pair(
        r.ratios.zeroProxyCeilingVsNutcracker,
        r.ratios.zeroProxyCeilingVsNutcrackerCeiling,
        times,
      ),
    ];
  });
  return columns([head, ...body]);
}

/** The report as text: throughput and latency per load, memory, the big-MGET verdict, errors. */
export function formatReport(report: BenchReport): string {
  const rounds = report.settings.rounds;
  const out = [
    `nutmeg benchmark (${report.mode}: median of ${rounds} round${rounds === 1 ? "" : "s"}, ` +
    `order rotated each round; ${report.durationSeconds.toFixed(0)} s; ` +
    `${report.host.cpus} cpus, deno ${report.host.deno})`,
    "",
    throughputTable(report),
    "",
    "thr nm/nc above 1, cpu nm/nc and p99 nm/nc below 1 favour nutmeg; cpu is the serving " +
    "process's user+sys per request; redis rows count requests (an MGET is one), memcached " +
    "rows count commands (a multi-get is one). 3rd: direct to the backend, or the Deno floor.",
    "",
    budgetTable(report),
    "",
    `CPU budget: user+sys per request of the load generator, all backends and the proxy; cores ` +
    `= their CPU seconds / wall seconds; ceiling = ${report.host.cpus} cores / their sum, the ` +
    "most the machine serves at those costs; ceil0 = the ceiling with the proxy's CPU at 0, over " +
    "nutcracker's measured throughput | over its ceiling: the most any proxy could reach here.",
    "",
    bigMgetLine(report),
    "",
    memoryTable(report),
  ];
  if (report.errors.length > 0) {
    out.push("", `problems (${report.errors.length}):`, ...report.errors.map((e) => `  - ${e}`));
  }
  return out.join("\n");
}

/** Writes `<dir>/<timestamp>.json` and `<dir>/latest.json`; returns the timestamped path. */
export async function writeJson(report: BenchReport, dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const text = JSON.stringify(report, null, 2) + "\n";
  const stamp = report.startedAt.replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  const path = `${dir}/${stamp}.json`;
  await Deno.writeTextFile(path, text);
  await Deno.writeTextFile(`${dir}/latest.json`, text);
  return path;
}
