/**
 * twemproxy's key hashes by name, and the pool's key hasher (hash_tag +
 * hash).
 *
 * @module
 */
import type { HashFn, HashName } from "./types.ts";
import { one_at_a_time } from "./one_at_a_time.ts";
import { md5 } from "./md5.ts";
import { crc16 } from "./crc16.ts";
import { crc32 } from "./crc32.ts";
import { crc32a } from "./crc32a.ts";
import { fnv1_64 } from "./fnv1_64.ts";
import { fnv1a_64 } from "./fnv1a_64.ts";
import { fnv1_32 } from "./fnv1_32.ts";
import { fnv1a_32 } from "./fnv1a_32.ts";
import { hsieh } from "./hsieh.ts";
import { murmur } from "./murmur.ts";
import { jenkins } from "./jenkins.ts";

export { KeyHasher } from "./key_hasher.ts";
export { HASH_NAMES } from "./types.ts";
export type { HashFn, HashName } from "./types.ts";

/** Every hash twemproxy accepts in `hash:`, by name. The single source of truth. */
export const HASHES: Readonly<Record<HashName, HashFn>> = Object.freeze({
  one_at_a_time,
  md5,
  crc16,
  crc32,
  crc32a,
  fnv1_64,
  fnv1a_64,
  fnv1_32,
  fnv1a_32,
  hsieh,
  murmur,
  jenkins,
});
