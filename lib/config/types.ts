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

/** A PEM file named by a TLS key, read and checked while loading (lib/config/pem.ts). */
export interface PemFile {
  /** The path as written. */
  readonly path: string;
  /** The file's text. */
  readonly pem: string;
}

/** One `sentinels:` entry: a Redis Sentinel to ask where the masters are. */
export interface SentinelConfig {
  readonly host: string;
  readonly port: number;
  /** The entry as written, e.g. `127.0.0.1:26379`. */
  readonly spec: string;
  /** 1-based line in the file, for messages. */
  readonly line: number;
}

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
  /**
   * Where the server is; null for a `name:weight` line, which names a
   * master whose address the pool's sentinels give (only with `sentinels:`).
   * With sentinels a written address is where nutmeg starts until a
   * sentinel answers.
   */
  readonly address: Address | null;
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
  /**
   * Most server connections dedicated to one client (Redis blocking
   * commands, transactions, subscriptions) per server at a time.
   */
  readonly dedicatedConnections: number;
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
  /** Client TLS: the pool's certificate chain (with `tlsKey`), or null for plain TCP. */
  readonly tlsCert: PemFile | null;
  /** Client TLS: the private key of `tlsCert`. */
  readonly tlsKey: PemFile | null;
  /** Client TLS: CAs a client certificate must chain to; null = no client certificate asked. */
  readonly tlsCa: PemFile | null;
  /** Connect to the servers with TLS. */
  readonly serverTls: boolean;
  /** CAs to verify the servers' certificates with (besides the built-in roots). */
  readonly serverTlsCa: PemFile | null;
  /** Client certificate shown to the servers (mutual TLS), with `serverTlsKey`. */
  readonly serverTlsCert: PemFile | null;
  readonly serverTlsKey: PemFile | null;
  /** Name the servers' certificates are verified against; null = each server's host. */
  readonly serverTlsName: string | null;
  /** Redis Sentinels that say where the masters named in `servers:` are; empty = none. */
  readonly sentinels: readonly SentinelConfig[];
  /** Password sent to the sentinels (AUTH), or null. */
  readonly sentinelAuth: string | null;
  /** 1-based line of the pool's name in the file. */
  readonly line: number;
}

/** The whole file: pools in file order. */
export interface Config {
  /** Path as given on the command line. */
  readonly file: string;
  readonly pools: readonly PoolConfig[];
}
