/**
 * FNV-1 (64-bit parameters) as twemproxy computes it: 64-bit state, result is
 * the low 32 bits.
 *
 * The low 32 bits of a 64-bit product depend only on the low 32 bits of its
 * factors, so the state is kept in 32 bits with the constants truncated
 * (offset 0x84222325, prime 0x1b3) — bit-exact with the 64-bit computation.
 * Quirk: bytes are read as signed `char` and sign-extended before the xor.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** Low 32 bits of the FNV 64-bit offset basis 0xcbf29ce484222325. */
export const FNV_64_INIT_LOW = 0x84222325;
/** Low 32 bits of the FNV 64-bit prime 0x100000001b3. */
export const FNV_64_PRIME_LOW = 0x1b3;

/** twemproxy's `fnv1_64` hash of `buf[start, end)`. */
export const fnv1_64: HashFn = (buf, start, end) => {
  let h = FNV_64_INIT_LOW | 0;
  for (let i = start; i < end; i++) {
    h = Math.imul(h, FNV_64_PRIME_LOW) ^ ((buf[i] << 24) >> 24);
  }
  return h >>> 0;
};
