/**
 * The default {@link Logger} of this worker (level 5, stderr). The command
 * line configures it (`-v`, `-o`); the rest of nutmeg logs through it. It is
 * the only mutable state of lib/log, one per worker.
 *
 * @module
 */
import { Logger } from "./logger.ts";

/**
 * This worker's logger.
 *
 * @example
 * ```ts
 * import { logger } from "./default_logger.ts";
 * if (logger.enabled(7)) logger.debug("costly detail");
 * ```
 */
export const logger: Logger = new Logger();
