/**
 * The pool's key hasher: applies `hash_tag` the way twemproxy's
 * `server_pool_idx` does, then the pool's hash.
 *
 * @module
 */
import type { HashFn } from "./types.ts";

/**
 * Hashes keys for one pool, like twemproxy's `server_pool_idx` +
 * `server_pool_hash`:
 *
 * - with a hash tag `ab`: if the key has an `a`, and a `b` somewhere after
 *   that first `a`, and the text between them is non-empty, only that text
 *   is hashed; otherwise the whole key is;
 * - an empty key hashes to 0 whatever the function (twemproxy skips hashing
 *   zero-length keys).
 *
 * No allocation per call; O(key length).
 */
export class KeyHasher {
  readonly #hash: HashFn;
  readonly #open: number;
  readonly #close: number;

  /**
   * @param hash the pool's hash function.
   * @param hashTag the pool's `hash_tag`, or null for none. twemproxy wants
   *   exactly 2 bytes. Either a "byte string" of 2 chars with codes 0..255
   *   (what lib/config produces: one char per UTF-8 byte), or any string
   *   whose UTF-8 encoding is 2 bytes (e.g. "é", read as its bytes 0xc3 0xa9).
   * @throws RangeError if `hashTag` is neither.
   */
  constructor(hash: HashFn, hashTag: string | null) {
    this.#hash = hash;
    if (hashTag === null) {
      this.#open = -1;
      this.#close = -1;
      return;
    }
    let bytes: ArrayLike<number>;
    if (hashTag.length === 2 && hashTag.charCodeAt(0) <= 0xff && hashTag.charCodeAt(1) <= 0xff) {
      bytes = [hashTag.charCodeAt(0), hashTag.charCodeAt(1)];
    } else {
      bytes = new TextEncoder().encode(hashTag);
    }
    if (bytes.length !== 2) {
      throw new RangeError(`hash_tag must be exactly 2 bytes, got ${JSON.stringify(hashTag)}`);
    }
    this.#open = bytes[0];
    this.#close = bytes[1];
  }

  /** The 32-bit hash twemproxy uses to place the key `buf[start, end)`. */
  hash(buf: Uint8Array, start: number, end: number): number {
    if (this.#open >= 0) {
      let open = start;
      while (open < end && buf[open] !== this.#open) open++;
      if (open < end) {
        let close = open + 1;
        while (close < end && buf[close] !== this.#close) close++;
        if (close < end && close - open > 1) {
          start = open + 1;
          end = close;
        }
      }
    }
    if (end <= start) return 0;
    return this.#hash(buf, start, end);
  }
}
