/**
 * Bob Jenkins' lookup3 `hashlittle` with initval 13, as twemproxy computes it
 * on a little-endian machine (its word-aligned, half-word and byte paths all
 * give the same value there; this reads bytes). An empty key returns the
 * initial state 0xdeadbefc without the final mix.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** twemproxy's `jenkins` hash of `buf[start, end)`. */
export const jenkins: HashFn = (buf, start, end) => {
  let len = end - start;
  let a = (0xdeadbeef + len + 13) | 0;
  let b = a;
  let c = a;
  if (len === 0) return c >>> 0;
  let p = start;
  while (len > 12) {
    a = (a + (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24))) | 0;
    b = (b + (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24))) | 0;
    c = (c + (buf[p + 8] | (buf[p + 9] << 8) | (buf[p + 10] << 16) | (buf[p + 11] << 24))) | 0;
    // mix(a, b, c)
    a = (a - c) | 0;
    a ^= (c << 4) | (c >>> 28);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= (a << 6) | (a >>> 26);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= (b << 8) | (b >>> 24);
    b = (b + a) | 0;
    a = (a - c) | 0;
    a ^= (c << 16) | (c >>> 16);
    c = (c + b) | 0;
    b = (b - a) | 0;
    b ^= (a << 19) | (a >>> 13);
    a = (a + c) | 0;
    c = (c - b) | 0;
    c ^= (b << 4) | (b >>> 28);
    b = (b + a) | 0;
    len -= 12;
    p += 12;
  }
  // Last block, 1..12 bytes: byte j adds to a, b or c (j / 4) at bit 8 * (j % 4).
  for (let j = 0; j < len; j++) {
    const v = buf[p + j] << (8 * (j & 3));
    if (j < 4) a = (a + v) | 0;
    else if (j < 8) b = (b + v) | 0;
    else c = (c + v) | 0;
  }
  // final(a, b, c)
  c ^= b;
  c = (c - ((b << 14) | (b >>> 18))) | 0;
  a ^= c;
  a = (a - ((c << 11) | (c >>> 21))) | 0;
  b ^= a;
  b = (b - ((a << 25) | (a >>> 7))) | 0;
  c ^= b;
  c = (c - ((b << 16) | (b >>> 16))) | 0;
  a ^= c;
  a = (a - ((c << 4) | (c >>> 28))) | 0;
  b ^= a;
  b = (b - ((a << 14) | (a >>> 18))) | 0;
  c ^= b;
  c = (c - ((b << 24) | (b >>> 8))) | 0;
  return c >>> 0;
};
