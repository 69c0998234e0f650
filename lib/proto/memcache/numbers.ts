/**
 * Numbers in memcached command lines, checked on bytes, digit by digit.
 *
 * memcached 1.6.18 reads numbers with `strtoul`/`strtol` on 64-bit longs
 * (`safe_strtoul`, `safe_strtoull`, `safe_strtol` in util.c): an optional
 * sign, digits, a range check on 64 bits, and for unsigned fields a `-`
 * accepted only when the wrapped result stays below 2^63; white space
 * (tab, vertical tab, form feed, CR) before the number is skipped, and the
 * number may be followed by white space and anything after it. The proxy
 * accepts exactly the tokens memcached accepts and forwards them untouched,
 * so that the server reads the same value memcached would. The one number
 * the proxy itself relies on, the data block length, is read the way
 * memcached reads it, truncation to 32 bits included
 * ({@link dataLengthToken}), so both frame the data block alike.
 *
 * @module
 */

const PLUS = 0x2b;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
/** 2^64 - 1. */
const U64_MAX = ascii("18446744073709551615");
/** 2^63 - 1. */
const I64_MAX = ascii("9223372036854775807");
/** 2^63. */
const I64_MIN_ABS = ascii("9223372036854775808");

/** Largest data block length memcached accepts on a command line (INT_MAX - 2). */
export const MAX_LENGTH_FIELD = 2147483645;

/** C's `isspace` in the C locale. */
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d);
}

/** Start of what `strto*` reads in `buf[start, end)`: past leading white space. */
function numberStart(buf: Uint8Array, start: number, end: number): number {
  while (start < end && isSpace(buf[start])) start++;
  return start;
}

/** End of the number starting at `start`: the first white space, or `end`. */
function numberEnd(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (isSpace(buf[i])) return i;
  return end;
}

/**
 * The common case, checked first: `buf[start, end)` is 1 to `max` plain
 * digits. Returns their count, or -1.
 */
function plainDigits(buf: Uint8Array, start: number, end: number, max: number): number {
  const n = end - start;
  if (n < 1 || n > max) return -1;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return -1;
  }
  return n;
}

/** Whether `buf[start, end)` holds a `-`. */
function hasMinus(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === MINUS) return true;
  return false;
}

/**
 * Compares the digits `buf[start, end)` (leading zeros allowed) with the
 * digits of `limit`: -1, 0 or 1. Returns 2 when a byte is not a digit or
 * there is no digit.
 */
