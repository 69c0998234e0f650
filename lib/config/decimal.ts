/**
 * Whole numbers as twemproxy reads them (`nc_atoi`): decimal digits only,
 * no sign, no spaces, no `0x`, leading zeros allowed.
 *
 * @module
 */

/** The largest value twemproxy stores without overflowing its `int`. */
export const INT_MAX = 2147483647;

/**
 * Parses `text` as a whole number made of ASCII digits only. Returns null
 * for anything else (empty, signs, spaces, fractions, hex) and for values
 * above {@link INT_MAX}, which twemproxy would silently wrap.
 *
 * @example
 * ```ts
 * import { parseDecimal } from "./decimal.ts";
 * console.assert(parseDecimal("0400") === 400);
 * console.assert(parseDecimal("-1") === null);
 * console.assert(parseDecimal("1.5") === null);
 * ```
 */
export function parseDecimal(text: string): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const value = Number(text);
  return value <= INT_MAX ? value : null;
}
