/**
 * The stats document served on the stats port: twemproxy's JSON layout
 * (top-level service fields, then one object per pool with its counters and
 * one object per server keyed by server name), built from live counters.
 *
 * @module
 */
import { ALL_SERVER_METRICS, POOL_METRICS, type PoolStats, type ServerStats } from "./metrics.ts";

/**
 * The configuration in force and its reloads, reported at the top level
 * (nutmeg's addition to twemproxy's fields).
 */
export interface ConfigStats {
  /** Reloads that took effect. */
  readonly reloads: number;
  /** Reloads refused (bad file, address that cannot be bound); nothing changed. */
  readonly reload_errors: number;
  /** sha256 (hex) of the configuration file in force. */
  readonly config_sha256: string;
  /** When that file was loaded (ms since the epoch). */
  readonly config_loaded_at: number;
}

/**
 * Fields a server adds after twemproxy's counters, or null for none: a
 * sentinel-followed server gives its current `address` and `server_switches`.
 */
export type ExtraServerStats = Readonly<Record<string, string | number>> | null;

/** A server as a report sees it. */
export interface StatsServerSource {
  readonly name: string;
  readonly stats: ServerStats;
  /** Fields beyond twemproxy's (only where they apply, so twemproxy's layout stays as it is). */
  extraStats?(): ExtraServerStats;
}

/** What a report is built from: a proxy's pools and connection counters. */
export interface StatsSource {
  readonly startedAt: number;
  /** The configuration facts, when a runtime reports them. */
  readonly configStats?: ConfigStats;
  readonly counters: { readonly total_connections: number; readonly curr_connections: number };
  readonly pools: readonly {
    readonly name: string;
    readonly stats: PoolStats;
    readonly servers: readonly StatsServerSource[];
  }[];
}

/** A point-in-time copy of every counter. */
export interface StatsSnapshot {
  readonly service: string;
  readonly source: string;
  readonly version: string;
  readonly uptime: number;
  readonly timestamp: number;
  readonly total_connections: number;
  readonly curr_connections: number;
  readonly config: ConfigStats | null;
  readonly pools: readonly {
    readonly name: string;
    readonly stats: PoolStats;
    readonly servers: readonly {
      readonly name: string;
      readonly stats: ServerStats;
      readonly extra?: ExtraServerStats;
    }[];
  }[];
}

/** Copies every counter of `src` now. */
export function snapshot(src: StatsSource, version: string, source: string): StatsSnapshot {
  const now = Date.now();
  return {
    service: "nutcracker",
    source,
    version,
    uptime: Math.floor((now - src.startedAt) / 1000),
    timestamp: Math.floor(now / 1000),
    total_connections: src.counters.total_connections,
    curr_connections: src.counters.curr_connections,
    config: src.configStats === undefined ? null : { ...src.configStats },
    pools: src.pools.map((p) => ({
      name: p.name,
      stats: { ...p.stats },
      servers: p.servers.map((s) => {
        const extra = s.extraStats?.() ?? null;
        return extra === null
          ? { name: s.name, stats: { ...s.stats } }
          : { name: s.name, stats: { ...s.stats }, extra: { ...extra } };
      }),
    })),
  };
}

/**
 * twemproxy's JSON text for a snapshot, with its `"key":value, ` spacing so
 * that scripts matching on the text keep working.
 */
export function toJson(s: StatsSnapshot): string {
  const parts: string[] = [
    `"service":${JSON.stringify(s.service)}`,
    `"source":${JSON.stringify(s.source)}`,
    `"version":${JSON.stringify(s.version)}`,
    `"uptime":${s.uptime}`,
    `"timestamp":${s.timestamp}`,
    `"total_connections":${s.total_connections}`,
    `"curr_connections":${s.curr_connections}`,
  ];
  if (s.config !== null) {
    parts.push(
      `"reloads":${s.config.reloads}`,
      `"reload_errors":${s.config.reload_errors}`,
      `"config_sha256":${JSON.stringify(s.config.config_sha256)}`,
      `"config_loaded_at":${Math.floor(s.config.config_loaded_at / 1000)}`,
    );
  }
  for (const p of s.pools) {
    const fields = POOL_METRICS.map((m) => `"${m.name}":${p.stats[m.name]}`);
    for (const srv of p.servers) {
      const sf = ALL_SERVER_METRICS.map((m) => `"${m.name}":${srv.stats[m.name]}`);
      for (const [k, v] of Object.entries(srv.extra ?? {})) sf.push(`"${k}":${JSON.stringify(v)}`);
      fields.push(`${JSON.stringify(srv.name)}: {${sf.join(", ")}}`);
    }
    parts.push(`${JSON.stringify(p.name)}: {${fields.join(", ")}}`);
  }
  return `{${parts.join(", ")}}`;
}
