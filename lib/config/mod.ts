/**
 * Configuration: twemproxy's YAML file read into a typed, deeply frozen
 * {@link Config}, with precise errors.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./mod.ts";
 * const config = parseConfig("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n", "x.yml");
 * console.assert(config.pools[0]?.hash === "fnv1a_64");
 * ```
 *
 * @module
 */
export type { Address, Config, PoolConfig, ServerConfig } from "./types.ts";
export { ConfigError, type ConfigErrorInit, ValueError } from "./errors.ts";
export { loadConfig, loadConfigBytes, parseConfig } from "./load.ts";
export {
  type KeyDef,
  POOL_KEY_NAMES,
  POOL_KEY_TABLE,
  POOL_KEYS,
  POOL_RULES,
  type PoolKeyTable,
  type PoolRule,
  type PoolSettings,
  type ScalarKeyDef,
  type ServersKeyDef,
} from "./keys.ts";
export { listenKey, parseListen } from "./listen.ts";
export { compareServerNames, KETAMA_DEFAULT_PORT, parseServer } from "./server.ts";
export { INT_MAX, parseDecimal } from "./decimal.ts";
