/**
 * The log line format, twemproxy's: `[YYYY-MM-DD HH:MM:SS.mmm] message`, in
 * local time.
 *
 * @module
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * `date` as `YYYY-MM-DD HH:MM:SS.mmm` in local time.
 *
 * @example
 * ```ts
 * import { formatTimestamp } from "./format.ts";
 * console.assert(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/.test(formatTimestamp(new Date())));
 * ```
 */
export function formatTimestamp(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.` +
    pad(date.getMilliseconds(), 3);
}

/** One log line with its newline: `[timestamp] message\n`. */
export function formatLogLine(date: Date, message: string): string {
  return `[${formatTimestamp(date)}] ${message}\n`;
}