function compareDigits(buf: Uint8Array, start: number, end: number, limit: Uint8Array): number {
  if (start >= end) return 2;
  let i = start;
  while (i < end - 1 && buf[i] === ZERO) i++;
  for (let j = i; j < end; j++) {
    const c = buf[j]!;
    if (c < ZERO || c > NINE) return 2;
  }
  const n = end - i;
  if (n !== limit.length) return n < limit.length ? -1 : 1;
  for (let j = 0; j < n; j++) {
    const d = buf[i + j]! - limit[j]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Whether `buf[start, end)` is only zeros (at least one). */
function isZero(buf: Uint8Array, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) if (buf[i] !== ZERO) return false;
  return true;
}

/**
 * Whether memcached's `safe_strtoul` / `safe_strtoull` accept the token
 * `buf[start, end)` (flags, cas unique, incr/decr delta, verbosity level).
 *
 * @example
 * ```ts
 * import { isUnsignedToken } from "./numbers.ts";
 * const t = (s: string) => new TextEncoder().encode(s);
 * console.assert(isUnsignedToken(t("18446744073709551615"), 0, 20));
 * console.assert(!isUnsignedToken(t("-1"), 0, 2));
 * ```
 */
export function isUnsignedToken(buf: Uint8Array, tokenStart: number, tokenEnd: number): boolean {
  // Up to 19 digits is below 2^64.
  if (plainDigits(buf, tokenStart, tokenEnd, 19) > 0) return true;
  const start = numberStart(buf, tokenStart, tokenEnd);
  const end = numberEnd(buf, start, tokenEnd);
  const sign = buf[start];
  if (sign !== MINUS) {
    const digits = sign === PLUS ? start + 1 : start;
    if (compareDigits(buf, digits, end, U64_MAX) > 0) return false;
    // At 2^63 and above, memcached refuses the token if it holds a `-` anywhere.
    return compareDigits(buf, digits, end, I64_MAX) <= 0 || !hasMinus(buf, end, tokenEnd);
  }
  // strtoul wraps a negative value: memcached refuses it when the result,
  // read as a signed long, is negative: -1 .. -2^63.
  if (isZero(buf, start + 1, end)) return true;
  const above = compareDigits(buf, start + 1, end, I64_MIN_ABS);
  return above === 1 && compareDigits(buf, start + 1, end, U64_MAX) <= 0;
}

/**
 * Whether memcached's `safe_strtol` accepts the token `buf[start, end)`
 * (exptime, flush_all delay): a signed decimal within 64 bits.
 *
 * @example
 * ```ts
 * import { isSignedToken } from "./numbers.ts";
 * const t = (s: string) => new TextEncoder().encode(s);
 * console.assert(isSignedToken(t("-1"), 0, 2));
 * console.assert(!isSignedToken(t("9223372036854775808"), 0, 19));
 * ```
 */
export function isSignedToken(buf: Uint8Array, tokenStart: number, tokenEnd: number): boolean {
  // Up to 18 digits is below 2^63.
  if (plainDigits(buf, tokenStart, tokenEnd, 18) > 0) return true;
  let start = numberStart(buf, tokenStart, tokenEnd);
  const end = numberEnd(buf, start, tokenEnd);
  const sign = buf[start];
  if (sign === MINUS) return compareDigits(buf, start + 1, end, I64_MIN_ABS) <= 0;
  if (sign === PLUS) start++;
  return compareDigits(buf, start, end, I64_MAX) <= 0;
}

/**
 * The data block length in `buf[start, end)` as memcached 1.6.18 reads it
 * (`safe_strtol` into a 32-bit int, then `0 <= length <= INT_MAX - 2`), or
 * -1 when memcached refuses it (`CLIENT_ERROR bad command line format`,
 * with no data block read). A value beyond 32 bits is truncated as
 * memcached truncates it (`4294967297` is 1), so the proxy and the server
 * frame the same data block.
 *
 * @example
 * ```ts
 * import { dataLengthToken } from "./numbers.ts";
 * const t = (s: string) => new TextEncoder().encode(s);
 * console.assert(dataLengthToken(t("+007"), 0, 4) === 7);
 * console.assert(dataLengthToken(t("-1"), 0, 2) === -1);
 * console.assert(dataLengthToken(t("4294967297"), 0, 10) === 1);
 * ```
 */
export function dataLengthToken(buf: Uint8Array, tokenStart: number, tokenEnd: number): number {
  if (plainDigits(buf, tokenStart, tokenEnd, 9) > 0) {
    // Up to 9 digits: below INT_MAX - 2, read as it is.
    let n = 0;
    for (let i = tokenStart; i < tokenEnd; i++) n = n * 10 + (buf[i]! - ZERO);
    return n;
  }
  if (!isSignedToken(buf, tokenStart, tokenEnd)) return -1;
  let start = numberStart(buf, tokenStart, tokenEnd);
  const end = numberEnd(buf, start, tokenEnd);
  let negative = false;
  const sign = buf[start];
  if (sign === PLUS || sign === MINUS) {
    negative = sign === MINUS;
    start++;
  }
  // The low 32 bits of the 64-bit value, read as a signed int.
  let low = 0;
  for (let i = start; i < end; i++) low = (low * 10 + (buf[i]! - ZERO)) % 0x100000000;
  if (negative) low = (0x100000000 - low) % 0x100000000;
  const value = low >= 0x80000000 ? low - 0x100000000 : low;
  return value < 0 || value > MAX_LENGTH_FIELD ? -1 : value;
}

/**
 * Reads the unsigned decimal `buf[start, end)` (server replies), or -1 when
 * it is empty, holds a non-digit or exceeds `max`.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number, max: number): number {
  if (start >= end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < ZERO || c > NINE) return -1;
    n = n * 10 + (c - ZERO);
    if (n > max) return -1;
  }
  return n;
}
