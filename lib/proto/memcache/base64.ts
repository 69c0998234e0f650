/**
 * Base64 keys of the meta commands (`b` flag): decoded the way memcached
 * 1.6.18 decodes them (its `base64_decode`), so that a key sent in base64
 * hashes to the same server as the same key sent in plain text, and a key
 * memcached cannot decode is recognised as such.
 *
 * memcached's decoder skips every byte outside the alphabet
 * (`A-Z a-z 0-9 + /` and `=`), needs a multiple of four alphabet bytes,
 * decodes four at a time, and stops after the first group holding a `=`
 * (one `=` drops one byte, two drop two, more is an error). An empty result
 * is an error too.
 *
 * @module
 */

/** Value of each byte in the alphabet, or -1 for bytes the decoder skips. */
const VALUES: Int8Array = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table[0x3d] = 0; // '='
  return table;
})();

const PAD = 0x3d;

/**
 * Decodes the base64 key `buf[start, end)` into `out` at `at` (which must
 * have room for `(end - start) * 3 / 4` bytes). Returns the decoded length,
 * or -1 where memcached fails to decode (it then answers a
 * `CLIENT_ERROR`).
 *
 * @example
 * ```ts
 * import { decodeBase64Key } from "./base64.ts";
 * const key = new TextEncoder().encode("Zm9vYmE=");
 * const out = new Uint8Array(8);
 * const n = decodeBase64Key(key, 0, key.length, out, 0);
 * console.assert(new TextDecoder().decode(out.subarray(0, n)) === "fooba");
 * ```
 */
export function decodeBase64Key(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at: number,
): number {
  let count = 0;
  for (let i = start; i < end; i++) if (VALUES[buf[i]!]! >= 0) count++;
  if (count === 0 || count % 4 !== 0) return -1;
  let pos = at;
  let group = 0;
  let filled = 0;
  let pad = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    const v = VALUES[c]!;
    if (v < 0) continue;
    if (c === PAD) pad++;
    group = (group << 6) | v;
    if (++filled < 4) continue;
    out[pos++] = (group >> 16) & 0xff;
    out[pos++] = (group >> 8) & 0xff;
    out[pos++] = group & 0xff;
    group = 0;
    filled = 0;
    if (pad > 0) {
      if (pad > 2) return -1;
      pos -= pad;
      break;
    }
  }
  return pos - at > 0 ? pos - at : -1;
}
