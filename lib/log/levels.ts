/**
 * twemproxy's log levels, 0 (EMERG) to 11 (PVERB); 5 (NOTICE) is the default.
 *
 * @module
 */

/** Level names by number, as in twemproxy's nc_log.h. */
export const LOG_LEVEL_NAMES = [
  "EMERG",
  "ALERT",
  "CRIT",
  "ERR",
  "WARN",
  "NOTICE",
  "INFO",
  "DEBUG",
  "VERB",
  "VVERB",
  "VVVERB",
  "PVERB",
] as const;

/** The levels by name. */
export const LogLevel = {
  /** System is unusable. */
  EMERG: 0,
  /** Action must be taken immediately. */
  ALERT: 1,
  /** Critical conditions. */
  CRIT: 2,
  /** Error conditions. */
  ERR: 3,
  /** Warning conditions. */
  WARN: 4,
  /** Normal but significant (the default level). */
  NOTICE: 5,
  /** Informational. */
  INFO: 6,
  /** Debug messages. */
  DEBUG: 7,
  /** Verbose messages. */
  VERB: 8,
  /** Very verbose messages. */
  VVERB: 9,
  /** Extremely verbose messages. */
  VVVERB: 10,
  /** Periodic verbose messages. */
  PVERB: 11,
} as const;

/** EMERG (0), for code that logs at a fixed level: twemproxy's `LOG_EMERG`. */
export const LOG_EMERG = LogLevel.EMERG;
/** ALERT (1). */
export const LOG_ALERT = LogLevel.ALERT;
/** CRIT (2). */
export const LOG_CRIT = LogLevel.CRIT;
/** ERR (3). */
export const LOG_ERR = LogLevel.ERR;
/** WARN (4). */
export const LOG_WARN = LogLevel.WARN;
/** NOTICE (5). */
export const LOG_NOTICE = LogLevel.NOTICE;
/** INFO (6). */
export const LOG_INFO = LogLevel.INFO;
/** DEBUG (7). */
export const LOG_DEBUG = LogLevel.DEBUG;
/** VERB (8). */
export const LOG_VERB = LogLevel.VERB;
/** VVERB (9). */
export const LOG_VVERB = LogLevel.VVERB;
/** VVVERB (10). */
export const LOG_VVVERB = LogLevel.VVVERB;
/** PVERB (11). */
export const LOG_PVERB = LogLevel.PVERB;

/**
 * Where code that does not own the logger sends a line: `level` is one of
 * the levels above (the receiver drops lines above its level).
 */
export type LogFn = (level: number, message: string) => void;

/** The lowest level. */
export const LOG_LEVEL_MIN = LogLevel.EMERG;
/** The highest level. */
export const LOG_LEVEL_MAX = LogLevel.PVERB;
/** The default level (-v). */
export const LOG_LEVEL_DEFAULT = LogLevel.NOTICE;

/**
 * `level` brought into 0..11 and made whole, as twemproxy clamps `-v`.
 *
 * @example
 * ```ts
 * import { clampLevel } from "./levels.ts";
 * console.assert(clampLevel(20) === 11 && clampLevel(-3) === 0);
 * ```
 */
export function clampLevel(level: number): number {
  if (Number.isNaN(level)) return LOG_LEVEL_DEFAULT;
  return Math.max(LOG_LEVEL_MIN, Math.min(LOG_LEVEL_MAX, Math.trunc(level)));
}
