/**
 * A bar chart of the nutmeg / nutcracker ratios as a standalone SVG, drawn
 * on a log2 axis centred on 1 (equal). Throughput bars to the right favour
 * nutmeg; p99 and memory bars to the left favour nutmeg.
 *
 * @module
 */
import type { BenchReport } from "./report.ts";

/** One bar. */
export interface Bar {
  /** Label left of the bar. */
  readonly label: string;
  /** The ratio (null: not measured, drawn as a note). */
  readonly value: number | null;
  /** Which series (colour). */
  readonly series: "throughput" | "p99" | "memory" | "mget";
}

const COLORS: Readonly<Record<Bar["series"], string>> = {
  throughput: "#2f9e44",
  p99: "#e8590c",
  memory: "#7048e8",
  mget: "#1c7ed6",
};

const LEGEND: Readonly<Record<Bar["series"], string>> = {
  throughput: "throughput nutmeg/nutcracker (right = nutmeg faster)",
  p99: "p99 latency nutmeg/nutcracker (left = nutmeg faster)",
  memory: "memory nutmeg/nutcracker (left = nutmeg smaller)",
  mget: "10k-key MGET time nutmeg/direct (dashed: the 1.5 target)",
};

/** The bars of a report, in display order. */
export function barsOf(report: BenchReport): Bar[] {
  const bars: Bar[] = [];
  for (const row of report.rows) {
    bars.push({ label: `${row.title} thr`, value: row.ratios.throughput, series: "throughput" });
    bars.push({ label: `${row.title} p99`, value: row.ratios.p99, series: "p99" });
  }
  bars.push({
    label: "10k-key MGET vs direct",
    value: report.bigMget.ratioVsDirect,
    series: "mget",
  });
  const m = report.memory.ratios;
  bars.push({ label: "RSS at rest", value: m.rest, series: "memory" });
  bars.push({ label: "RSS peak under load", value: m.peak, series: "memory" });
  bars.push({ label: "RSS with idle connections", value: m.idle, series: "memory" });
  return bars;
}

function escape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** Powers of two spanning the values, at least 1/4 .. 4. */
function domain(values: readonly number[]): [number, number] {
  const logs = values.filter((v) => v > 0).map(Math.log2);
  // Half a power of two of room on each side for the value labels.
  const lo = Math.min(-2, Math.floor(Math.min(...logs, 0) - 0.5));
  const hi = Math.max(2, Math.ceil(Math.max(...logs, 0) + 0.5));
  return [lo, hi];
}

/** Renders the ratio chart of a report as SVG text. */
export function ratioChart(report: BenchReport): string {
  const bars = barsOf(report);
  const [lo, hi] = domain(bars.flatMap((b) => (b.value === null ? [] : [b.value])));
  const left = 230, right = 880, top = 56, rowH = 18, legendH = 18 * 4 + 16;
  const height = top + bars.length * rowH + 30 + legendH;
  const x = (v: number) => left + ((Math.log2(v) - lo) / (hi - lo)) * (right - left);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="900" height="${height}" ` +
    `viewBox="0 0 900 ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="900" height="${height}" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">nutmeg vs nutcracker (${
      escape(report.mode)
    } run, ${escape(report.startedAt)})</text>`,
    `<text x="10" y="38" fill="#555">ratios on a log2 axis; 1 = equal</text>`,
  ];
  const axisBottom = top + bars.length * rowH;
  for (let e = lo; e <= hi; e++) {
    const tx = x(2 ** e);
    const label = e >= 0 ? `${2 ** e}` : `1/${2 ** -e}`;
    out.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${axisBottom}" ` +
        `stroke="${e === 0 ? "#000" : "#ddd"}"/>`,
      `<text x="${tx}" y="${axisBottom + 14}" text-anchor="middle" fill="#555">${label}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 12}" text-anchor="end">${escape(b.label)}</text>`);
    if (b.value === null || !(b.value > 0)) {
      out.push(`<text x="${x(1) + 4}" y="${y + 12}" fill="#999">not measured</text>`);
      return;
    }
    const [x0, x1] = [x(1), x(b.value)].sort((p, q) => p - q) as [number, number];
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${y + 2}" width="${Math.max(1, x1 - x0).toFixed(1)}" ` +
        `height="${rowH - 5}" fill="${COLORS[b.series]}"/>`,
    );
    if (b.series === "mget") {
      const tx = x(report.bigMget.target);
      out.push(
        `<line x1="${tx.toFixed(1)}" y1="${y - 1}" x2="${tx.toFixed(1)}" y2="${y + rowH}" ` +
          `stroke="#000" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
    const tx = b.value >= 1 ? x1 + 4 : x0 - 4;
    out.push(
      `<text x="${tx.toFixed(1)}" y="${y + 12}" text-anchor="${b.value >= 1 ? "start" : "end"}">` +
        `${b.value.toFixed(2)}</text>`,
    );
  });
  (Object.keys(LEGEND) as Bar["series"][]).forEach((s, i) => {
    const y = axisBottom + 34 + i * 18;
    out.push(
      `<rect x="${left}" y="${y}" width="12" height="12" fill="${COLORS[s]}"/>`,
      `<text x="${left + 18}" y="${y + 10}">${escape(LEGEND[s])}</text>`,
    );
  });
  out.push("</svg>", "");
  return out.join("\n");
}
