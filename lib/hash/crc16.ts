/**
 * CRC-16 (CCITT polynomial 0x1021, MSB first, init 0) as twemproxy computes
 * it.
 *
 * Quirk: the accumulator is a 32-bit integer that is never masked to 16 bits,
 * so bits shifted above bit 15 stay in the result (e.g. "apple" gives
 * 3662830516, not a 16-bit value).
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** The 256-entry CCITT table (poly 0x1021, non-reflected). */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n << 8;
    for (let k = 0; k < 8; k++) c = (c & 0x8000) !== 0 ? ((c << 1) ^ 0x1021) : (c << 1);
    t[n] = c & 0xffff;
  }
  return t;
})();

/** twemproxy's `crc16` hash of `buf[start, end)` (unmasked 32-bit accumulator). */
export const crc16: HashFn = (buf, start, end) => {
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = (crc << 8) ^ TABLE[((crc >>> 8) ^ buf[i]) & 0xff];
  }
  return crc >>> 0;
};
