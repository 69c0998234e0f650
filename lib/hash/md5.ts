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
// deno-fmt-ignore
const K = new Int32Array([
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
  0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
  0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
  0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
  0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
  0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
  0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
  0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
  0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
  0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
  0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
  0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
  0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
  0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
]);

/** Per-round left-rotation amounts. */
// deno-fmt-ignore
const S = new Uint8Array([
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
]);

/** Message-word index for each round. */
const G = new Uint8Array(64);
for (let i = 0; i < 64; i++) {
  G[i] = i < 16 ? i : i < 32 ? (5 * i + 1) & 15 : i < 48 ? (3 * i + 5) & 15 : (7 * i) & 15;
}

/** Shared scratch state (JS is single-threaded per isolate; nothing re-enters). */
const X = new Int32Array(16);
const STATE = new Int32Array(4);
const TAIL = new Uint8Array(128);

/** Runs the compression function on the 64 bytes at `src[off]`, updating STATE. */
function block(src: Uint8Array, off: number): void {
  for (let i = 0; i < 16; i++, off += 4) {
    X[i] = src[off] | (src[off + 1] << 8) | (src[off + 2] << 16) | (src[off + 3] << 24);
  }
  let a = STATE[0];
  let b = STATE[1];
  let c = STATE[2];
  let d = STATE[3];
  for (let i = 0; i < 64; i++) {
    let f: number;
    if (i < 16) f = (b & c) | (~b & d);
    else if (i < 32) f = (d & b) | (~d & c);
    else if (i < 48) f = b ^ c ^ d;
    else f = c ^ (b | ~d);
    const t = (a + f + K[i] + X[G[i]]) | 0;
    const s = S[i];
    a = d;
    d = c;
    c = b;
    b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
  }
  STATE[0] = (STATE[0] + a) | 0;
  STATE[1] = (STATE[1] + b) | 0;
  STATE[2] = (STATE[2] + c) | 0;
  STATE[3] = (STATE[3] + d) | 0;
}

/** Computes the MD5 of `buf[start, end)` into STATE. */
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
  TAIL.fill(0, rest + 1, tailLen - 8);
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
