/**
 * The pool keys: one table with every key twemproxy accepts in a pool, its
 * YAML shape, default, what is allowed and how its text is read. The loader,
 * the error messages and the documentation all come from this table.
 *
 * Values are read as twemproxy reads them: every scalar is text (quoted or
 * not, `"400"` is 400), numbers are decimal digits only, booleans are exactly
 * `true` or `false`, and an empty value is an error.
 *
 * @module
 */
import type { PemFile, PoolConfig, SentinelConfig, ServerConfig } from "./types.ts";
import { HASH_NAMES, type HashName } from "../hash/types.ts";
import { DISTRIBUTION_NAMES, type DistributionName } from "../placement/types.ts";
import { quote, ValueError } from "./errors.ts";
import { INT_MAX, parseDecimal } from "./decimal.ts";
import { closest } from "./suggest.ts";
import { parseListen } from "./listen.ts";
import { checkHost } from "./host.ts";
import { parseServer, sortServersByName } from "./server.ts";
import { checkSentinels, parseSentinel } from "./sentinel.ts";
import { checkKeyPair, readCaBundle, readCertChain, readPrivateKey } from "./pem.ts";

/** The pool fields that keys set (`name`, `line` and `listenSpec` come from the file itself). */
export type PoolSettings = Omit<PoolConfig, "name" | "line" | "listenSpec">;

/** A key whose value is one scalar, read into a `T`. */
export interface ScalarKeyDef<T> {
  /** The YAML key. */
  readonly key: string;
  readonly shape: "scalar";
  /** True when a pool must have this key. */
  readonly required: boolean;
  /** Value when the key is absent (unused when required). */
  readonly default: T;
  /** What is allowed, for messages and docs, e.g. `true or false`. */
  readonly allowed: string;
  /** One line for docs. */
  readonly description: string;
  /**
   * Reads the value's text. `dir` is the directory of the configuration
   * file, against which relative file paths are read. Throws {@link ValueError}.
   */
  readonly parse: (text: string, dir?: string) => T;
}

/** A key whose value is a YAML list of one-line items (`servers:`, `sentinels:`). */
export interface ListKeyDef<T> {
  readonly key: string;
  readonly shape: "list";
  readonly required: boolean;
  readonly default: readonly T[];
  readonly allowed: string;
  readonly description: string;
  /** What one item is called in messages: `server`, `sentinel`. */
  readonly item: string;
  /** An item as written, for hints, e.g. `127.0.0.1:6379:1`. */
  readonly example: string;
  /** Reads one list item. Throws {@link ValueError}. */
  readonly parseItem: (text: string, line: number) => T;
  /** Checks the whole list: the index of the first bad item and why, or null. */
  readonly check: (items: readonly T[]) => { index: number; error: ValueError } | null;
  /** The items in the order the pool keeps them. */
  readonly order: (items: readonly T[]) => T[];
}

/** The `servers:` key: a YAML list of server lines. */
export type ServersKeyDef = ListKeyDef<ServerConfig> & { readonly key: "servers" };

/** The list-valued fields of {@link PoolSettings}. */
type ListField = "servers" | "sentinels";

/** The key table's type: one definition per {@link PoolSettings} field, typed by that field. */
export type PoolKeyTable =
  & {
    readonly [F in Exclude<keyof PoolSettings, ListField>]: ScalarKeyDef<PoolSettings[F]>;
  }
  & { readonly servers: ServersKeyDef; readonly sentinels: ListKeyDef<SentinelConfig> };

/** One row of {@link POOL_KEYS}, with the {@link PoolSettings} field it sets. */
export type KeyDef =
  & { readonly field: keyof PoolSettings }
  & (
    | ScalarKeyDef<PoolSettings[keyof PoolSettings]>
    | ServersKeyDef
    | ListKeyDef<SentinelConfig>
  );

function number(
  key: string,
  def: number,
  min: number,
  description: string,
): ScalarKeyDef<number> {
  const allowed = `a whole number from ${min} to ${INT_MAX}`;
  return {
    key,
    shape: "scalar",
    required: false,
    default: def,
    allowed,
    description,
    parse: (text) => {
      const n = parseDecimal(text);
      if (n === null) {
        throw new ValueError(`${quote(text)} is not a number`, `use ${allowed} (digits only)`);
      }
      if (n < min) throw new ValueError(`${key} cannot be ${n}`, `use ${allowed}`);
      return n;
    },
  };
}

