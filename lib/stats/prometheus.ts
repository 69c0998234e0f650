/**
 * The Prometheus text format (0.0.4) of nutmeg's counters: every row of the
 * stats table (lib/stats/metrics.ts) with its description as HELP, pool
 * metrics labelled `pool`, server metrics labelled `pool` and `server`, and
 * request-to-response latency histograms per pool and per server.
 *
 * Names: `nutmeg_pool_<name>` and `nutmeg_server_<name>` (a leading
 * `server_` of a server metric is dropped: `server_eof` becomes
 * `nutmeg_server_eof_total`); counters end in `_total`.
 *
 * @module
 */
import { ALL_SERVER_METRICS, type MetricDef, POOL_METRICS } from "./metrics.ts";
import type { PoolStats, ServerStats } from "./metrics.ts";
import { type Histogram, LATENCY_BUCKETS } from "./histogram.ts";
import type { ConfigStats } from "./report.ts";

/** What the exporter reads: live counters and histograms. */
export interface MetricsSource {
  readonly startedAt: number;
  /** The configuration facts, when a runtime reports them. */
  readonly configStats?: ConfigStats;
  readonly counters: { readonly total_connections: number; readonly curr_connections: number };
  readonly pools: readonly {
    readonly name: string;
    readonly stats: PoolStats;
    readonly latency: Histogram;
    readonly servers: readonly {
      readonly name: string;
      readonly stats: ServerStats;
      readonly latency: Histogram;
    }[];
  }[];
}

/** The Content-Type of {@link prometheusText}. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Prometheus metric name of a stats table row. */
export function metricName(scope: "pool" | "server", def: MetricDef): string {
  const base = scope === "server" ? def.name.replace(/^server_/, "") : def.name;
  return `nutmeg_${scope}_${base}${def.kind === "counter" ? "_total" : ""}`;
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function header(out: string[], name: string, type: string, help: string): void {
  out.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
}

function histogram(out: string[], name: string, labels: string, h: Histogram): void {
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    cumulative += h.counts[i]!;
    out.push(`${name}_bucket{${labels},le="${LATENCY_BUCKETS[i]}"} ${cumulative}`);
  }
  out.push(`${name}_bucket{${labels},le="+Inf"} ${h.count}`);
  out.push(`${name}_sum{${labels}} ${h.sum}`);
  out.push(`${name}_count{${labels}} ${h.count}`);
}

/** Every metric of `src` now, in Prometheus text format. */
export function prometheusText(src: MetricsSource): string {
  const out: string[] = [];
  header(out, "nutmeg_uptime_seconds", "gauge", "seconds since the proxy started");
  out.push(`nutmeg_uptime_seconds ${Math.floor((Date.now() - src.startedAt) / 1000)}`);
  header(out, "nutmeg_connections_total", "counter", "client connections accepted");
  out.push(`nutmeg_connections_total ${src.counters.total_connections}`);
  header(out, "nutmeg_connections", "gauge", "client connections open");
  out.push(`nutmeg_connections ${src.counters.curr_connections}`);
  const config = src.configStats;
  if (config !== undefined) {
    header(out, "nutmeg_reloads_total", "counter", "configuration reloads that took effect");
    out.push(`nutmeg_reloads_total ${config.reloads}`);
    header(
      out,
      "nutmeg_reload_errors_total",
      "counter",
      "configuration reloads refused (nothing changed)",
    );
    out.push(`nutmeg_reload_errors_total ${config.reload_errors}`);
    header(out, "nutmeg_config_info", "gauge", "the configuration file in force, by sha256");
    out.push(`nutmeg_config_info{sha256="${escapeLabel(config.config_sha256)}"} 1`);
    header(
      out,
      "nutmeg_config_loaded_timestamp_seconds",
      "gauge",
      "when the configuration in force was loaded (unix seconds)",
    );
    out.push(
      `nutmeg_config_loaded_timestamp_seconds ${Math.floor(config.config_loaded_at / 1000)}`,
    );
  }
  for (const def of POOL_METRICS) {
    const name = metricName("pool", def);
    header(out, name, def.kind === "counter" ? "counter" : "gauge", def.description);
    for (const p of src.pools) {
      out.push(`${name}{pool="${escapeLabel(p.name)}"} ${p.stats[def.name]}`);
    }
  }
  for (const def of ALL_SERVER_METRICS) {
    const name = metricName("server", def);
    header(out, name, def.kind === "counter" ? "counter" : "gauge", def.description);
    for (const p of src.pools) {
      for (const s of p.servers) {
        out.push(
          `${name}{pool="${escapeLabel(p.name)}",server="${escapeLabel(s.name)}"} ${
            s.stats[def.name]
          }`,
        );
      }
    }
  }
  header(
    out,
    "nutmeg_pool_latency_seconds",
    "histogram",
    "request to response latency seen by the pool's clients",
  );
  for (const p of src.pools) {
    histogram(out, "nutmeg_pool_latency_seconds", `pool="${escapeLabel(p.name)}"`, p.latency);
  }
  header(
    out,
    "nutmeg_server_latency_seconds",
    "histogram",
    "request to response latency of each server",
  );
  for (const p of src.pools) {
    for (const s of p.servers) {
      histogram(
        out,
        "nutmeg_server_latency_seconds",
        `pool="${escapeLabel(p.name)}",server="${escapeLabel(s.name)}"`,
        s.latency,
      );
    }
  }
  return out.join("\n") + "\n";
}
