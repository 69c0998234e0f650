/**
 * The parsed configuration: one typed, deeply frozen object, produced by
 * `loadConfig` (lib/config/load.ts) after every check passed. Nothing else in
 * nutmeg reads YAML.
 *
 * @module
 */
import type { HashName } from "../hash/types.ts";
import type { DistributionName } from "../placement/types.ts";

/** Where a pool listens, or where a server is. */
export type Address =
  | {
    readonly transport: "tcp";
    /** Host name or IP as written (IPv6 without brackets). */
    readonly host: string;
    readonly port: number;
  }
  | {
    readonly transport: "unix";
    readonly path: string;
    /**
     * Octal permission bits from `listen: /path 0666`, or null. Only for
     * listen; a mode of 0 also gives null (twemproxy then leaves the
     * socket's permissions alone).
     */
    readonly mode: number | null;
  };

/** One `servers:` entry. */
export interface ServerConfig {
  /**
   * The name used for stats and ketama: the given name, else `host:port` as
   * written (`127.0.0.1:06379` keeps its zero), or `host` when the port is
   * 11211; a unix server without a name is named by its path followed by
   * `:` (`/tmp/redis.sock:`), exactly as twemproxy 0.5.0 names it.
   */
  readonly name: string;
  /** The entry as written, e.g. `127.0.0.1:6379:1 alpha`. */
  readonly spec: string;
  readonly address: Address;
  readonly weight: number;
  /** 1-based line in the file, for messages. */
  readonly line: number;
}

/** One pool, with every default applied. */
export interface PoolConfig {
  readonly name: string;
  readonly listen: Address;
  /** `listen:` as written. */
  readonly listenSpec: string;
  /** 0 = unlimited. (twemproxy parses it but never enforces it.) */
  readonly clientConnections: number;
  readonly hash: HashName;
  /**
   * The two tag bytes, one char per byte (char codes 0..255), or null. ASCII
   * tags such as `{}` read as written.
   */
  readonly hashTag: string | null;
  readonly distribution: DistributionName;
  /** Milliseconds; null = wait forever (no `timeout:`, or `timeout: 0`, as in twemproxy). */
  readonly timeout: number | null;
  readonly backlog: number;
  readonly tcpkeepalive: boolean;
  readonly preconnect: boolean;
  readonly redis: boolean;
  readonly redisAuth: string | null;
  readonly redisDb: number;
  readonly serverConnections: number;
  readonly autoEjectHosts: boolean;
  /** Milliseconds. */
  readonly serverRetryTimeout: number;
  readonly serverFailureLimit: number;
  /**
   * The servers in twemproxy's order, which is not the file's: twemproxy
   * sorts them by name (shorter name first, then bytewise) while loading,
   * and its modula distribution and stats output use that order. At least
   * one; names are distinct.
   */
  readonly servers: readonly ServerConfig[];
  /** 1-based line of the pool's name in the file. */
  readonly line: number;
}

/** The whole file: pools in file order. */
export interface Config {
  /** Path as given on the command line. */
  readonly file: string;
  readonly pools: readonly PoolConfig[];
}