function bool(key: string, description: string): ScalarKeyDef<boolean> {
  return {
    key,
    shape: "scalar",
    required: false,
    default: false,
    allowed: "true or false",
    description,
    parse: (text) => {
      if (text === "true") return true;
      if (text === "false") return false;
      throw new ValueError(
        `${quote(text)} is not a boolean`,
        "use true or false (lowercase, as twemproxy)",
      );
    },
  };
}

function pem(
  key: string,
  read: (path: string, dir?: string) => PemFile,
  description: string,
): ScalarKeyDef<PemFile | null> {
  return {
    key,
    shape: "scalar",
    required: false,
    default: null,
    allowed: "the path of a PEM file (relative to the configuration file's directory)",
    description,
    parse: read,
  };
}

function oneOf<T extends string>(kind: string, names: readonly T[], text: string): T {
  const found = names.find((n) => n === text);
  if (found !== undefined) return found;
  const guess = closest(text, names);
  const mean = guess === null ? "" : `did you mean ${quote(guess)}? `;
  throw new ValueError(`unknown ${kind} ${quote(text)}`, `${mean}use one of ${names.join(", ")}`);
}

/**
 * Reads a hash tag: exactly two bytes of UTF-8. The result has one char per
 * byte (char code 0..255), so `{}` stays `{}` and a two-byte UTF-8 letter
 * becomes its two bytes, as twemproxy compares them.
 */
function parseHashTag(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.length !== 2) {
    throw new ValueError(
      `hash tag ${quote(text)} is ${bytes.length} byte${bytes.length === 1 ? "" : "s"} long`,
      `use exactly two characters, the start and end of the tag, e.g. "{}" (quote it)`,
    );
  }
  return String.fromCharCode(bytes[0] ?? 0, bytes[1] ?? 0);
}

const SERVERS: ServersKeyDef = {
  key: "servers",
  shape: "list",
  required: true,
  default: [],
  allowed: "a list of host:port:weight [name] or /path/to.sock:weight [name] lines " +
    "(with sentinels: name:weight or host:port:weight name)",
  description: "the backends; the name (default host:port, or host for port 11211) is the " +
    "stats key and the ketama input; with sentinels it is the master name",
  item: "server",
  example: "127.0.0.1:6379:1",
  parseItem: parseServer,
  check: (servers) => {
    const seen = new Map<string, ServerConfig>();
    for (const [index, s] of servers.entries()) {
      const first = seen.get(s.name);
      if (first !== undefined) {
        const named = s.spec.includes(" ")
          ? ""
          : " (the default name of a server is host:port, or host for port 11211)";
        return {
          index,
          error: new ValueError(
            `server name ${quote(s.name)} is already used on line ${first.line}${named}`,
            "give each server a distinct name: host:port:weight name",
          ),
        };
      }
      seen.set(s.name, s);
    }
    return null;
  },
  order: sortServersByName,
};

