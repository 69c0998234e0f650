/**
 * `stats` through the proxy: the pool shown as one memcached, so that
 * operators' tools (memcstat, dashboards reading `curr_items`, `get_hits`,
 * ...) see the whole pool.
 *
 * - `stats`, `stats items`, `stats slabs`, `stats sizes`: each server's
 *   `STAT` lines merged by name: numbers are summed (`curr_items`, `bytes`,
 *   `get_hits`, `curr_connections`, `limit_maxbytes` -- the pool's capacity
 *   -- ...), except ages, times, sizes of a kind and flags (`uptime`,
 *   `time`, `age`, `chunk_size`, `pointer_size`, `threads`, ...), where the
 *   largest is kept; text (`libevent`) is the first server's. Plain `stats` then gives the
 *   proxy's own identity (`pid`, `version`) and counters, and
 *   `nutmeg_servers` / `nutmeg_servers_failed` (servers that could not
 *   answer; their numbers are missing from the sums).
 * - `stats settings`: a setting every server has alike is kept; one that
 *   differs lists each server's value, comma-separated, in pool order.
 * - `stats cachedump <class> <limit>` (memcdump): every server's `ITEM`
 *   lines, in pool order, then `END`.
 * - `stats reset`: `RESET` once every server has reset.
 *
 * @module
 */
import type { Merger } from "../types.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Base names (after the last `:`) where the pool's value is the largest, not the sum. */
const LARGEST = new Set([
  "uptime",
  "time",
  "pointer_size",
  "age",
  "age_hot",
  "age_warm",
  "evicted_time",
  "chunk_size",
  "chunks_per_page",
  "slab_reassign_rescues",
  "hash_power_level",
  "hash_is_expanding",
  "threads",
  "reserved_fds",
  "accepting_conns",
  "lru_crawler_running",
  "slab_reassign_running",
  "log_watchers",
]);

/** `STAT name value` lines of a reply closed by `END`, or null when it is not such a reply. */
function statLines(reply: Uint8Array): [string, string][] | null {
  const text = decoder.decode(reply);
  if (!text.endsWith("END\r\n")) return null;
  const out: [string, string][] = [];
  const lines = text.slice(0, -5).split("\r\n");
  for (const line of lines) {
    if (line === "") continue;
    if (!line.startsWith("STAT ")) return null;
    const space = line.indexOf(" ", 5);
    out.push(space < 0 ? [line.slice(5), ""] : [line.slice(5, space), line.slice(space + 1)]);
  }
  return out;
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+\.\d+$/;

/** Merges one stat's values from every server that answered. */
function mergeValue(name: string, values: string[], settings: boolean): string {
  const first = values[0]!;
  if (settings) return values.every((v) => v === first) ? first : values.join(",");
  const base = name.slice(name.lastIndexOf(":") + 1);
  if (values.every((v) => INTEGER.test(v))) {
    const nums = values.map((v) => BigInt(v));
    if (LARGEST.has(base)) return nums.reduce((a, b) => (b > a ? b : a)).toString();
    return nums.reduce((a, b) => a + b, 0n).toString();
  }
  if (values.every((v) => INTEGER.test(v) || DECIMAL.test(v))) {
    const nums = values.map(Number);
    const value = LARGEST.has(base) ? Math.max(...nums) : nums.reduce((a, b) => a + b, 0);
    return value.toFixed(6);
  }
  return first;
}

/** What {@link statsMerger} adds to the merged lines. */
export interface StatsMergeOptions {
  /** `stats settings`: differing values are listed, not summed. */
  readonly settings?: boolean;
  /** Plain `stats`: the proxy's own lines, which replace the servers' of the same name. */
  readonly own?: () => Iterable<readonly [string, string | number]>;
}

/** Text safe for a STAT line: no CR, LF; spaces in names become underscores. */
function clean(text: string): string {
  return text.replace(/[\r\n]/g, " ");
}

/**
 * The merger of a `stats` request sent to every server: one `STAT` list.
 * A server that failed or gave something else than a `STAT` list is left
 * out (and counted in `nutmeg_servers_failed` for plain `stats`); when none
 * answered, the first reply is the client's (an error line).
 *
 * @example
 * ```ts
 * import { statsMerger } from "./stats_merge.ts";
 * const enc = (s: string) => new TextEncoder().encode(s);
 * const merge = statsMerger({});
 * const out = merge([enc("STAT curr_items 2\r\nEND\r\n"), enc("STAT curr_items 3\r\nEND\r\n")]);
 * console.assert(new TextDecoder().decode(out) === "STAT curr_items 5\r\nEND\r\n");
 * ```
 */
export function statsMerger(options: StatsMergeOptions): Merger {
  return (replies) => {
    const values = new Map<string, string[]>();
    let failed = 0;
    for (const reply of replies) {
      const lines = statLines(reply);
      if (lines === null) {
        failed++;
        continue;
      }
      for (const [name, value] of lines) {
        const list = values.get(name);
        if (list === undefined) values.set(name, [value]);
        else list.push(value);
      }
    }
    const own = options.own;
    if (own === undefined && failed === replies.length && replies.length > 0) return replies[0]!;
    const merged = new Map<string, string>();
    for (const [name, list] of values) merged.set(name, mergeValue(name, list, !!options.settings));
    if (own !== undefined) {
      for (const [name, value] of own()) merged.set(clean(name).replace(/ /g, "_"), String(value));
      merged.set("nutmeg_servers", String(replies.length));
      merged.set("nutmeg_servers_failed", String(failed));
    }
    let text = "";
    for (const [name, value] of merged) text += `STAT ${name} ${clean(value)}\r\n`;
    return encoder.encode(text + "END\r\n");
  };
}

const END = encoder.encode("END\r\n");
const RESET = encoder.encode("RESET\r\n");

function endsWith(buf: Uint8Array, suffix: Uint8Array): boolean {
  if (buf.length < suffix.length) return false;
  for (let i = 0; i < suffix.length; i++) {
    if (buf[buf.length - suffix.length + i] !== suffix[i]) return false;
  }
  return true;
}

/**
 * Merges `stats cachedump` replies: every server's `ITEM` lines in pool
 * order, then `END`; the first reply that is not an `ITEM` list (an error)
 * wins.
 */
export const mergeCachedump: Merger = (replies) => {
  let total = END.length;
  for (const reply of replies) {
    if (!endsWith(reply, END)) return reply;
    total += reply.length - END.length;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const reply of replies) {
    out.set(reply.subarray(0, reply.length - END.length), pos);
    pos += reply.length - END.length;
  }
  out.set(END, pos);
  return out;
};

/** Merges `stats reset` replies: `RESET` when every server reset, else the first other reply. */
export const mergeReset: Merger = (replies) => {
  for (const reply of replies) {
    if (reply.length !== RESET.length || !endsWith(reply, RESET)) return reply;
  }
  return RESET;
};

/** The refusal of a `stats` sub-command that only makes sense per server. */
export function statsNotMerged(sub: string): Uint8Array {
  return encoder.encode(
    `CLIENT_ERROR stats ${clean(sub)} is per server and not served by the proxy: ` +
      "ask each server directly\r\n",
  );
}
