/**
 * "FNV-1a 64" as twemproxy computes it. Despite the name it runs 32-bit
 * arithmetic with the 64-bit constants truncated to 32 bits (offset
 * 0x84222325, prime 0x1b3).
 * Quirk: bytes are read as signed `char` and sign-extended before the xor.
 *
 * @module
 */
import type { HashFn } from "./types.ts";
import { FNV_64_INIT_LOW, FNV_64_PRIME_LOW } from "./fnv1_64.ts";

/** twemproxy's `fnv1a_64` hash of `buf[start, end)` (its default hash). */
export const fnv1a_64: HashFn = (buf, start, end) => {
  let h = FNV_64_INIT_LOW | 0;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ ((buf[i] << 24) >> 24), FNV_64_PRIME_LOW);
  }
  return h >>> 0;
};
