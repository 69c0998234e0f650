/**
 * Logging with twemproxy's levels (0 EMERG .. 11 PVERB) and line format
 * (`[YYYY-MM-DD HH:MM:SS.mmm] message`), to stderr or a file.
 *
 * @example
 * ```ts
 * import { Logger, LogLevel } from "./mod.ts";
 * const log = new Logger({ level: LogLevel.NOTICE });
 * console.assert(log.enabled(LogLevel.WARN) && !log.enabled(LogLevel.INFO));
 * ```
 *
 * @module
 */
export { Logger, type LoggerOptions } from "./logger.ts";
export { logger } from "./default_logger.ts";
export { installLogSignals } from "./signals.ts";
export { formatLogLine, formatTimestamp } from "./format.ts";
export {
  clampLevel,
  LOG_LEVEL_DEFAULT,
  LOG_LEVEL_MAX,
  LOG_LEVEL_MIN,
  LOG_LEVEL_NAMES,
  LogLevel,
} from "./levels.ts";
