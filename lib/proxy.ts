import type { Config } from "./config/types.ts";
import type { RunOptions } from "./cli/options.ts";

/**
 * Runs the proxy for `config` until SIGINT/SIGTERM, then shuts down and
 * resolves with the process exit code. Throws when a listener cannot be opened.
 */
export function runProxy(config: Config, options: RunOptions): Promise<number> {
  // Replaced by the real proxy (lib/net, lib/pool) in the same series of commits.
  return Promise.reject(new Error(`runProxy: not built yet (${config.file}, ${options.confFile})`));
}
