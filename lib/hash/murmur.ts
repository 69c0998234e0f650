/**
 * MurmurHash2 as twemproxy computes it: seed `0xdeadbeef * length`, 4-byte
 * little-endian blocks of unsigned bytes.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

const M = 0x5bd1e995;

/** twemproxy's `murmur` hash of `buf[start, end)`. */
export const murmur: HashFn = (buf, start, end) => {
  const len = end - start;
  let h = Math.imul(0xdeadbeef, len) ^ len;
  let p = start;
  for (let n = len >>> 2; n > 0; n--) {
    let k = buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
    p += 4;
  }
  const rem = len & 3;
  if (rem > 0) {
    if (rem === 3) h ^= buf[p + 2] << 16;
    if (rem >= 2) h ^= buf[p + 1] << 8;
    h ^= buf[p];
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h >>> 0;
};
