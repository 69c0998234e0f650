/**
 * The stats table: every counter nutmeg keeps, with twemproxy's names and
 * descriptions. The stats port, `-D` and the Prometheus output all read it.
 *
 * `kind`:
 * - `counter`: only grows; summed across workers.
 * - `gauge`: a current level (connections, queue sizes); summed across workers.
 * - `timestamp`: a point in time (µs since the epoch); the latest wins when merged.
 *
 * @module
 */

/** How a metric behaves when aggregated. */
export type MetricKind = "counter" | "gauge" | "timestamp";

/** One row of the stats table. */
export interface MetricDef {
  readonly name: string;
  readonly kind: MetricKind;
  readonly description: string;
}

/** Per-pool stats, in twemproxy's order. */
export const POOL_METRICS = [
  { name: "client_eof", kind: "counter", description: "# eof on client connections" },
  { name: "client_err", kind: "counter", description: "# errors on client connections" },
  { name: "client_connections", kind: "gauge", description: "# active client connections" },
  { name: "server_ejects", kind: "counter", description: "# times backend server was ejected" },
  {
    name: "forward_error",
    kind: "counter",
    description: "# times we encountered a forwarding error",
  },
  {
    name: "fragments",
    kind: "counter",
    description: "# fragments created from a multi-vector request",
  },
] as const satisfies readonly MetricDef[];

/** Per-server stats, in twemproxy's order. */
export const SERVER_METRICS = [
  { name: "server_eof", kind: "counter", description: "# eof on server connections" },
  { name: "server_err", kind: "counter", description: "# errors on server connections" },
  { name: "server_timedout", kind: "counter", description: "# timeouts on server connections" },
  { name: "server_connections", kind: "gauge", description: "# active server connections" },
  {
    name: "server_ejected_at",
    kind: "timestamp",
    description: "timestamp when server was ejected in usec since epoch",
  },
  { name: "requests", kind: "counter", description: "# requests" },
  { name: "request_bytes", kind: "counter", description: "total request bytes" },
  { name: "responses", kind: "counter", description: "# responses" },
  { name: "response_bytes", kind: "counter", description: "total response bytes" },
  { name: "in_queue", kind: "gauge", description: "# requests in incoming queue" },
  { name: "in_queue_bytes", kind: "gauge", description: "current request bytes in incoming queue" },
  { name: "out_queue", kind: "gauge", description: "# requests in outgoing queue" },
  {
    name: "out_queue_bytes",
    kind: "gauge",
    description: "current request bytes in outgoing queue",
  },
] as const satisfies readonly MetricDef[];

/**
 * Per-server stats nutmeg keeps beyond twemproxy's: after them in the stats
 * JSON and /metrics, not in `-D` (which prints what nutcracker prints).
 */
export const EXTRA_SERVER_METRICS = [
  {
    name: "dedicated_connections",
    kind: "gauge",
    description: "# server connections dedicated to one client (blocking, transactions, pub/sub)",
  },
] as const satisfies readonly MetricDef[];

/** Every per-server metric: twemproxy's, then nutmeg's own. */
export const ALL_SERVER_METRICS: readonly (MetricDef & { readonly name: ServerMetric })[] = [
  ...SERVER_METRICS,
  ...EXTRA_SERVER_METRICS,
];

/** Name of a pool metric. */
export type PoolMetric = typeof POOL_METRICS[number]["name"];
/** Name of a server metric. */
export type ServerMetric =
  | typeof SERVER_METRICS[number]["name"]
  | typeof EXTRA_SERVER_METRICS[number]["name"];

/** A pool's counters, one number per {@link POOL_METRICS} row. */
export type PoolStats = Record<PoolMetric, number>;
/** A server's counters, one number per {@link SERVER_METRICS} row. */
export type ServerStats = Record<ServerMetric, number>;

function zeroed<T extends readonly MetricDef[]>(defs: T): Record<T[number]["name"], number> {
  const out = {} as Record<string, number>;
  for (const d of defs) out[d.name] = 0;
  return out as Record<T[number]["name"], number>;
}

/** A fresh pool counter set, all zero. */
export function newPoolStats(): PoolStats {
  return zeroed(POOL_METRICS);
}

/** A fresh server counter set, all zero. */
export function newServerStats(): ServerStats {
  return { ...zeroed(SERVER_METRICS), ...zeroed(EXTRA_SERVER_METRICS) };
}

/** The `-D` text: pool stats then server stats, names padded as nutcracker does. */
export function describeStats(): string {
  const row = (d: MetricDef) => `  ${d.name.padEnd(20)}"${d.description}"`;
  return [
    "pool stats:",
    ...POOL_METRICS.map(row),
    "",
    "server stats:",
    ...SERVER_METRICS.map(row),
  ].join("\n") + "\n";
}
