/**
 * The standard reflected CRC-32 table (polynomial 0xedb88320), shared by
 * `crc32` and `crc32a`.
 *
 * @module
 */

/** CRC-32 lookup table: entry n is the CRC of byte n (reflected, poly 0xedb88320). */
export const CRC32_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (0xedb88320 ^ (c >>> 1)) : (c >>> 1);
    t[n] = c;
  }
  return t;
})();
