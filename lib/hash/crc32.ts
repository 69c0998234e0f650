/**
 * twemproxy's `crc32`: the libmemcached flavour, which keeps only 15 bits of
 * the standard CRC-32: `((~crc) >> 16) & 0x7fff`.
 *
 * @module
 */
import type { HashFn } from "./types.ts";
import { CRC32_TABLE } from "./crc32_table.ts";

/** twemproxy's `crc32` hash of `buf[start, end)`: 15 bits (0 .. 0x7fff). */
export const crc32: HashFn = (buf, start, end) => {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ buf[i]) & 0xff];
  }
  return (~crc >>> 16) & 0x7fff;
};
