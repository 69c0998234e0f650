/**
 * How the proxy serves each Redis command: the serving policy, written by
 * hand, in one table. The facts about commands (arity, flags, key specs,
 * docs) come from redis-server itself and are generated into `commands.ts`;
 * what the proxy does with each command is decided here and nowhere else:
 * the protocol reads the kind and the merger from this table, so a
 * command's handling is looked up in one place.
 *
 * Kinds:
 * - `forward`: one key at a fixed position; sent untouched to the server
 *   owning it.
 * - `together`: several keys that must all live on one server (else an
 *   error naming hash tags as the fix); sent untouched to it.
 * - `split`: keys from argument 1 on (MSET: key-value pairs), split per
 *   server and the parts' replies merged by `merge`.
 * - `broadcast`: sent to every server, replies merged by `merge`.
 * - `local`: answered by the proxy (`local.ts`).
 * - `blocking`: keys that must live on one server, like `together`, and a
 *   timeout: sent on a server connection dedicated to the client while it
 *   blocks (`blocking.ts`). XREAD/XREADGROUP without BLOCK are `together`.
 * - `transaction`: MULTI, EXEC, DISCARD, WATCH, UNWATCH: the client is
 *   pinned to a dedicated connection to the transaction's server
 *   (`transaction.ts`).
 * - `subscribe`: (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE: the client's
 *   subscriptions live on dedicated connections (`pubsub.ts`).
 * - `channel`: PUBLISH and SPUBLISH: forwarded to the server owning the
 *   channel (argument 1, hash_tag applied), where its subscribers are.
 * - `unsupported`: refused with `-ERR unsupported command '<name>'`, and
 *   `why` after it when there is more to say. Every command missing from
 *   the table is unsupported: admin commands, keyless scans.
 *
 * Containers (CLIENT, OBJECT, XINFO ...) are not listed: their
 * subcommands are, by `container|sub` names.
 *
 * @module
 */

/** How the proxy serves a command (see the module doc). */
export type ServeKind =
  | "forward"
  | "together"
  | "split"
  | "broadcast"
  | "local"
  | "blocking"
  | "transaction"
  | "subscribe"
  | "channel"
  | "unsupported";

/**
 * How the parts' replies of a split or broadcast command become one reply
 * (see `merge.ts`): `mget` values in key order, `sum` of integers, `allOk`
 * (+OK when every part said so), `same` (every part the same reply),
 * `allOnes` (arrays of 0/1, 1 where every part has 1), `info` (INFO texts
 * merged, the proxy's section beside them: `info_merge.ts`), `union` (arrays
 * of strings, each once), `pairSum` (arrays of name-count pairs, the counts
 * of each name summed), `max` (the largest integer).
 */
export type MergerName =
  | "mget"
  | "sum"
  | "allOk"
  | "same"
  | "allOnes"
  | "info"
  | "union"
  | "pairSum"
  | "max";

/** The policy of one command. */
export interface CommandPolicy {
  readonly kind: ServeKind;
  /** For `split` and `broadcast`: how the replies merge. */
  readonly merge?: MergerName;
  /**
   * For commands with an option that names a database (COPY ... DB n): the
   * option's keyword, lower case. The database must be the pool's own
   * (`redis_db`), else the command is refused: a pool's redis_db keeps
   * pools sharing a server apart.
   */
  readonly dbOption?: string;
  /** For `unsupported`: why, said after the refusal. */
  readonly why?: string;
}

const FORWARD: CommandPolicy = { kind: "forward" };
const TOGETHER: CommandPolicy = { kind: "together" };
const LOCAL: CommandPolicy = { kind: "local" };
const BLOCKING: CommandPolicy = { kind: "blocking" };
const TRANSACTION: CommandPolicy = { kind: "transaction" };
const SUBSCRIBE: CommandPolicy = { kind: "subscribe" };
const CHANNEL: CommandPolicy = { kind: "channel" };
const PUSHES: CommandPolicy = {
  kind: "unsupported",
  why: "it makes the server push messages on the connection, and the proxy shares its " +
    "server connections between clients",
};