/** Every pool key by the {@link PoolSettings} field it sets: the single source of truth. */
export const POOL_KEY_TABLE: PoolKeyTable = {
  listen: {
    key: "listen",
    shape: "scalar",
    required: true,
    default: { transport: "tcp", host: "127.0.0.1", port: 22121 },
    allowed: "host:port, [::1]:port, or /absolute/path.sock with an optional octal mode",
    description: "where the pool accepts clients",
    parse: parseListen,
  },
  clientConnections: number(
    "client_connections",
    0,
    0,
    "most client connections at once; 0 = unlimited",
  ),
  hash: {
    key: "hash",
    shape: "scalar",
    required: false,
    default: "fnv1a_64",
    allowed: `one of ${HASH_NAMES.join(", ")}`,
    description: "the key hash function",
    parse: (text): HashName => oneOf("hash", HASH_NAMES, text),
  },
  hashTag: {
    key: "hash_tag",
    shape: "scalar",
    required: false,
    default: null,
    allowed: 'two characters, e.g. "{}"',
    description: "hash only the part of the key between these two characters",
    parse: parseHashTag,
  },
  distribution: {
    key: "distribution",
    shape: "scalar",
    required: false,
    default: "ketama",
    allowed: `one of ${DISTRIBUTION_NAMES.join(", ")}`,
    description: "how key hashes map to servers",
    parse: (text): DistributionName => oneOf("distribution", DISTRIBUTION_NAMES, text),
  },
  timeout: {
    key: "timeout",
    shape: "scalar",
    required: false,
    default: null,
    allowed: `a whole number of milliseconds from 0 to ${INT_MAX}`,
    description: "ms to wait for a server's reply; absent or 0 = wait forever",
    parse: (text) => {
      const n = parseDecimal(text);
      if (n === null) {
        throw new ValueError(
          `${quote(text)} is not a number`,
          `use a whole number of milliseconds from 0 to ${INT_MAX} (digits only)`,
        );
      }
      return n === 0 ? null : n;
    },
  },
  backlog: number("backlog", 512, 0, "the listen backlog"),
  tcpkeepalive: bool("tcpkeepalive", "TCP keepalive on server connections"),
  preconnect: bool("preconnect", "connect to every server at start-up"),
  redis: bool("redis", "true = Redis protocol, false = memcached ASCII"),
  redisAuth: {
    key: "redis_auth",
    shape: "scalar",
    required: false,
    default: null,
    allowed: "a non-empty password (redis pools only)",
    description: "password clients must AUTH with, and that nutmeg sends to each server",
    parse: (text) => text,
  },
  redisDb: number("redis_db", 0, 0, "database number SELECTed on each server connection"),
  serverConnections: number("server_connections", 1, 1, "connections to each server"),
  dedicatedConnections: number(
    "dedicated_connections",
    1024,
    0,
    "most connections to each server dedicated to one client (redis: blocking commands, " +
      "transactions, pub/sub); 0 = none allowed",
  ),
  autoEjectHosts: bool(
    "auto_eject_hosts",
    "take a server out after server_failure_limit failures in a row",
  ),
  serverRetryTimeout: number(
    "server_retry_timeout",
    30000,
    0,
    "ms before an ejected server is tried again",
  ),
  serverFailureLimit: number(
    "server_failure_limit",
    2,
    0,
    "failures in a row that eject a server (with auto_eject_hosts)",
  ),
  servers: SERVERS,
  tlsCert: pem(
    "tls_cert",
    readCertChain,
    "certificate chain the pool shows its clients; with " +
      "tls_key the pool listens with TLS",
  ),
  tlsKey: pem("tls_key", readPrivateKey, "private key of tls_cert"),
  tlsCa: pem(
    "tls_ca",
    readCaBundle,
    "CA certificates a client certificate must chain to; set, " +
      "clients without a valid certificate are refused",
  ),
  serverTls: bool("server_tls", "connect to the servers with TLS"),
  serverTlsCa: pem(
    "server_tls_ca",
    readCaBundle,
    "CA certificates the servers' certificates " +
      "are verified with (besides the system roots)",
  ),
  serverTlsCert: pem(
    "server_tls_cert",
    readCertChain,
    "client certificate shown to the " +
      "servers (mutual TLS), with server_tls_key",
  ),
  serverTlsKey: pem("server_tls_key", readPrivateKey, "private key of server_tls_cert"),
  serverTlsName: {
    key: "server_tls_name",
    shape: "scalar",
    required: false,
    default: null,
    allowed: "a host name",
    description: "name the servers' certificates must carry; default: each server's host",
    parse: (text) => {
      checkHost(text, "redis.example.com");
      return text;
    },
  },
  sentinels: {
    key: "sentinels",
    shape: "list",
    required: false,
    default: [],
    allowed: "a list of host:port lines",
    description: "Redis Sentinels that say where the masters named in servers: are " +
      "(redis pools only)",
    item: "sentinel",
    example: "127.0.0.1:26379",
    parseItem: parseSentinel,
    check: checkSentinels,
    order: (sentinels) => [...sentinels],
  },
  sentinelAuth: {
    key: "sentinel_auth",
    shape: "scalar",
    required: false,
    default: null,
    allowed: "a non-empty password",
    description: "password nutmeg sends to the sentinels (AUTH)",
    parse: (text) => text,
  },
};

/** Every pool key, in the order twemproxy's README lists them, each with its field. */
export const POOL_KEYS: readonly KeyDef[] = (
  Object.keys(POOL_KEY_TABLE) as (keyof PoolSettings)[]
).map((field) => ({ field, ...POOL_KEY_TABLE[field] }));

/** The key names of {@link POOL_KEYS}. */
export const POOL_KEY_NAMES: readonly string[] = POOL_KEYS.map((k) => k.key);

/** A rule across keys of one pool, checked once all keys are read. */
export interface PoolRule {
  /** The key the error is reported at. */
  readonly key: string;
  /** Null when the pool is fine. */
  readonly check: (pool: PoolSettings) => ValueError | null;
}

