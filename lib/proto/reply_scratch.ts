/**
 * One reused buffer that mergers write the merged reply of a split request
 * into. The core copies a merged reply into the client's output (or, when
 * the reply must wait for an earlier one, into a copy of its own) before it
 * merges anything else, so every merge can reuse the same buffer: no
 * typed-array allocation per merged reply. Each worker's event loop has its
 * own (module state is per isolate).
 *
 * @module
 */

/** Replies larger than this get a buffer of their own, so no big one stays around. */
const MAX_KEPT = 256 * 1024;

let scratch = new Uint8Array(4096);

/**
 * A buffer of at least `size` bytes, valid until the next call; write the
 * reply at offset 0 and return `subarray(0, size)` of it.
 *
 * @example
 * ```ts
 * import { replyScratch } from "./reply_scratch.ts";
 * const out = replyScratch(5);
 * out.set([0x2b, 0x4f, 0x4b, 0x0d, 0x0a]);
 * console.assert(out.subarray(0, 5).length === 5);
 * ```
 */
export function replyScratch(size: number): Uint8Array {
  if (size > MAX_KEPT) return new Uint8Array(size);
  if (scratch.length < size) {
    let cap = scratch.length * 2;
    while (cap < size) cap *= 2;
    scratch = new Uint8Array(cap);
  }
  return scratch;
}
