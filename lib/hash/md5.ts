/**
 * MD5 (RFC 1321) over `buf[start, end)` with pre-allocated state: no
 * allocation per call, O(length). Used for the `md5` key hash and for the
 * ketama continuum.
 *
 * The digest's bytes are the four state words A, B, C, D in little-endian
 * order, so "digest bytes 4x .. 4x+3 read little-endian" (twemproxy's
 * `ketama_hash(key, len, x)`) is simply state word x.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/** Per-round additive constants: floor(abs(sin(i + 1)) * 2^32). */
const STATE = new Int32Array(4);
const TAIL = new Uint8Array(128);

/** Runs the compression function on the 64 bytes at `src[off]`, updating STATE. */
// One step of each round: a = b + ((a + f(b, c, d) + x + k) <<< s).
function ff(a: number, b: number, c: number, d: number, x: number, s: number, k: number): number {
  const t = (a + ((b & c) | (~b & d)) + x + k) | 0;
  return (b + ((t << s) | (t >>> (32 - s)))) | 0;
}
function gg(a: number, b: number, c: number, d: number, x: number, s: number, k: number): number {
  const t = (a + ((b & d) | (c & ~d)) + x + k) | 0;
  return (b + ((t << s) | (t >>> (32 - s)))) | 0;
}
function hh(a: number, b: number, c: number, d: number, x: number, s: number, k: number): number {
  const t = (a + (b ^ c ^ d) + x + k) | 0;
  return (b + ((t << s) | (t >>> (32 - s)))) | 0;
}
function ii(a: number, b: number, c: number, d: number, x: number, s: number, k: number): number {
  const t = (a + (c ^ (b | ~d)) + x + k) | 0;
  return (b + ((t << s) | (t >>> (32 - s)))) | 0;
}

const word = (src: Uint8Array, o: number): number =>
  src[o] | (src[o + 1] << 8) | (src[o + 2] << 16) | (src[o + 3] << 24);

/**
 * One 64-byte block into STATE, the 64 steps written out (RFC 1321's
 * order): about 4x faster than a loop over tables, which matters for
 * ketama, which hashes 40 names per server (400,000 for 10,000 servers).
 */
function block(src: Uint8Array, off: number): void {
  const x0 = word(src, off + 0);
  const x1 = word(src, off + 4);
  const x2 = word(src, off + 8);
  const x3 = word(src, off + 12);
  const x4 = word(src, off + 16);
  const x5 = word(src, off + 20);
  const x6 = word(src, off + 24);
  const x7 = word(src, off + 28);
  const x8 = word(src, off + 32);
  const x9 = word(src, off + 36);
  const x10 = word(src, off + 40);
  const x11 = word(src, off + 44);
  const x12 = word(src, off + 48);
  const x13 = word(src, off + 52);
  const x14 = word(src, off + 56);
  const x15 = word(src, off + 60);
  let a = STATE[0];
  let b = STATE[1];
  let c = STATE[2];
  let d = STATE[3];
  a = ff(a, b, c, d, x0, 7, -680876936);
  d = ff(d, a, b, c, x1, 12, -389564586);
  c = ff(c, d, a, b, x2, 17, 606105819);
  b = ff(b, c, d, a, x3, 22, -1044525330);
  a = ff(a, b, c, d, x4, 7, -176418897);
  d = ff(d, a, b, c, x5, 12, 1200080426);
  c = ff(c, d, a, b, x6, 17, -1473231341);
  b = ff(b, c, d, a, x7, 22, -45705983);
  a = ff(a, b, c, d, x8, 7, 1770035416);
  d = ff(d, a, b, c, x9, 12, -1958414417);
  c = ff(c, d, a, b, x10, 17, -42063);
  b = ff(b, c, d, a, x11, 22, -1990404162);
  a = ff(a, b, c, d, x12, 7, 1804603682);
  d = ff(d, a, b, c, x13, 12, -40341101);
  c = ff(c, d, a, b, x14, 17, -1502002290);
  b = ff(b, c, d, a, x15, 22, 1236535329);
  a = gg(a, b, c, d, x1, 5, -165796510);
  d = gg(d, a, b, c, x6, 9, -1069501632);
  c = gg(c, d, a, b, x11, 14, 643717713);
  b = gg(b, c, d, a, x0, 20, -373897302);
  a = gg(a, b, c, d, x5, 5, -701558691);
  d = gg(d, a, b, c, x10, 9, 38016083);
  c = gg(c, d, a, b, x15, 14, -660478335);
  b = gg(b, c, d, a, x4, 20, -405537848);
  a = gg(a, b, c, d, x9, 5, 568446438);
  d = gg(d, a, b, c, x14, 9, -1019803690);
  c = gg(c, d, a, b, x3, 14, -187363961);
  b = gg(b, c, d, a, x8, 20, 1163531501);
  a = gg(a, b, c, d, x13, 5, -1444681467);
  d = gg(d, a, b, c, x2, 9, -51403784);
  c = gg(c, d, a, b, x7, 14, 1735328473);
  b = gg(b, c, d, a, x12, 20, -1926607734);
  a = hh(a, b, c, d, x5, 4, -378558);
  d = hh(d, a, b, c, x8, 11, -2022574463);
  c = hh(c, d, a, b, x11, 16, 1839030562);
  b = hh(b, c, d, a, x14, 23, -35309556);
  a = hh(a, b, c, d, x1, 4, -1530992060);
  d = hh(d, a, b, c, x4, 11, 1272893353);
  c = hh(c, d, a, b, x7, 16, -155497632);
  b = hh(b, c, d, a, x10, 23, -1094730640);
  a = hh(a, b, c, d, x13, 4, 681279174);
  d = hh(d, a, b, c, x0, 11, -358537222);
  c = hh(c, d, a, b, x3, 16, -722521979);
  b = hh(b, c, d, a, x6, 23, 76029189);
  a = hh(a, b, c, d, x9, 4, -640364487);
  d = hh(d, a, b, c, x12, 11, -421815835);
  c = hh(c, d, a, b, x15, 16, 530742520);
  b = hh(b, c, d, a, x2, 23, -995338651);
  a = ii(a, b, c, d, x0, 6, -198630844);
  d = ii(d, a, b, c, x7, 10, 1126891415);
  c = ii(c, d, a, b, x14, 15, -1416354905);
  b = ii(b, c, d, a, x5, 21, -57434055);
  a = ii(a, b, c, d, x12, 6, 1700485571);
  d = ii(d, a, b, c, x3, 10, -1894986606);
  c = ii(c, d, a, b, x10, 15, -1051523);
  b = ii(b, c, d, a, x1, 21, -2054922799);
  a = ii(a, b, c, d, x8, 6, 1873313359);
  d = ii(d, a, b, c, x15, 10, -30611744);
  c = ii(c, d, a, b, x6, 15, -1560198380);
  b = ii(b, c, d, a, x13, 21, 1309151649);
  a = ii(a, b, c, d, x4, 6, -145523070);
  d = ii(d, a, b, c, x11, 10, -1120210379);
  c = ii(c, d, a, b, x2, 15, 718787259);
  b = ii(b, c, d, a, x9, 21, -343485551);
  STATE[0] = (STATE[0] + a) | 0;
  STATE[1] = (STATE[1] + b) | 0;
  STATE[2] = (STATE[2] + c) | 0;
  STATE[3] = (STATE[3] + d) | 0;
}

