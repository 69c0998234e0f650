/**
 * Bob Jenkins' one-at-a-time hash as twemproxy computes it.
 *
 * Quirk: twemproxy reads the key through a (signed) `char *` on x86, so bytes
 * >= 0x80 are sign-extended to 32 bits before they are added.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** twemproxy's `one_at_a_time` hash of `buf[start, end)`. */
export const one_at_a_time: HashFn = (buf, start, end) => {
  let h = 0;
  for (let i = start; i < end; i++) {
    h = (h + ((buf[i] << 24) >> 24)) | 0;
    h = (h + (h << 10)) | 0;
    h ^= h >>> 6;
  }
  h = (h + (h << 3)) | 0;
  h ^= h >>> 11;
  h = (h + (h << 15)) | 0;
  return h >>> 0;
};
