/**
 * FNV-1 32-bit as twemproxy computes it.
 * Quirk: bytes are read as signed `char` and sign-extended before the xor.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** FNV 32-bit offset basis. */
export const FNV_32_INIT = 0x811c9dc5;
/** FNV 32-bit prime. */
export const FNV_32_PRIME = 0x01000193;

/** twemproxy's `fnv1_32` hash of `buf[start, end)`. */
export const fnv1_32: HashFn = (buf, start, end) => {
  let h = FNV_32_INIT | 0;
  for (let i = start; i < end; i++) {
    h = Math.imul(h, FNV_32_PRIME) ^ ((buf[i] << 24) >> 24);
  }
  return h >>> 0;
};
