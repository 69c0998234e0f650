/**
 * twemproxy's `crc32a`: the standard CRC-32 (IEEE 802.3, as in zlib).
 *
 * @module
 */
import type { HashFn } from "./types.ts";
import { CRC32_TABLE } from "./crc32_table.ts";

/** twemproxy's `crc32a` hash of `buf[start, end)`: the full standard CRC-32. */
export const crc32a: HashFn = (buf, start, end) => {
  let crc = -1;
  for (let i = start; i < end; i++) {
    crc = (crc >>> 8) ^ CRC32_TABLE[(crc ^ buf[i]) & 0xff];
  }
  return ~crc >>> 0;
};
