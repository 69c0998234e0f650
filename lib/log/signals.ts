/**
 * twemproxy's log signals: SIGTTIN raises the level, SIGTTOU lowers it,
 * SIGHUP reopens the log file (after rotation).
 *
 * @module
 */
import type { Logger } from "./logger.ts";

/**
 * Wires SIGTTIN, SIGTTOU and SIGHUP to `logger` and returns the function
 * that unwires them. Does nothing on Windows, which has none of them.
 *
 * @example
 * ```ts ignore
 * import { logger } from "./default_logger.ts";
 * import { installLogSignals } from "./signals.ts";
 * const dispose = installLogSignals(logger);
 * // ... run ...
 * dispose();
 * ```
 */
export function installLogSignals(logger: Logger): () => void {
  if (Deno.build.os === "windows") return () => {};
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTTIN", () => {
      logger.notice("signal SIGTTIN received, up logging level");
      logger.raise();
    }],
    ["SIGTTOU", () => {
      logger.notice("signal SIGTTOU received, down logging level");
      logger.lower();
    }],
    ["SIGHUP", () => {
      logger.notice("signal SIGHUP received, reopening log file");
      logger.reopen();
    }],
  ];
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  };
}
