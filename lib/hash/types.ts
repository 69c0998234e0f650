/**
 * A key hash: reads `buf[start, end)` and returns twemproxy's 32-bit value
 * as an unsigned integer (0 .. 2^32-1). Must not allocate per call.
 */
export type HashFn = (buf: Uint8Array, start: number, end: number) => number;

/** The hash names twemproxy accepts in `hash:`, in twemproxy's order. */
export const HASH_NAMES = [
  "one_at_a_time",
  "md5",
  "crc16",
  "crc32",
  "crc32a",
  "fnv1_64",
  "fnv1a_64",
  "fnv1_32",
  "fnv1a_32",
  "hsieh",
  "murmur",
  "jenkins",
] as const;

/** One of {@link HASH_NAMES}. */
export type HashName = typeof HASH_NAMES[number];
