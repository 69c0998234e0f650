/**
 * What a memcached pool answers to `version` and `stats`: a memcached
 * version whose ASCII protocol nutmeg serves followed by nutmeg's own, and
 * the pool's counters as `STAT` rows. Thin functions of a {@link PoolView},
 * read when a client asks (after a reload, the generation in force).
 *
 * @module
 */
import type { PoolView } from "../pool_view.ts";

/**
 * The version memcached pools report for nutmeg `version`: clients gate
 * features on the number (memccapable fails most of its suite below 1.6).
 *
 * @example
 * ```ts
 * import { memcachedVersion } from "./stats_text.ts";
 * console.assert(memcachedVersion("0.1.0") === "1.6.0-nutmeg-0.1.0");
 * ```
 */
export function memcachedVersion(version: string): string {
  return `1.6.0-nutmeg-${version}`;
}

/** The `stats` rows of a pool: pid, version, then every pool counter. */
export function memcacheStats(
  version: string,
  view: PoolView | null,
): [string, string | number][] {
  const out: [string, string | number][] = [
    ["pid", Deno.pid],
    ["version", memcachedVersion(version)],
  ];
  if (view === null) return out;
  for (const [k, v] of Object.entries(view.stats)) out.push([k, v]);
  return out;
}
