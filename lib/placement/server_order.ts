/**
 * The order twemproxy really keeps a pool's servers in.
 *
 * Quirk: while validating the configuration (`conf_validate_server`),
 * twemproxy sorts each pool's servers by name — shorter names first, names
 * of equal length by bytes (unsigned) — and builds the pool from that sorted
 * list. So modula slots (and the order of equal ketama points) follow this
 * order, not the order of the `servers:` lines.
 *
 * @module
 */
import type { DistServer } from "./types.ts";

const encoder = new TextEncoder();

/** Compares two names the way twemproxy's `string_compare` does: length first, then bytes. */
export function compareServerNames(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

/**
 * Indices of `servers` in twemproxy's internal order (sorted by name, see
 * the module doc). Names are unique in a valid pool; equal names keep their
 * config order.
 */
export function twemproxyServerOrder(servers: readonly DistServer[]): number[] {
  const names = servers.map((s) => encoder.encode(s.name));
  const order = servers.map((_, i) => i);
  order.sort((x, y) => compareServerNames(names[x], names[y]) || x - y);
  return order;
}

/** Throws unless `live` has one flag per server and every weight is a positive integer. */
export function checkServers(servers: readonly DistServer[], live: readonly boolean[]): void {
  if (live.length !== servers.length) {
    throw new RangeError(`live has ${live.length} flags for ${servers.length} servers`);
  }
  for (const s of servers) {
    if (!Number.isInteger(s.weight) || s.weight < 1 || s.weight > 0xffffffff) {
      throw new RangeError(`server ${s.name} has an invalid weight ${s.weight}`);
    }
  }
}
