/**
 * What a reload changes, in words for the NOTICE line each reload logs:
 * pools added, removed or moved (matched by listen address, as the engine
 * matches them), and for each kept pool the servers added and removed, the
 * weights and the settings that differ.
 *
 * @module
 */
import type { Config, PoolConfig } from "../config/types.ts";
import { listenKey } from "../config/listen.ts";

/** Settings compared between generations of a pool, with how to show them. */
const SETTINGS: readonly [keyof PoolConfig, string][] = [
  ["hash", "hash"],
  ["hashTag", "hash_tag"],
  ["distribution", "distribution"],
  ["timeout", "timeout"],
  ["backlog", "backlog"],
  ["tcpkeepalive", "tcpkeepalive"],
  ["preconnect", "preconnect"],
  ["redis", "redis"],
  ["redisDb", "redis_db"],
  ["serverConnections", "server_connections"],
  ["autoEjectHosts", "auto_eject_hosts"],
  ["serverRetryTimeout", "server_retry_timeout"],
  ["serverFailureLimit", "server_failure_limit"],
  ["clientConnections", "client_connections"],
];

function show(v: unknown): string {
  return v === null ? "none" : String(v);
}

function serverId(s: PoolConfig["servers"][number]): string {
  const a = s.address;
  if (a === null) return `${s.name}@sentinels`;
  return `${s.name}@${a.transport === "unix" ? a.path : `${a.host}:${a.port}`}`;
}

/** The changes of one pool kept at its listen address, or [] when nothing differs. */
function poolChanges(a: PoolConfig, b: PoolConfig): string[] {
  const out: string[] = [];
  if (a.name !== b.name) out.push(`renamed from '${a.name}'`);
  const before = new Map(a.servers.map((s) => [serverId(s), s]));
  const after = new Map(b.servers.map((s) => [serverId(s), s]));
  const added = b.servers.filter((s) => !before.has(serverId(s))).map((s) => s.spec);
  const removed = a.servers.filter((s) => !after.has(serverId(s))).map((s) => s.spec);
  if (added.length > 0) out.push(`servers added: ${added.join(", ")}`);
  if (removed.length > 0) out.push(`servers removed: ${removed.join(", ")}`);
  const weights: string[] = [];
  for (const s of b.servers) {
    const old = before.get(serverId(s));
    if (old !== undefined && old.weight !== s.weight) {
      weights.push(`${s.name} ${old.weight} -> ${s.weight}`);
    }
  }
  if (weights.length > 0) out.push(`weights: ${weights.join(", ")}`);
  for (const [key, label] of SETTINGS) {
    if (a[key] !== b[key]) out.push(`${label} ${show(a[key])} -> ${show(b[key])}`);
  }
  if (a.redisAuth !== b.redisAuth) out.push("redis_auth changed");
  return out;
}

/**
 * The changes from `before` to `after`, one phrase per pool that changed;
 * empty when the two configure the same pools.
 *
 * @example
 * ```ts
 * import { parseConfig } from "../config/load.ts";
 * import { describeChanges } from "./changes.ts";
 * const a = parseConfig("p:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:2:1\n", "a.yml");
 * const b = parseConfig("p:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:2:3\n", "b.yml");
 * console.assert(describeChanges(a, b)[0] === "pool 'p' changed: weights: 127.0.0.1:2 1 -> 3");
 * ```
 */
export function describeChanges(before: Config, after: Config): string[] {
  const out: string[] = [];
  const old = new Map(before.pools.map((p) => [listenKey(p.listen), p]));
  const next = new Map(after.pools.map((p) => [listenKey(p.listen), p]));
  for (const [key, p] of next) {
    const a = old.get(key);
    if (a === undefined) {
      const moved = before.pools.find((q) => q.name === p.name);
      out.push(
        moved !== undefined && !next.has(listenKey(moved.listen))
          ? `pool '${p.name}' moved from ${moved.listenSpec} to ${p.listenSpec}`
          : `pool '${p.name}' added on ${p.listenSpec}`,
      );
      continue;
    }
    const changes = poolChanges(a, p);
    if (changes.length > 0) out.push(`pool '${p.name}' changed: ${changes.join("; ")}`);
  }
  for (const [key, p] of old) {
    if (next.has(key)) continue;
    const moved = after.pools.find((q) => q.name === p.name);
    if (moved !== undefined && !old.has(listenKey(moved.listen))) continue; // said above
    out.push(`pool '${p.name}' removed from ${p.listenSpec}`);
  }
  return out;
}
