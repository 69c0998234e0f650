/**
 * INFO for a pool: sent to every server, and the servers' texts merged into
 * one, so operator tools (`redis-cli --stat`, INFO-reading dashboards and
 * clients) see the pool as one server: counters, memory, clients and keys
 * summed, `dbN:keys=...` and `cmdstat_...` lines summed field by field,
 * ratios averaged, identity and configuration fields (versions, process
 * ids, ports, hz ...) taken from the first server. The proxy's own section
 * (`# Proxy`) goes beside them, with how many servers answered.
 *
 * A server that does not answer leaves its part out (the proxy section
 * says so); the reply is a bulk string (RESP2) or a verbatim string
 * (RESP3), as redis-server writes INFO.
 *
 * @module
 */
import type { Merger } from "../types.ts";
import { ReplyBuilder, type RespVersion } from "./encode.ts";

/** Numeric fields that are one server's identity or configuration: the first server's value. */
const FIRST = new Set([
  "redis_git_dirty",
  "arch_bits",
  "process_id",
  "tcp_port",
  "server_time_usec",
  "hz",
  "configured_hz",
  "lru_clock",
  "io_threads_active",
  "maxclients",
  "aof_enabled",
  "cluster_enabled",
  "rdb_last_save_time",
  "master_repl_offset",
  "second_repl_offset",
  "repl_backlog_first_byte_offset",
  "repl_backlog_active",
  "repl_backlog_size",
  "repl_backlog_histlen",
  "current_save_keys_processed",
  "current_save_keys_total",
  "current_cow_size_age",
  "rdb_last_bgsave_time_sec",
  "rdb_current_bgsave_time_sec",
  "aof_last_rewrite_time_sec",
  "aof_current_rewrite_time_sec",
]);
/** Numeric fields where the pool is as young as its youngest server. */
const MIN = new Set(["uptime_in_seconds", "uptime_in_days"]);

const dec = new TextDecoder();

/** The text of an INFO reply (bulk `$` or verbatim `=`), or null for anything else. */
function infoText(r: Uint8Array): string | null {
  const t = r[0];
  if (t !== 36 && t !== 61) return null;
  const nl = r.indexOf(10);
  if (nl < 0) return null;
  const n = Number(dec.decode(r.subarray(1, nl - 1)));
  if (!Number.isInteger(n) || n < 0 || nl + 1 + n + 2 !== r.length) return null;
  return dec.decode(r.subarray(nl + 1 + (t === 61 ? 4 : 0), nl + 1 + n));
}

interface Section {
  readonly name: string;
  /** Field name -> each server's value, in the order fields first appear. */
  readonly fields: Map<string, string[]>;
}

/** Splits INFO text into its sections and `key:value` fields, adding to `out` in order. */
function read(text: string, out: Map<string, Section>): void {
  let section: Section | null = null;
  for (const line of text.split("\r\n")) {
    if (line.startsWith("# ")) {
      const name = line.slice(2).trim();
      section = out.get(name) ?? { name, fields: new Map() };
      out.set(name, section);
      continue;
    }
    const colon = line.indexOf(":");
    if (section === null || colon <= 0) continue;
    const key = line.slice(0, colon);
    const list = section.fields.get(key);
    if (list === undefined) section.fields.set(key, [line.slice(colon + 1)]);
    else list.push(line.slice(colon + 1));
  }
}

const NUMBER = /^-?\d+(\.\d+)?$/;

/** A number as INFO writes it: integers plain, fractions with two decimals. */
function num(n: number, fraction: boolean): string {
  return fraction ? n.toFixed(2) : String(Math.round(n));
}

