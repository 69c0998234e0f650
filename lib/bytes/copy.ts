/**
 * Copying a run of bytes between buffers on the hot path. In Deno 2.9 a
 * `subarray()` view for `set()` costs about 85 ns; a byte loop is cheaper
 * for short runs (keys, small values, protocol lines), so runs up to
 * {@link SMALL_COPY} bytes are copied byte by byte. One place for the
 * threshold, shared by the streams, the part store and the mergers.
 *
 * @module
 */

/** Runs up to this many bytes are copied byte by byte (measured cheaper than a view up to ~128). */
export const SMALL_COPY = 128;

/**
 * Copies `src[start, end)` into `dst` at `at` (the caller made room).
 *
 * @example
 * ```ts
 * import { copyInto } from "./copy.ts";
 * const dst = new Uint8Array(4);
 * copyInto(dst, 1, new Uint8Array([7, 8, 9]), 1, 3);
 * console.assert(dst[1] === 8 && dst[2] === 9);
 * ```
 */
export function copyInto(
  dst: Uint8Array,
  at: number,
  src: Uint8Array,
  start: number,
  end: number,
): void {
  const n = end - start;
  if (n <= SMALL_COPY) {
    for (let i = 0; i < n; i++) dst[at + i] = src[start + i]!;
  } else {
    dst.set(start === 0 && end === src.length ? src : src.subarray(start, end), at);
  }
}
