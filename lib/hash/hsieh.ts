/**
 * Paul Hsieh's SuperFastHash as twemproxy computes it on x86-64.
 *
 * 16-bit words are read little-endian from unsigned bytes. Quirk: when the
 * length is 3 mod 4, the last byte is read through a signed `char` and is
 * sign-extended before the `<< 18`; the 1-byte tail is read unsigned. An empty
 * key hashes to 0.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** twemproxy's `hsieh` hash of `buf[start, end)`. */
export const hsieh: HashFn = (buf, start, end) => {
  const len = end - start;
  if (len <= 0) return 0;
  let h = 0;
  let p = start;
  for (let n = len >>> 2; n > 0; n--) {
    h = (h + (buf[p] | (buf[p + 1] << 8))) | 0;
    const tmp = ((buf[p + 2] | (buf[p + 3] << 8)) << 11) ^ h;
    h = (h << 16) ^ tmp;
    p += 4;
    h = (h + (h >>> 11)) | 0;
  }
  switch (len & 3) {
    case 3:
      h = (h + (buf[p] | (buf[p + 1] << 8))) | 0;
      h ^= h << 16;
      h ^= ((buf[p + 2] << 24) >> 24) << 18;
      h = (h + (h >>> 11)) | 0;
      break;
    case 2:
      h = (h + (buf[p] | (buf[p + 1] << 8))) | 0;
      h ^= h << 11;
      h = (h + (h >>> 17)) | 0;
      break;
    case 1:
      h = (h + buf[p]) | 0;
      h ^= h << 10;
      h = (h + (h >>> 1)) | 0;
      break;
  }
  h ^= h << 3;
  h = (h + (h >>> 5)) | 0;
  h ^= h << 4;
  h = (h + (h >>> 17)) | 0;
  h ^= h << 25;
  h = (h + (h >>> 6)) | 0;
  return h >>> 0;
};