function run(buf: Uint8Array, start: number, end: number): void {
  STATE[0] = 0x67452301;
  STATE[1] = 0xefcdab89 | 0;
  STATE[2] = 0x98badcfe | 0;
  STATE[3] = 0x10325476;
  const len = end - start;
  let p = start;
  for (; end - p >= 64; p += 64) block(buf, p);
  const rest = end - p;
  for (let i = 0; i < rest; i++) TAIL[i] = buf[p + i];
  TAIL[rest] = 0x80;
  const tailLen = rest < 56 ? 64 : 128;
  // A byte loop: the tail is short (ketama hashes names of ~20 bytes).
  for (let i = rest + 1; i < tailLen - 8; i++) TAIL[i] = 0;
  // Message length in bits, 64-bit little-endian.
  const lo = (len * 8) % 0x100000000;
  const hi = Math.floor(len / 0x20000000);
  for (let i = 0; i < 4; i++) {
    TAIL[tailLen - 8 + i] = (lo >>> (8 * i)) & 0xff;
    TAIL[tailLen - 4 + i] = (hi >>> (8 * i)) & 0xff;
  }
  block(TAIL, 0);
  if (tailLen === 128) block(TAIL, 64);
}

/**
 * Writes the MD5 of `buf[start, end)` as four little-endian 32-bit words
 * into `out[0..3]` (word x = digest bytes 4x..4x+3, i.e. ketama point x).
 */
export function md5Words(buf: Uint8Array, start: number, end: number, out: Uint32Array): void {
  run(buf, start, end);
  out[0] = STATE[0];
  out[1] = STATE[1];
  out[2] = STATE[2];
  out[3] = STATE[3];
}

/** Writes the 16-byte MD5 digest of `buf[start, end)` into `out[at .. at+16)`. */
export function md5Digest(
  buf: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  at = 0,
): void {
  run(buf, start, end);
  for (let w = 0; w < 4; w++) {
    const v = STATE[w];
    out[at + 4 * w] = v & 0xff;
    out[at + 4 * w + 1] = (v >>> 8) & 0xff;
    out[at + 4 * w + 2] = (v >>> 16) & 0xff;
    out[at + 4 * w + 3] = v >>> 24;
  }
}

/** twemproxy's `md5` key hash: the first 4 digest bytes, little-endian. */
export const md5: HashFn = (buf, start, end) => {
  run(buf, start, end);
  return STATE[0] >>> 0;
};
