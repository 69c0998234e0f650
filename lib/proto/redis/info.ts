/**
 * The proxy's own section of a Redis pool's INFO (`# Proxy`: nutmeg's
 * version, the pool, its servers, its clients), which goes beside the
 * servers' sections merged (`info_merge.ts`). A thin function of a
 * {@link PoolView}, read when a client asks.
 *
 * @module
 */
import type { PoolView } from "../pool_view.ts";

/**
 * The `# Proxy` section for the pool `view` (null before the pool exists),
 * in Redis's `# Section` / `key:value` CRLF layout.
 *
 * @example
 * ```ts
 * import { redisInfo } from "./info.ts";
 * const text = redisInfo("0.1.0", null);
 * console.assert(text.startsWith("# Proxy\r\nnutmeg_version:0.1.0\r\n"));
 * ```
 */
export function redisInfo(version: string, view: PoolView | null): string {
  const lines = [
    "# Proxy",
    `nutmeg_version:${version}`,
    `pool:${view?.name ?? ""}`,
    `servers:${view?.serverCount ?? 0}`,
    `process_id:${Deno.pid}`,
    `client_connections:${view?.stats.client_connections ?? 0}`,
  ];
  return lines.join("\r\n") + "\r\n";
}