/** The policy of every served command (and of some refused ones), by full lower-case name. */
// deno-fmt-ignore
export const POLICY: Readonly<Record<string, CommandPolicy>> = {
  // One key, forwarded untouched to the server owning it.
  append: FORWARD, bitcount: FORWARD, bitfield: FORWARD, bitfield_ro: FORWARD, bitpos: FORWARD,
  decr: FORWARD, decrby: FORWARD, get: FORWARD, getbit: FORWARD, getdel: FORWARD, getex: FORWARD,
  getrange: FORWARD, getset: FORWARD, incr: FORWARD, incrby: FORWARD, incrbyfloat: FORWARD,
  psetex: FORWARD, set: FORWARD, setbit: FORWARD, setex: FORWARD, setnx: FORWARD, setrange:
  FORWARD,
  strlen: FORWARD, substr: FORWARD,
  dump: FORWARD, expire: FORWARD, expireat: FORWARD, expiretime: FORWARD, persist: FORWARD,
  pexpire: FORWARD, pexpireat: FORWARD, pexpiretime: FORWARD, pttl: FORWARD,
  restore: FORWARD, ttl: FORWARD, type: FORWARD, sort_ro: FORWARD,
  "object|encoding": FORWARD, "object|freq": FORWARD, "object|idletime": FORWARD,
  "object|refcount": FORWARD, "memory|usage": FORWARD,
  hdel: FORWARD, hexists: FORWARD, hget: FORWARD, hgetall: FORWARD, hincrby: FORWARD,
  hincrbyfloat: FORWARD, hkeys: FORWARD, hlen: FORWARD, hmget: FORWARD, hmset: FORWARD,
  hrandfield: FORWARD, hscan: FORWARD, hset: FORWARD, hsetnx: FORWARD, hstrlen: FORWARD, hvals:
  FORWARD,
  lindex: FORWARD, linsert: FORWARD, llen: FORWARD, lpop: FORWARD, lpos: FORWARD, lpush: FORWARD,
  lpushx: FORWARD, lrange: FORWARD, lrem: FORWARD, lset: FORWARD, ltrim: FORWARD, rpop: FORWARD,
  rpush: FORWARD,
  rpushx: FORWARD,
  sadd: FORWARD, scard: FORWARD, sismember: FORWARD, smembers: FORWARD, smismember: FORWARD, spop:
  FORWARD, srandmember: FORWARD, srem: FORWARD, sscan: FORWARD,
  zadd: FORWARD, zcard: FORWARD, zcount: FORWARD, zincrby: FORWARD, zlexcount: FORWARD, zmscore:
  FORWARD, zpopmax: FORWARD, zpopmin: FORWARD, zrandmember: FORWARD, zrange: FORWARD,
  zrangebylex: FORWARD, zrangebyscore: FORWARD, zrank: FORWARD, zrem: FORWARD, zremrangebylex:
  FORWARD, zremrangebyrank: FORWARD,
  zremrangebyscore: FORWARD, zrevrange: FORWARD, zrevrangebylex: FORWARD, zrevrangebyscore:
  FORWARD, zrevrank: FORWARD, zscan: FORWARD,
  zscore: FORWARD,
  pfadd: FORWARD,
  geoadd: FORWARD, geodist: FORWARD, geohash: FORWARD, geopos: FORWARD, geosearch: FORWARD,
  georadius_ro: FORWARD, georadiusbymember_ro: FORWARD,
  xack: FORWARD, xadd: FORWARD, xautoclaim: FORWARD, xclaim: FORWARD, xdel: FORWARD, xlen:
  FORWARD, xpending: FORWARD, xrange: FORWARD, xrevrange: FORWARD, xsetid: FORWARD, xtrim:
  FORWARD,
  "xinfo|consumers": FORWARD, "xinfo|groups": FORWARD, "xinfo|stream": FORWARD,
  "xgroup|create": FORWARD, "xgroup|createconsumer": FORWARD, "xgroup|delconsumer": FORWARD,
  "xgroup|destroy": FORWARD,
  "xgroup|setid": FORWARD,

  // Several keys that must all live on one server.
  rename: TOGETHER, renamenx: TOGETHER, smove: TOGETHER, rpoplpush: TOGETHER,
  lmove: TOGETHER,
  sdiff: TOGETHER, sdiffstore: TOGETHER, sinter: TOGETHER, sinterstore: TOGETHER, sintercard:
  TOGETHER, sunion: TOGETHER, sunionstore: TOGETHER,
  zdiff: TOGETHER, zdiffstore: TOGETHER, zinter: TOGETHER, zinterstore: TOGETHER, zintercard:
  TOGETHER, zunion: TOGETHER, zunionstore: TOGETHER, zrangestore: TOGETHER,
  lmpop: TOGETHER, zmpop: TOGETHER, pfcount: TOGETHER, pfmerge: TOGETHER, bitop: TOGETHER, lcs:
  TOGETHER, msetnx: TOGETHER,
  sort: TOGETHER, georadius: TOGETHER, georadiusbymember: TOGETHER, geosearchstore: TOGETHER,
  eval: TOGETHER, evalsha: TOGETHER, eval_ro: TOGETHER, evalsha_ro: TOGETHER, fcall: TOGETHER,
  fcall_ro: TOGETHER,
  copy: { kind: "together", dbOption: "db" },

  // Split per server, the replies merged.
  mget: { kind: "split", merge: "mget" },
  mset: { kind: "split", merge: "allOk" },
  del: { kind: "split", merge: "sum" },
  unlink: { kind: "split", merge: "sum" },
  exists: { kind: "split", merge: "sum" },
  touch: { kind: "split", merge: "sum" },

  // Blocking: on a connection dedicated to the client while it blocks.
  blpop: BLOCKING, brpop: BLOCKING, brpoplpush: BLOCKING, blmove: BLOCKING, blmpop: BLOCKING,
  bzpopmin: BLOCKING, bzpopmax: BLOCKING, bzmpop: BLOCKING, xread: BLOCKING,
  xreadgroup: BLOCKING,
  wait: {
    kind: "unsupported",
    why: "WAIT counts the replicas that acknowledged this connection's writes, and the " +
      "proxy sends a client's writes over connections it shares with other clients",
  },

  // Transactions: the client pinned to a dedicated connection.
  multi: TRANSACTION, exec: TRANSACTION, discard: TRANSACTION, watch: TRANSACTION,
  unwatch: TRANSACTION,

  // Pub/sub: subscriptions on dedicated connections; channels placed like keys.
  subscribe: SUBSCRIBE, unsubscribe: SUBSCRIBE, psubscribe: SUBSCRIBE, punsubscribe: SUBSCRIBE,
  ssubscribe: SUBSCRIBE, sunsubscribe: SUBSCRIBE,
  publish: CHANNEL, spublish: CHANNEL,
  "pubsub|channels": { kind: "broadcast", merge: "union" },
  "pubsub|shardchannels": { kind: "broadcast", merge: "union" },
  "pubsub|numsub": { kind: "broadcast", merge: "pairSum" },
  "pubsub|shardnumsub": { kind: "broadcast", merge: "pairSum" },
  "pubsub|numpat": { kind: "broadcast", merge: "max" },
  "pubsub|help": { kind: "broadcast", merge: "same" },

  // Sent to every server, the replies merged.
  dbsize: { kind: "broadcast", merge: "sum" },
  "script|load": { kind: "broadcast", merge: "same" },
  "script|exists": { kind: "broadcast", merge: "allOnes" },
  "script|flush": { kind: "broadcast", merge: "allOk" },
  info: { kind: "broadcast", merge: "info" },

  // Answered by the proxy (local.ts).
  ping: LOCAL, echo: LOCAL, quit: LOCAL, select: LOCAL, auth: LOCAL, hello: LOCAL,
  reset: LOCAL,
  "client|setname": LOCAL, "client|getname": LOCAL, "client|id": LOCAL, "client|info": LOCAL,
  "client|setinfo": LOCAL,
  "command|count": LOCAL, "command|info": LOCAL, "command|docs": LOCAL, "command|list": LOCAL,

  // Refused with a reason (everything not listed is refused too).
  "client|tracking": PUSHES,
  "client|caching": PUSHES,
  "client|getredir": PUSHES,
};
