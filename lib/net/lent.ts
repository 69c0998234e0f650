/**
 * Big read buffers lent to writers, so a big value is held once on its way
 * through the proxy, and given back to the system as soon as the last
 * holder is done. Without this a 500 MB value sat in memory twice (the
 * reading connection's buffer and a copy in the writing connection's
 * buffer), and its buffers stayed until a garbage collection that an idle
 * proxy may never run.
 *
 * An {@link InStream} registers each read buffer of {@link LEND_MIN} bytes
 * or more ({@link lendable}); an {@link OutStream} asked to append
 * {@link LEND_MIN} bytes or more of such a buffer while it has nothing else
 * to write writes straight from it ({@link borrow}) instead of copying. The
 * buffer counts its holders: the stream reading into it (until it moves to
 * another buffer, which it does at once once a buffer is borrowed, so the
 * borrowed bytes are never overwritten) and each write from it. The last to
 * {@link giveBack} frees its memory at once (`ArrayBuffer.transfer(0)`
 * detaches it; a view of it has length 0 afterwards).
 *
 * Only buffers of this size pass through here: small messages, the common
 * case, never touch it.
 *
 * @module
 */

/** Buffers of at least this many bytes are lent rather than copied, and freed when done. */
export const LEND_MIN = 1 << 20;

/** Holders of each lendable buffer. */
const holders = new WeakMap<Uint8Array, number>();

/** Registers `buf` (a read buffer of at least {@link LEND_MIN} bytes): its reader holds it. */
export function lendable(buf: Uint8Array): void {
  holders.set(buf, 1);
}

/** Whether `buf` is lendable and someone besides its reader holds it. */
export function borrowed(buf: Uint8Array): boolean {
  return (holders.get(buf) ?? 0) > 1;
}

/** Takes a hold on `buf` when it is lendable; false when it is not (then copy it). */
export function borrow(buf: Uint8Array): boolean {
  const n = holders.get(buf);
  if (n === undefined) return false;
  holders.set(buf, n + 1);
  return true;
}

/** Drops a hold on `buf`; the last one frees its memory. */
export function giveBack(buf: Uint8Array): void {
  const n = holders.get(buf);
  if (n === undefined) return;
  if (n > 1) {
    holders.set(buf, n - 1);
    return;
  }
  holders.delete(buf);
  free(buf);
}

/** Frees the memory of `buf` (a buffer nobody uses any more) now rather than at the next GC. */
export function free(buf: Uint8Array): void {
  try {
    (buf.buffer as ArrayBuffer).transfer(0);
  } catch {
    // not detachable (never for the streams' own buffers): the GC frees it
  }
}