/** Redis's bytesToHuman: `1023B`, `1.00K`, `2.50M`, ... */
export function bytesToHuman(n: number): string {
  const units = ["B", "K", "M", "G", "T", "P"];
  if (n < 1024) return `${n}B`;
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(2)}${units[u]}`;
}

/** Merges one plain field's values. */
function mergeValue(key: string, values: readonly string[]): string {
  const first = values[0]!;
  if (values.length === 1) return first;
  if (!values.every((v) => NUMBER.test(v))) return first;
  if (FIRST.has(key)) return first;
  const nums = values.map(Number);
  const fraction = values.some((v) => v.includes("."));
  if (MIN.has(key)) return num(Math.min(...nums), fraction);
  const sum = nums.reduce((a, b) => a + b, 0);
  if (/ratio|perc/.test(key)) return num(sum / nums.length, fraction);
  return num(sum, fraction);
}

/**
 * Merges `k=v,k=v` lines (`db0:keys=..`, `cmdstat_get:calls=..`,
 * `errorstat_ERR:count=..`, latency percentiles): counts summed, averages
 * recomputed where their parts are there, percentiles the worst server's.
 */
function mergeSubfields(values: readonly string[]): string {
  const order: string[] = [];
  const all = new Map<string, number[]>();
  for (const v of values) {
    for (const part of v.split(",")) {
      const eq = part.indexOf("=");
      if (eq <= 0) continue;
      const k = part.slice(0, eq);
      const n = Number(part.slice(eq + 1));
      if (!all.has(k)) {
        order.push(k);
        all.set(k, []);
      }
      all.get(k)!.push(n);
    }
  }
  const sum = (k: string) => (all.get(k) ?? []).reduce((a, b) => a + b, 0);
  return order.map((k) => {
    const xs = all.get(k)!;
    if (k === "usec_per_call") {
      const calls = sum("calls");
      return `${k}=${(calls === 0 ? 0 : sum("usec") / calls).toFixed(2)}`;
    }
    if (k === "avg_ttl") {
      const expires = sum("expires");
      // Weighted by each server's keys with a TTL.
      const ttl = all.get("expires") ?? [];
      let w = 0;
      xs.forEach((x, i) => w += x * (ttl[i] ?? 0));
      return `${k}=${expires === 0 ? 0 : Math.round(w / expires)}`;
    }
    if (/^p\d/.test(k)) return `${k}=${Math.max(...xs).toFixed(3)}`;
    return `${k}=${xs.reduce((a, b) => a + b, 0)}`;
  }).join(",");
}

/**
 * The merger of INFO's replies: the servers' sections merged, then, when
 * `withProxy`, the proxy's own text (`proxyText()`, its `# Proxy` section)
 * with `servers_answering:<n>` added. The reply is for a `resp` client.
 */
export function mergeInfo(proxyText: () => string, withProxy: boolean, resp: RespVersion): Merger {
  return (replies) => {
    const sections = new Map<string, Section>();
    let answered = 0;
    for (const r of replies) {
      const text = infoText(r);
      if (text === null) continue;
      answered++;
      read(text, sections);
    }
    const out: string[] = [];
    for (const s of sections.values()) {
      if (out.length > 0) out.push("");
      out.push(`# ${s.name}`);
      for (const [key, values] of s.fields) {
        let value: string;
        if (values.some((v) => /^[a-z_]+=[^,]*(,[a-z_0-9]+=[^,]*)*$/i.test(v) && v.includes("="))) {
          value = mergeSubfields(values);
        } else if (key.endsWith("_human")) {
          const base = s.fields.get(key.slice(0, -6));
          value = base !== undefined && base.every((v) => NUMBER.test(v))
            ? bytesToHuman(Number(mergeValue(key.slice(0, -6), base)))
            : values[0]!;
        } else {
          value = mergeValue(key, values);
        }
        out.push(`${key}:${value}`);
      }
    }
    let text = out.length > 0 ? out.join("\r\n") + "\r\n" : "";
    if (withProxy) {
      if (text !== "") text += "\r\n";
      text += proxyText() + `servers_answering:${answered}\r\n`;
    }
    return new ReplyBuilder(resp).verbatim(text).finish();
  };
}