/** A rule: `key` is only allowed when `server_tls: true`. */
function needsServerTls(key: string, field: keyof PoolSettings): PoolRule {
  return {
    key,
    check: (p) =>
      p[field] !== null && !p.serverTls
        ? new ValueError(`${key} is set but server_tls is not true`, "add server_tls: true")
        : null,
  };
}

/** A rule: `key` (field `a`) needs `other` (field `b`). */
function needs(key: string, a: keyof PoolSettings, other: string, b: keyof PoolSettings): PoolRule {
  return {
    key,
    check: (p) =>
      p[a] !== null && p[b] === null
        ? new ValueError(`${key} is set without ${other}`, `add ${other}, or remove ${key}`)
        : null,
  };
}

/** The cross-key rules: twemproxy's, then those of the TLS and sentinel keys. */
export const POOL_RULES: readonly PoolRule[] = [
  {
    key: "redis_auth",
    check: (p) =>
      p.redisAuth !== null && !p.redis
        ? new ValueError(
          "redis_auth is only valid for a redis pool",
          "set redis: true, or remove redis_auth (memcached has no AUTH)",
        )
        : null,
  },
  needs("tls_cert", "tlsCert", "tls_key", "tlsKey"),
  needs("tls_key", "tlsKey", "tls_cert", "tlsCert"),
  needs("tls_ca", "tlsCa", "tls_cert", "tlsCert"),
  {
    key: "tls_key",
    check: (p) =>
      p.tlsCert !== null && p.tlsKey !== null ? checkKeyPair(p.tlsCert, p.tlsKey) : null,
  },
  {
    key: "tls_cert",
    check: (p) =>
      p.tlsCert !== null && p.listen.transport === "unix"
        ? new ValueError(
          "a pool listening on a unix socket cannot use TLS",
          "listen on host:port, or remove tls_cert and tls_key",
        )
        : null,
  },
  needsServerTls("server_tls_ca", "serverTlsCa"),
  needsServerTls("server_tls_cert", "serverTlsCert"),
  needsServerTls("server_tls_key", "serverTlsKey"),
  needsServerTls("server_tls_name", "serverTlsName"),
  needs("server_tls_cert", "serverTlsCert", "server_tls_key", "serverTlsKey"),
  needs("server_tls_key", "serverTlsKey", "server_tls_cert", "serverTlsCert"),
  {
    key: "server_tls_key",
    check: (p) =>
      p.serverTlsCert !== null && p.serverTlsKey !== null
        ? checkKeyPair(p.serverTlsCert, p.serverTlsKey)
        : null,
  },
  {
    key: "server_tls",
    check: (p) => {
      const unix = p.serverTls ? p.servers.find((s) => s.address?.transport === "unix") : undefined;
      return unix === undefined ? null : new ValueError(
        `server ${
          quote(unix.spec)
        } (line ${unix.line}) is a unix socket, which nutmeg cannot reach with TLS`,
        "give the servers as host:port:weight, or set server_tls: false",
      );
    },
  },
  {
    key: "sentinels",
    check: (p) =>
      p.sentinels.length > 0 && !p.redis
        ? new ValueError(
          "sentinels are only valid for a redis pool",
          "set redis: true, or remove sentinels",
        )
        : null,
  },
  {
    key: "sentinel_auth",
    check: (p) =>
      p.sentinelAuth !== null && p.sentinels.length === 0
        ? new ValueError("sentinel_auth is set without sentinels", "add sentinels:, or remove it")
        : null,
  },
  {
    key: "servers",
    check: (p) => {
      if (p.sentinels.length === 0) {
        const s = p.servers.find((s) => s.address === null);
        return s === undefined ? null : new ValueError(
          `server ${quote(s.spec)} (line ${s.line}) needs a host, a port and a weight`,
          "write host:port:weight [name]; a name:weight line names a Redis master and is " +
            "only for pools with sentinels:",
        );
      }
      const unix = p.servers.find((s) => s.address?.transport === "unix");
      if (unix !== undefined) {
        return new ValueError(
          `server ${
            quote(unix.spec)
          } (line ${unix.line}) is a unix socket; sentinels give host:port addresses`,
          "write each master as name:weight, or host:port:weight name",
        );
      }
      const unnamed = p.servers.find((s) => s.address !== null && !s.spec.includes(" "));
      return unnamed === undefined ? null : new ValueError(
        `server ${quote(unnamed.spec)} (line ${unnamed.line}) has no master name`,
        "with sentinels each server line names a master: name:weight, or host:port:weight name",
      );
    },
  },
];
