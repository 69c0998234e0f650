/**
 * The benchmark's key names, shared by the set-up code, the loads and the
 * memcached load generator.
 *
 * @module
 */

/** The i-th redis key, as redis-benchmark's `-r` writes it: `key:000000000042`. */
export function benchKey(i: number): string {
  return `key:${String(i).padStart(12, "0")}`;
}

/** The i-th memcached key: `mc:000000000042` (15 bytes). */
export function mcKey(i: number): string {
  return `mc:${String(i).padStart(12, "0")}`;
}
