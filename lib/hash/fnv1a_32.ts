/**
 * FNV-1a 32-bit as twemproxy computes it.
 * Quirk: bytes are read as signed `char` and sign-extended before the xor.
 *
 * @module
 */
import type { HashFn } from "./types.ts";
import { FNV_32_INIT, FNV_32_PRIME } from "./fnv1_32.ts";

/** twemproxy's `fnv1a_32` hash of `buf[start, end)`. */
export const fnv1a_32: HashFn = (buf, start, end) => {
  let h = FNV_32_INIT | 0;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ ((buf[i] << 24) >> 24), FNV_32_PRIME);
  }
  return h >>> 0;
};
