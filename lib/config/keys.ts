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
import type { PoolConfig, ServerConfig } from "./types.ts";
import { HASH_NAMES, type HashName } from "../hash/types.ts";
import { DISTRIBUTION_NAMES, type DistributionName } from "../placement/types.ts";
import { quote, ValueError } from "./errors.ts";
import { INT_MAX, parseDecimal } from "./decimal.ts";
import { closest } from "./suggest.ts";
import { parseListen } from "./listen.ts";
import { compareServerNames, parseServer } from "./server.ts";

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
  /** Reads the value's text. Throws {@link ValueError}. */
  readonly parse: (text: string) => T;
}

/** The `servers:` key: a YAML list of server lines. */
export interface ServersKeyDef {
  readonly key: "servers";
  readonly shape: "list";
  readonly required: true;
  readonly default: readonly ServerConfig[];
  readonly allowed: string;
  readonly description: string;
  /** Reads one list item. Throws {@link ValueError}. */
  readonly parseItem: (text: string, line: number) => ServerConfig;
  /** Checks the whole list: the index of the first bad item and why, or null. */
  readonly check: (servers: readonly ServerConfig[]) => { index: number; error: ValueError } | null;
  /** The servers in twemproxy's order (see `compareServerNames`). */
  readonly order: (servers: readonly ServerConfig[]) => ServerConfig[];
}

/** The key table's type: one definition per {@link PoolSettings} field, typed by that field. */
export type PoolKeyTable =
  & {
    readonly [F in Exclude<keyof PoolSettings, "servers">]: ScalarKeyDef<PoolSettings[F]>;
  }
  & { readonly servers: ServersKeyDef };

/** One row of {@link POOL_KEYS}, with the {@link PoolSettings} field it sets. */
export type KeyDef =
  & { readonly field: keyof PoolSettings }
  & (ScalarKeyDef<PoolSettings[keyof PoolSettings]> | ServersKeyDef);

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
  allowed: "a list of host:port:weight [name] or /path/to.sock:weight [name] lines",
  description: "the backends; the name (default host:port, or host for port 11211) is the " +
    "stats key and the ketama input",
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
  order: (servers) => [...servers].sort((a, b) => compareServerNames(a.name, b.name)),
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

/** The cross-key rules twemproxy enforces. */
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
];
