/**
 * The text a Redis pool answers to INFO: the proxy's own facts (nutmeg's
 * version, the Redis version whose commands it serves, the pool, its
 * servers, its clients), since INFO cannot be forwarded to one server of
 * many. A thin function of a {@link PoolView}, read when a client asks.
 *
 * @module
 */
import type { PoolView } from "../pool_view.ts";

/**
 * INFO's text for the pool `view` (null before the pool exists), in Redis's
 * `# Section` / `key:value` CRLF layout.
 *
 * @example
 * ```ts
 * import { redisInfo } from "./info.ts";
 * const text = redisInfo("0.1.0", null);
 * console.assert(text.startsWith("# Server\r\nnutmeg_version:0.1.0\r\n"));
 * ```
 */
export function redisInfo(version: string, view: PoolView | null): string {
  const lines = [
    "# Server",
    `nutmeg_version:${version}`,
    `redis_version:7.0.0`,
    `redis_mode:proxy`,
    `pool:${view?.name ?? ""}`,
    `servers:${view?.serverCount ?? 0}`,
    `process_id:${Deno.pid}`,
    "",
    "# Clients",
    `connected_clients:${view?.stats.client_connections ?? 0}`,
  ];
  return lines.join("\r\n") + "\r\n";
}
