/**
 * End-to-end: the Redis command table through a 3-server pool
 * (`hash_tag: "{}"`), compared byte for byte with the same commands sent
 * straight to one redis-server holding the same data.
 *
 * - Every forwarded, split, together and broadcast command has samples
 *   (several invocations, options and error cases), run one by one, inline
 *   and as one big pipeline in upper case; the replies are the same raw
 *   bytes as redis-server's, apart from values that depend on time, memory
 *   layout or set order.
 * - The proxy routes each sample by the keys redis-server itself finds
 *   (`COMMAND GETKEYS`).
 * - Unsupported commands get `-ERR unsupported command` and never reach a
 *   backend; the connection stays usable.
 * - Split commands merge in key order; EVAL needs its keys on one server;
 *   a 10,000-key MGET; the bad inputs of shared/reference/bad-inputs.md sent
 *   raw; AUTH and `redis_db` in front of a password-protected redis-server.
 * - 40 clients pipelining random command mixes at once, while others hang
 *   up in the middle of split requests, each get redis-server's replies.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../lib/proto/redis/commands.ts";
import {
  type ArgReader,
  COMMAND_TABLE,
  type CommandSpec,
  findKeys,
} from "../lib/proto/redis/command_spec.ts";
import {
  type Backend,
  type Backends,
  RawClient,
  startRedis,
  startRedises,
} from "./_support/servers.ts";
import { redisPool as pool, startProxy, type TestProxy } from "./_support/proxy.ts";
import { concat, replies } from "./_support/resp.ts";

// ---------------------------------------------------------------------------
// Bytes as latin1 text: one char per byte, so replies compare exactly and
// print readably.
// ---------------------------------------------------------------------------

function text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  }
  return s;
}

function bytes(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A RESP request of latin1 arguments. */
function request(args: readonly string[]): Uint8Array {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${a.length}\r\n${a}\r\n`;
  return bytes(s);
}

/** An inline request: every argument double-quoted with sdssplitargs escapes. */
function inlineRequest(args: readonly string[]): Uint8Array {
  const quoted = args.map((a) => {
    let q = '"';
    for (let i = 0; i < a.length; i++) {
      const c = a.charCodeAt(i);
      if (c === 34 || c === 92) q += "\\" + a[i];
      else if (c >= 32 && c < 127) q += a[i];
      else q += "\\x" + c.toString(16).padStart(2, "0");
    }
    return q + '"';
  });
  return bytes(quoted.join(" ") + "\r\n");
}

/** Sends `req` and returns the next `n` raw replies, each as latin1 text. */
async function exchange(c: RawClient, req: Uint8Array, n = 1, ms = 10_000): Promise<string[]> {
  await c.send(req);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(text(await c.readUntil(replies(1), ms)));
  return out;
}

async function call(c: RawClient, ...args: string[]): Promise<string> {
  return (await exchange(c, request(args)))[0]!;
}

/** `$<len>\r\n<data>\r\n` for a latin1 string; `*n` arrays of bulks. */
const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;
const bulks = (...xs: (string | null)[]) =>
  `*${xs.length}\r\n` + xs.map((x) => x === null ? "$-1\r\n" : bulk(x)).join("");

/** The backend port owning `key` in the proxy's first pool. */
function ownerPort(proxy: TestProxy, key: string): number {
  const p = proxy.placement.pools[0]!;
  const k = bytes(key);
  const addr = p.servers[p.serverOf(k, 0, k.length)]!.address;
  return addr.transport === "tcp" ? addr.port : -1;
}

/** A tag `{name}` owned by the backend at `port`, searching names `prefix0`, `prefix1`, ... */
function tagOn(proxy: TestProxy, port: number, prefix: string): string {
  for (let j = 0;; j++) {
    const tag = `{${prefix}${j}}`;
    if (ownerPort(proxy, tag) === port) return tag;
  }
}

async function sha1(s: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-1", bytes(s)));
  return [...d].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ---------------------------------------------------------------------------
// Samples
// ---------------------------------------------------------------------------

const SCRIPT_KEY = "return KEYS[1]";
const SHA_KEY = await sha1(SCRIPT_KEY);
const SHA_ONE = await sha1("return 1");
const SHA_NONE = "ffffffffffffffffffffffffffffffffffffffff";

/** A function library loaded straight on every backend (FUNCTION LOAD is not served). */
const LIBRARY = "#!lua name=nutlib\n" +
  "redis.register_function('nut_get', function(keys, args) return redis.call('get', keys[1]) end)\n" +
  "redis.register_function{function_name='nut_ro', flags={'no-writes'}, " +
  "callback=function(keys, args) return redis.call('get', keys[1]) end}\n";

const GEO = "geoadd {T}a 13.361389 38.115556 P 15.087269 37.502669 C";

/**
 * Samples per command: commands separated by `;`, words by spaces, `"..."`
 * quotes a word (with `\xNN`, `\r`, `\n`, `\"`, `\\`). `{T}`, `{U}` and
 * `{V}` are hash tags on three different servers (unique per sample);
 * `$DUMP` is the payload of the sample's last DUMP reply.
 */
const SAMPLES: Record<string, string> = {
  // --- one key, forwarded
  append: "append {T}a x; append {T}a yz; get {T}a; rpush {T}l x; append {T}l x",
  bitcount: "set {T}a foobar; bitcount {T}a; bitcount {T}a 1 1; bitcount {T}a 5 30 bit; " +
    "bitcount {T}nope; bitcount {T}a 1",
  bitfield: "bitfield {T}a incrby i5 100 1 get u4 0; bitfield {T}a overflow sat incrby u2 102 1; " +
    "bitfield {T}a set i8 0 -1 get u8 0; bitfield {T}a get x8 0",
  bitfield_ro: "set {T}a hello; bitfield_ro {T}a get u8 0 get i4 3; bitfield_ro {T}a set u8 0 1",
  bitpos: 'set {T}a "\\xff\\xf0\\x00"; bitpos {T}a 0; bitpos {T}a 1 2; bitpos {T}a 1 0 -1 bit; ' +
    "bitpos {T}nope 1",
  decr: "set {T}a 10; decr {T}a; decr {T}nope; set {T}b x; decr {T}b",
  decrby: "set {T}a 10; decrby {T}a 3; decrby {T}a x",
  dump: "set {T}a v; dump {T}a; rpush {T}l x y; dump {T}l; dump {T}nope",
  expire: "set {T}a v; expire {T}a 100; ttl {T}a; expire {T}a 200 nx; expire {T}a 200 gt; " +
    "ttl {T}a; expire {T}nope 1; expire {T}a x",
  expireat: "set {T}a v; expireat {T}a 33177117420; expiretime {T}a; expireat {T}a 1 xx; get {T}a",
  expiretime: "set {T}a v; expiretime {T}a; expireat {T}a 33177117420; expiretime {T}a; " +
    "expiretime {T}nope",
  geoadd: `${GEO}; geoadd {T}a xx ch 13.361389 38.115556 C; geoadd {T}a 200 100 bad`,
  geodist: `${GEO}; geodist {T}a P C; geodist {T}a P C km; geodist {T}a P nope`,
  geohash: `${GEO}; geohash {T}a P nope C`,
  geopos: `${GEO}; geopos {T}a P nope`,
  georadius_ro: `${GEO}; georadius_ro {T}a 15 37 200 km withdist withcoord asc; ` +
    "georadius_ro {T}a 15 37 200 km count 1 desc; georadius_ro {T}a 15 37 200 km store {T}b",
  georadiusbymember_ro: `${GEO}; georadiusbymember_ro {T}a P 200 km withdist asc; ` +
    "georadiusbymember_ro {T}a nope 200 km",
  geosearch: `${GEO}; geosearch {T}a fromlonlat 15 37 byradius 200 km asc withdist; ` +
    "geosearch {T}a frommember P bybox 400 400 km desc count 1 withhash",
  get: "set {T}a v; get {T}a; get {T}nope; rpush {T}l x; get {T}l",
  getbit: "setbit {T}a 7 1; getbit {T}a 7; getbit {T}a 6; getbit {T}a 100; getbit {T}a -1",
  getdel: "set {T}a v; getdel {T}a; get {T}a; getdel {T}a",
  getex: "set {T}a v; getex {T}a ex 100; ttl {T}a; getex {T}a persist; ttl {T}a; " +
    "getex {T}a pxat 33177117420000; pexpiretime {T}a; getex {T}a ex 0",
  getrange: "set {T}a abcdef; getrange {T}a 1 3; getrange {T}a -3 -1; getrange {T}a 10 20",
  getset: "set {T}a v; getset {T}a w; get {T}a; getset {T}nope x",
  hdel: "hset {T}a f 1 g 2; hdel {T}a f nope; hdel {T}a g; exists {T}a",
  hexists: "hset {T}a f 1; hexists {T}a f; hexists {T}a g",
  hget: "hset {T}a f 1; hget {T}a f; hget {T}a nope; set {T}s x; hget {T}s f",
  hgetall: "hset {T}a f 1 g 2; hgetall {T}a; hgetall {T}nope",
  hincrby: "hincrby {T}a f 5; hincrby {T}a f -2; hset {T}a s x; hincrby {T}a s 1",
  hincrbyfloat: "hincrbyfloat {T}a f 1.5; hincrbyfloat {T}a f 2.0e2",
  hkeys: "hset {T}a f 1 g 2; hkeys {T}a",
  hlen: "hset {T}a f 1 g 2; hlen {T}a; hlen {T}nope",
  hmget: "hset {T}a f 1; hmget {T}a f nope f",
  hmset: "hmset {T}a f 1 g 2; hget {T}a g; hmset {T}a f",
  hrandfield: "hset {T}a f 1; hrandfield {T}a; hrandfield {T}a 1 withvalues; " +
    "hrandfield {T}a -3 withvalues; hrandfield {T}nope",
  hscan: "hset {T}a f 1 g 2; hscan {T}a 0; hscan {T}a 0 match f* count 10",
  hset: "hset {T}a f 1 g 2; hset {T}a f 3; hget {T}a f",
  hsetnx: "hsetnx {T}a f 1; hsetnx {T}a f 2; hget {T}a f",
  hstrlen: "hset {T}a f hello; hstrlen {T}a f; hstrlen {T}a g",
  hvals: "hset {T}a f 1 g 2; hvals {T}a",
  incr: "incr {T}a; incr {T}a; set {T}b 9223372036854775807; incr {T}b",
  incrby: "incrby {T}a 7; incrby {T}a -10",
  incrbyfloat: "incrbyfloat {T}a 2.5; incrbyfloat {T}a 5.0e3; incrbyfloat {T}a x",
  lindex: "rpush {T}a x y z; lindex {T}a 1; lindex {T}a -1; lindex {T}a 5",
  linsert: "rpush {T}a x z; linsert {T}a before z y; linsert {T}a after nope q; lrange {T}a 0 -1",
  llen: "rpush {T}a x y; llen {T}a; llen {T}nope",
  lpop: "rpush {T}a x y z; lpop {T}a; lpop {T}a 2; lpop {T}a; lpop {T}a 1",
  lpos: "rpush {T}a x y x; lpos {T}a x; lpos {T}a x rank 2; lpos {T}a x count 0; " +
    "lpos {T}a x maxlen 1 count 0",
  lpush: "lpush {T}a x y; lrange {T}a 0 -1",
  lpushx: "lpushx {T}a x; lpush {T}a y; lpushx {T}a z w; lrange {T}a 0 -1",
  lrange: "rpush {T}a x y z; lrange {T}a 0 -1; lrange {T}a -2 10; lrange {T}a 5 6",
  lrem: "rpush {T}a x y x x; lrem {T}a 1 x; lrem {T}a -1 x; lrem {T}a 0 y; lrange {T}a 0 -1",
  lset: "rpush {T}a x y; lset {T}a 0 z; lset {T}a 5 z; lrange {T}a 0 -1",
  ltrim: "rpush {T}a x y z; ltrim {T}a 1 -1; lrange {T}a 0 -1",
  "memory|usage": "set {T}a v; memory usage {T}a samples 0; memory usage {T}nope",
  "object|encoding": "set {T}a 12; object encoding {T}a; set {T}b abc; object encoding {T}b; " +
    "rpush {T}l x; object encoding {T}l; object encoding {T}nope",
  "object|freq": "set {T}a v; object freq {T}a",
  "object|idletime": "set {T}a v; object idletime {T}a; object idletime {T}nope",
  "object|refcount": "set {T}a v; object refcount {T}a",
  persist: "set {T}a v ex 100; persist {T}a; ttl {T}a; persist {T}a",
  pexpire: "set {T}a v; pexpire {T}a 100000; pexpire {T}nope 1; pexpire {T}a 50000 lt; " +
    "pexpiretime {T}nope",
  pexpireat: "set {T}a v; pexpireat {T}a 33177117420000; pexpiretime {T}a; expiretime {T}a; " +
    "pexpireat {T}a 1 nx; pexpireat {T}a 1 xx; exists {T}a",
  pexpiretime: "set {T}a v; pexpireat {T}a 33177117420000; pexpiretime {T}a",
  pfadd: "pfadd {T}a x y z; pfadd {T}a x; pfadd {T}b; set {T}s x; pfadd {T}s y",
  psetex: "psetex {T}a 100000 v; get {T}a; psetex {T}a 0 v",
  pttl: "set {T}a v; pttl {T}a; pttl {T}nope",
  restore: "set {T}s v; dump {T}s; restore {T}a 0 $DUMP; get {T}a; restore {T}a 0 $DUMP; " +
    "restore {T}a 0 $DUMP replace; restore {T}b 33177117420000 $DUMP absttl; " +
    "expiretime {T}b; restore {T}c 0 bad",
  rpop: "rpush {T}a x y z; rpop {T}a; rpop {T}a 2; rpop {T}nope",
  rpush: "rpush {T}a x y; rpush {T}a z; lrange {T}a 0 -1",
  rpushx: "rpushx {T}a x; rpush {T}a y; rpushx {T}a z; lrange {T}a 0 -1",
  sadd: "sadd {T}a x y x; sadd {T}a x; scard {T}a",
  scard: "sadd {T}a x y; scard {T}a; scard {T}nope",
  set: "set {T}a v; set {T}a w nx; set {T}a w xx get; set {T}a x keepttl; " +
    "set {T}a y ex 100 px 100; get {T}a; set {T}b v px 100000; set {T}a z get",
  setbit: "setbit {T}a 7 1; setbit {T}a 7 0; get {T}a; setbit {T}a 1 2",
  setex: "setex {T}a 100 v; get {T}a; ttl {T}a; setex {T}a -1 v",
  setnx: "setnx {T}a v; setnx {T}a w; get {T}a",
  setrange: "set {T}a hello; setrange {T}a 1 EL; get {T}a; setrange {T}b 3 x; get {T}b",
  sismember: "sadd {T}a x; sismember {T}a x; sismember {T}a y",
  smembers: "sadd {T}a x; smembers {T}a; smembers {T}nope",
  smismember: "sadd {T}a x; smismember {T}a x y x",
  sort_ro: "rpush {T}a 3 1 2; sort_ro {T}a; sort_ro {T}a desc limit 0 2; " +
    "rpush {T}b b a; sort_ro {T}b alpha; sort_ro {T}b",
  spop: "sadd {T}a x; spop {T}a; spop {T}a; sadd {T}b y; spop {T}b 5",
  srandmember: "sadd {T}a x; srandmember {T}a; srandmember {T}a 1; srandmember {T}a -3",
  srem: "sadd {T}a x y; srem {T}a x nope; srem {T}a y; exists {T}a",
  sscan: "sadd {T}a x y; sscan {T}a 0 match x",
  strlen: "set {T}a hello; strlen {T}a; strlen {T}nope",
  substr: "set {T}a hello; substr {T}a 1 3",
  ttl: "set {T}a v; ttl {T}a; ttl {T}nope; expire {T}a 100; ttl {T}a",
  type: "set {T}a v; rpush {T}b x; xadd {T}c 1-1 f v; type {T}a; type {T}b; type {T}c; " +
    "type {T}nope",
  xack: "xgroup create {T}a g $ mkstream; xadd {T}a 1-1 f v; " +
    "xclaim {T}a g c 0 1-1 force justid; xack {T}a g 1-1 1-2; xack {T}a g 1-1",
  xadd: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xadd {T}a 1-1 f v; " +
    "xadd {T}a maxlen 1 2-0 f x; xlen {T}a; xadd {T}b nomkstream 1-1 f v; exists {T}b",
  xautoclaim: "xgroup create {T}a g 0 mkstream; xadd {T}a 1-1 f v; " +
    "xclaim {T}a g c 0 1-1 force justid; xautoclaim {T}a g d 0 0-0 count 10; " +
    "xautoclaim {T}a g d 0 0-0 justid",
  xclaim: "xgroup create {T}a g $ mkstream; xadd {T}a 1-1 f v; " +
    "xclaim {T}a g c 0 1-1 force justid; xclaim {T}a g d 0 1-1; xclaim {T}a g d 0 1-1 justid",
  xdel: "xadd {T}a 1-1 f v; xdel {T}a 1-1 1-2; xlen {T}a",
  "xgroup|create": "xgroup create {T}a g $ mkstream; xgroup create {T}a g $; " +
    "xgroup create {T}nope g $",
  "xgroup|createconsumer": "xgroup create {T}a g $ mkstream; xgroup createconsumer {T}a g c; " +
    "xgroup createconsumer {T}a g c",
  "xgroup|delconsumer": "xgroup create {T}a g $ mkstream; xgroup createconsumer {T}a g c; " +
    "xgroup delconsumer {T}a g c",
  "xgroup|destroy": "xgroup create {T}a g $ mkstream; xgroup destroy {T}a g; xgroup destroy {T}a g",
  "xgroup|setid": "xgroup create {T}a g $ mkstream; xgroup setid {T}a g 0; xinfo groups {T}a",
  "xinfo|consumers": "xgroup create {T}a g $ mkstream; xgroup createconsumer {T}a g c; " +
    "xinfo consumers {T}a g",
  "xinfo|groups": "xgroup create {T}a g 0 mkstream; xadd {T}a 1-1 f v; xinfo groups {T}a",
  "xinfo|stream": "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xinfo stream {T}a; " +
    "xinfo stream {T}a full; xinfo stream {T}nope",
  xlen: "xadd {T}a 1-1 f v; xlen {T}a; xlen {T}nope",
  xpending: "xgroup create {T}a g 0 mkstream; xadd {T}a 1-1 f v; xpending {T}a g; " +
    "xclaim {T}a g c 0 1-1 force justid; xpending {T}a g; xpending {T}a g idle 100000 - + 10",
  xrange: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xrange {T}a - +; xrange {T}a (1-1 + count 1",
  xrevrange: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xrevrange {T}a + - count 1",
  xsetid: "xadd {T}a 1-1 f v; xsetid {T}a 5-0; xadd {T}a 4-0 f v; xsetid {T}a 0-1",
  xtrim: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xadd {T}a 1-3 f w; xtrim {T}a maxlen 2; " +
    "xtrim {T}a minid = 1-3; xlen {T}a",
  zadd: "zadd {T}a 1 x 2 y; zadd {T}a xx ch 3 x; zadd {T}a nx incr 1 z; zadd {T}a gt 0 x; " +
    "zadd {T}a x y",
  zcard: "zadd {T}a 1 x 2 y; zcard {T}a; zcard {T}nope",
  zcount: "zadd {T}a 1 x 2 y; zcount {T}a 1 1; zcount {T}a -inf +inf; zcount {T}a (1 2",
  zincrby: "zincrby {T}a 2 x; zincrby {T}a 1.5 x",
  zlexcount: "zadd {T}a 0 a 0 b 0 c; zlexcount {T}a [a (c; zlexcount {T}a - +",
  zmscore: "zadd {T}a 1 x; zmscore {T}a x nope",
  zpopmax: "zadd {T}a 1 x 2 y; zpopmax {T}a; zpopmax {T}a 5",
  zpopmin: "zadd {T}a 1 x 2 y 3 z; zpopmin {T}a 2; zpopmin {T}nope",
  zrandmember: "zadd {T}a 1 x; zrandmember {T}a; zrandmember {T}a 1 withscores; " +
    "zrandmember {T}a -2",
  zrange: "zadd {T}a 1 x 2 y 3 z; zrange {T}a 0 -1 withscores; zrange {T}a (1 3 byscore; " +
    "zrange {T}a 3 1 byscore rev limit 0 1; zrange {T}a [x [z bylex",
  zrangebylex: "zadd {T}a 0 a 0 b; zrangebylex {T}a - +; zrangebylex {T}a (a + limit 0 5",
  zrangebyscore: "zadd {T}a 1 x 2 y; zrangebyscore {T}a 1 2; " +
    "zrangebyscore {T}a -inf +inf withscores limit 1 1",
  zrank: "zadd {T}a 1 x 2 y; zrank {T}a y; zrank {T}a nope",
  zrem: "zadd {T}a 1 x 2 y; zrem {T}a x nope; zcard {T}a",
  zremrangebylex: "zadd {T}a 0 a 0 b 0 c; zremrangebylex {T}a [a [b; zrange {T}a 0 -1",
  zremrangebyrank: "zadd {T}a 1 x 2 y; zremrangebyrank {T}a 0 0; zrange {T}a 0 -1",
  zremrangebyscore: "zadd {T}a 1 x 2 y; zremrangebyscore {T}a 1 1; zrange {T}a 0 -1",
  zrevrange: "zadd {T}a 1 x 2 y; zrevrange {T}a 0 -1; zrevrange {T}a 0 0 withscores",
  zrevrangebylex: "zadd {T}a 0 a 0 b; zrevrangebylex {T}a + -",
  zrevrangebyscore: "zadd {T}a 1 x 2 y; zrevrangebyscore {T}a 2 1 withscores",
  zrevrank: "zadd {T}a 1 x 2 y; zrevrank {T}a y",
  zscan: "zadd {T}a 1 x; zscan {T}a 0; zscan {T}a 0 count 5",
  zscore: "zadd {T}a 1.5 x; zscore {T}a x; zscore {T}a nope",

  // --- several keys that must live on one server (one hash tag)
  bitop: "set {T}a ab; set {T}b cd; bitop xor {T}c {T}a {T}b; get {T}c; bitop not {T}d {T}a; " +
    "get {T}d; bitop and {T}e {T}a {T}nope; get {T}e; bitop not {T}d {T}a {T}b",
  copy: "set {T}a v; copy {T}a {T}b; get {T}b; copy {T}a {T}b; copy {T}a {T}b replace; " +
    "copy {T}nope {T}c",
  eval: "eval \"return redis.call('set',KEYS[1],ARGV[1])\" 1 {T}a v; get {T}a; " +
    'eval "return {KEYS[1],KEYS[2],ARGV[1]}" 2 {T}a {T}b x; ' +
    "eval \"return redis.call('get',KEYS[1])\" 1 {T}nope; eval \"error('boom')\" 1 {T}a; " +
    'eval "return {1,2.5,\'x\',true,false}" 1 {T}a; eval "return 1" 3 {T}a; ' +
    'eval "return 1" -1 {T}a',
  eval_ro: "set {T}a v; eval_ro \"return redis.call('get',KEYS[1])\" 1 {T}a; " +
    "eval_ro \"return redis.call('set',KEYS[1],'x')\" 1 {T}a",
  evalsha: `script load "${SCRIPT_KEY}"; evalsha ${SHA_KEY} 1 {T}a; ` +
    `evalsha ${SHA_KEY.toUpperCase()} 1 {T}b; evalsha ${SHA_NONE} 1 {T}a`,
  evalsha_ro: `script load "${SCRIPT_KEY}"; evalsha_ro ${SHA_KEY} 1 {T}a; ` +
    `evalsha_ro ${SHA_NONE} 1 {T}a`,
  fcall: "set {T}a v; fcall nut_get 1 {T}a; fcall nut_nope 1 {T}a",
  fcall_ro: "set {T}a v; fcall_ro nut_ro 1 {T}a; fcall_ro nut_get 1 {T}a",
  georadius: `${GEO}; georadius {T}a 15 37 200 km store {T}b; zcard {T}b; ` +
    "georadius {T}a 15 37 200 km storedist {T}c; zrange {T}c 0 -1 withscores; " +
    "georadius {T}a 15 37 200 km withdist",
  georadiusbymember: `${GEO}; georadiusbymember {T}a P 10 km; ` +
    "georadiusbymember {T}a P 200 km count 1 store {T}b; zrange {T}b 0 -1",
  geosearchstore: `${GEO}; geosearchstore {T}b {T}a fromlonlat 15 37 byradius 200 km; ` +
    "geosearchstore {T}c {T}a frommember P bybox 500 500 km asc count 1 storedist; " +
    "zrange {T}c 0 -1 withscores",
  lcs: "set {T}a ohmytext; set {T}b mynewtext; lcs {T}a {T}b; lcs {T}a {T}b len; " +
    "lcs {T}a {T}b idx minmatchlen 4 withmatchlen",
  lmove: "rpush {T}a x y; lmove {T}a {T}b left right; lmove {T}a {T}a right left; " +
    "lrange {T}b 0 -1; lmove {T}nope {T}b left left",
  lmpop: "rpush {T}b x y z; lmpop 2 {T}a {T}b left count 2; lmpop 1 {T}a right; " +
    "lmpop 2 {T}a {T}b right",
  msetnx: "msetnx {T}a 1 {T}b 2; msetnx {T}a 3 {T}c 4; mget {T}a {T}b {T}c",
  pfcount: "pfadd {T}a x y; pfadd {T}b y z; pfcount {T}a {T}b; pfcount {T}a; pfcount {T}nope",
  pfmerge: "pfadd {T}a x y; pfadd {T}b y z; pfmerge {T}c {T}a {T}b; pfcount {T}c; " +
    "pfmerge {T}d; exists {T}d",
  rename: "set {T}a v; rename {T}a {T}b; get {T}b; rename {T}nope {T}c",
  renamenx: "set {T}a v; set {T}b w; renamenx {T}a {T}b; renamenx {T}a {T}c; get {T}c",
  rpoplpush: "rpush {T}a x y; rpoplpush {T}a {T}b; lrange {T}b 0 -1; rpoplpush {T}nope {T}b",
  sdiff: "sadd {T}a x y; sadd {T}b y; sdiff {T}a {T}b; sdiff {T}a",
  sdiffstore: "sadd {T}a x y; sadd {T}b y; sdiffstore {T}c {T}a {T}b; smembers {T}c",
  sinter: "sadd {T}a x y; sadd {T}b y; sinter {T}a {T}b; sinter {T}a {T}nope",
  sintercard: "sadd {T}a x y; sadd {T}b y; sintercard 2 {T}a {T}b; " +
    "sintercard 1 {T}a limit 1; sintercard 3 {T}a {T}b",
  sinterstore: "sadd {T}a x y; sadd {T}b y; sinterstore {T}c {T}a {T}b; smembers {T}c",
  smove: "sadd {T}a x; smove {T}a {T}b x; smembers {T}b; smove {T}a {T}b x",
  sort: "rpush {T}a 3 1 2; sort {T}a store {T}b; lrange {T}b 0 -1; " +
    "set {T}w_1 3; set {T}w_2 2; set {T}w_3 1; sort {T}a by {T}w_*; " +
    "sort {T}a by {T}w_* get # get {T}w_* store {T}c; lrange {T}c 0 -1; " +
    "sort {T}a limit 0 2 desc; sort {T}a by nosort",
  sunion: "sadd {T}a x; sadd {T}b y; sunion {T}a {T}b; sunion {T}a {T}nope",
  sunionstore: "sadd {T}a x; sadd {T}b y; sunionstore {T}c {T}a {T}b; scard {T}c",
  zdiff: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zdiff 2 {T}a {T}b; zdiff 2 {T}a {T}b withscores",
  zdiffstore: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zdiffstore {T}c 2 {T}a {T}b; zrange {T}c 0 -1",
  zinter: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zinter 2 {T}a {T}b withscores; " +
    "zinter 2 {T}a {T}b weights 2 3 aggregate max withscores",
  zintercard: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zintercard 2 {T}a {T}b; " +
    "zintercard 1 {T}a limit 1",
  zinterstore: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zinterstore {T}c 2 {T}a {T}b; " +
    "zrange {T}c 0 -1 withscores",
  zmpop: "zadd {T}b 1 x 2 y; zmpop 2 {T}a {T}b min; zmpop 2 {T}a {T}b max count 5; " +
    "zmpop 1 {T}a min",
  zrangestore: "zadd {T}a 1 x 2 y; zrangestore {T}b {T}a 0 0; zrange {T}b 0 -1; " +
    "zrangestore {T}c {T}a 2 1 byscore rev limit 0 1; zrange {T}c 0 -1",
  zunion: "zadd {T}a 1 x; zadd {T}b 1 y; zunion 2 {T}a {T}b withscores; " +
    "zunion 2 {T}a {T}b weights 1 2 aggregate sum withscores",
  zunionstore: "zadd {T}a 1 x; zadd {T}b 1 y; zunionstore {T}c 2 {T}a {T}b; zcard {T}c",

  // --- split over servers ({T}, {U} and {V} are on three different servers)
  del: "set {T}a 1; set {U}a 2; set {V}a 3; del {T}a {U}a {V}nope {T}a; del {V}a; " +
    "mget {T}a {U}a {V}a",
  exists: "set {T}a 1; set {U}a 2; exists {T}a {U}a {V}nope {T}a {U}a; exists {V}nope",
  mget: "set {T}a 1; set {U}a 2; rpush {V}l x; mget {T}a {V}nope {U}a {T}a {V}l; mget {U}a",
  mset: "mset {T}a 1 {U}a 2 {V}a 3 {T}a 4; mget {V}a {U}a {T}a; mset {U}b x; get {U}b",
  touch: "set {T}a 1; set {U}a 2; touch {T}a {U}a {V}nope {U}a; touch {V}nope",
  unlink: "set {T}a 1; set {U}a 2; unlink {T}a {U}a {V}nope {U}a; exists {T}a {U}a",

  // --- sent to every server
  dbsize: "set {T}a 1; set {U}b 2; set {V}c 3; dbsize",
  "script|exists": `script load "return 1"; script exists ${SHA_ONE} ${SHA_NONE} ${SHA_ONE}`,
  "script|flush": `script load "return 1"; script flush; script exists ${SHA_ONE}; ` +
    "script flush async; script flush sync; script flush now",
  "script|load": 'script load "return 1"; script load "return 1"; script load "return +"',
  info: "set {T}a 1; set {U}b 2; pexpire {V}c 1; info keyspace; info nosuch",
  "pubsub|channels": "pubsub channels; pubsub channels a*",
  "pubsub|shardchannels": "pubsub shardchannels; pubsub shardchannels a*",
  "pubsub|numsub": "pubsub numsub; pubsub numsub {T}a {U}b {T}a",
  "pubsub|shardnumsub": "pubsub shardnumsub {T}a {U}b",
  "pubsub|numpat": "pubsub numpat",
  "pubsub|help": "pubsub help",
};

/** A raw reply with the elements of every array of bulk strings sorted. */
function unordered(reply: string): string {
  let pos = 0;
  const value = (): string => {
    const nl = reply.indexOf("\r\n", pos);
    const head = reply.slice(pos, nl + 2);
    pos = nl + 2;
    const n = Number(head.slice(1, -2));
    if (head[0] === "$" && n >= 0) {
      const out = head + reply.slice(pos, pos + n + 2);
      pos += n + 2;
      return out;
    }
    if ((head[0] !== "*" && head[0] !== "~") || n < 0) return head;
    const items = Array.from({ length: n }, value);
    if (items.every((i) => i.startsWith("$"))) items.sort();
    return head + items.join("");
  };
  return value();
}

/**
 * Replies that legitimately differ between two servers: time, memory
 * layout, and the order of set members (Redis seeds its hash function per
 * process).
 */
const NORMALIZE: Record<string, (reply: string) => string> = {
  sdiff: unordered,
  sinter: unordered,
  sunion: unordered,
  smembers: unordered,
  sscan: unordered,
  spop: unordered,
  srandmember: unordered,
  "object|idletime": (r) => r.replace(/^:\d+\r\n$/, ":<seconds>\r\n"),
  "memory|usage": (r) => r.replace(/^:\d+\r\n$/, ":<bytes>\r\n"),
  "xinfo|consumers": (r) => r.replace(/(\$4\r\nidle\r\n):\d+/g, "$1:<ms>"),
  // The keys left by every sample so far, summed over the servers; TTLs tick.
  info: (r) => r.replace(/avg_ttl=\d+/g, "avg_ttl=<ms>").replace(/^([$=])\d+/, "$1<len>"),
};

/** Splits a sample into commands of words (see {@link SAMPLES}). */
function parseSample(sample: string, tags: { T: string; U: string; V: string }): string[][] {
  return sample.split(";").map((c) =>
    [...c.trim().matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => {
      const word = m[1] !== undefined
        ? m[1].replace(
          /\\(x[0-9a-fA-F]{2}|.)/g,
          (_, e: string) =>
            e[0] === "x"
              ? String.fromCharCode(parseInt(e.slice(1), 16))
              : e === "r"
              ? "\r"
              : e === "n"
              ? "\n"
              : e,
        )
        : m[2]!;
      return word.replaceAll("{T}", tags.T).replaceAll("{U}", tags.U).replaceAll("{V}", tags.V);
    })
  );
}

/** The table name of a command's words: `get`, or `xinfo|stream` for a subcommand. */
function nameOf(words: readonly string[]): string {
  const top = words[0]!.toLowerCase();
  const spec = COMMAND_TABLE.get(top);
  return spec?.kind === "container" && words.length > 1 ? `${top}|${words[1]!.toLowerCase()}` : top;
}

function specOf(words: readonly string[]): CommandSpec | null {
  const top = COMMAND_TABLE.get(words[0]!.toLowerCase());
  if (top === null || top.subcommands === null || words.length < 2) return top;
  return top.subcommands.get(words[1]!.toLowerCase());
}

/** The payload of a raw bulk reply. */
function bulkPayload(reply: string): string {
  const m = /^\$(\d+)\r\n/.exec(reply);
  assert.ok(m !== null, `not a bulk reply: ${JSON.stringify(reply)}`);
  return reply.slice(m[0].length, m[0].length + Number(m[1]));
}

type Mode = "resp" | "inline" | "pipeline";

/**
 * Runs commands on `port` and returns the raw replies: one at a time
 * (`resp`, `inline`) or all in one write (`pipeline`).
 */
async function runOn(
  port: number,
  cmds: string[][],
  mode: Mode,
  resp: 2 | 3 = 2,
): Promise<string[]> {
  await using c = await RawClient.connect(port);
  if (resp === 3) {
    const hello = await call(c, "hello", "3");
    assert.match(hello, /^%7\r\n/, `HELLO 3 on port ${port}`);
  }
  if (mode === "pipeline") {
    return await exchange(c, concat(cmds.map(request)), cmds.length, 60_000);
  }
  const out: string[] = [];
  let dump = "";
  for (const args of cmds) {
    const real = args.map((a) => a === "$DUMP" ? dump : a);
    const [r] = await exchange(c, mode === "inline" ? inlineRequest(real) : request(real));
    if (nameOf(args) === "dump" && r!.startsWith("$") && r !== "$-1\r\n") dump = bulkPayload(r!);
    out.push(r!);
  }
  return out;
}

/** Three backends behind a proxy, and one more redis-server to compare with. */
async function setUp(): Promise<{
  backends: Backends;
  direct: Backend;
  proxy: TestProxy;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const backends = await startRedises(3);
  let direct: Backend;
  try {
    direct = await startRedis();
  } catch (err) {
    await backends[Symbol.asyncDispose]();
    throw err;
  }
  const proxy = await startProxy(pool(backends.ports));
  return {
    backends,
    direct,
    proxy,
    async [Symbol.asyncDispose]() {
      await proxy[Symbol.asyncDispose]();
      await direct.stop();
      await backends[Symbol.asyncDispose]();
    },
  };
}

// ---------------------------------------------------------------------------
// The command table
// ---------------------------------------------------------------------------

/** Every command and subcommand of the table. */
const ALL_SPECS: readonly CommandSpec[] = COMMAND_TABLE.all.flatMap((s) => [
  s,
  ...(s.subcommands?.all ?? []),
]);

const SERVED = ALL_SPECS.filter((s) =>
  ["forward", "together", "split", "broadcast"].includes(s.kind)
)
  .map((s) => s.name).sort();

Deno.test("every forwarded, split, together and broadcast command has a sample that runs it", () => {
  assert.deepEqual(SERVED.filter((name) => !(name in SAMPLES)), [], "commands without a sample");
  assert.deepEqual(
    Object.keys(SAMPLES).filter((name) => !SERVED.includes(name)),
    [],
    "samples of commands the proxy does not forward",
  );
  const tags = { T: "{t}", U: "{u}", V: "{v}" };
  for (const [name, sample] of Object.entries(SAMPLES)) {
    assert.ok(
      parseSample(sample, tags).some((words) => nameOf(words) === name),
      `the sample of ${name} never runs ${name}: ${sample}`,
    );
  }
  assert.ok(SERVED.length >= 179, `${SERVED.length} served commands`);
});

Deno.test("every sample is routed by the keys redis-server finds (COMMAND GETKEYS)", async () => {
  await using direct = await startRedis();
  await using c = await RawClient.connect(direct.port);
  const tags = { T: "{t}", U: "{u}", V: "{v}" };
  const wrong: string[] = [];
  let checked = 0;
  for (const sample of Object.values(SAMPLES)) {
    for (const words of parseSample(sample, tags)) {
      const spec = specOf(words);
      if (spec === null || !["forward", "together", "split"].includes(spec.kind)) continue;
      if (words.includes("$DUMP")) continue;
      const args: ArgReader = {
        argc: words.length,
        argBuf: bytes(words.join("")),
        resp: false,
        argStart: (i) => words.slice(0, i).join("").length,
        argEnd: (i) => words.slice(0, i + 1).join("").length,
      };
      let ours: string[];
      if (spec.kind === "forward") ours = [words[spec.keys[0]!.index]!];
      else if (spec.kind === "split") {
        ours = words.slice(1).filter((_, i) => i % 2 === 0 || spec.name !== "mset");
      } else {
        const out = { keys: new Int32Array(4) };
        const n = findKeys(spec, args, out);
        ours = n < 0 ? ["<bad arguments>"] : [...out.keys.subarray(0, n)].map((i) => words[i]!);
      }
      const reply = await call(c, "command", "getkeys", ...words);
      // Redis refuses some argument lists it would also refuse to run.
      if (reply.startsWith("-")) continue;
      // A bad key count: the proxy forwards it and the server refuses it.
      if (ours[0] === "<bad arguments>" && reply === "*0\r\n") continue;
      const theirs = parseBulkArray(reply);
      checked++;
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
        wrong.push(
          `${words.join(" ")}: proxy ${JSON.stringify(ours)} redis ${JSON.stringify(theirs)}`,
        );
      }
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked > 300, `${checked} commands checked`);
});

function parseBulkArray(reply: string): string[] {
  const out: string[] = [];
  const m = /^\*(\d+)\r\n/.exec(reply);
  assert.ok(m !== null, reply);
  let pos = m[0].length;
  for (let i = 0; i < Number(m[1]); i++) {
    const h = /^\$(\d+)\r\n/.exec(reply.slice(pos))!;
    pos += h[0].length;
    out.push(reply.slice(pos, pos + Number(h[1])));
    pos += Number(h[1]) + 2;
  }
  return out;
}

for (const resp of [2, 3] as const) {
  Deno.test(
    `every served command replies through a 3-server pool byte for byte as straight from redis${
      resp === 3 ? ", with HELLO 3 on both sides" : ""
    }`,
    async () => {
      await using env = await setUp();
      const { backends, direct, proxy } = env;
      for (const port of [...backends.ports, direct.port]) {
        await using c = await RawClient.connect(port);
        assert.equal(await call(c, "function", "load", LIBRARY), bulk("nutlib"));
      }
      const ports = backends.ports;
      const differences: string[] = [];
      const names = Object.keys(SAMPLES);
      // RESP3: one at a time and pipelined (inline requests are no different in RESP3).
      const modes = resp === 2
        ? ["resp", "inline", "pipeline"] as const
        : ["resp", "pipeline"] as const;
      for (const mode of modes) {
        const batches: { name: string; cmds: string[][] }[] = [];
        for (const [i, name] of names.entries()) {
          // {T}, {U}, {V} on three different servers; {T} moves round the servers.
          const tags = {
            T: tagOn(proxy, ports[i % 3]!, `t${mode}${i}.`),
            U: tagOn(proxy, ports[(i + 1) % 3]!, `u${mode}${i}.`),
            V: tagOn(proxy, ports[(i + 2) % 3]!, `v${mode}${i}.`),
          };
          let cmds = parseSample(SAMPLES[name]!, tags);
          if (mode === "pipeline") {
            // $DUMP needs the previous reply: not in the pipeline.
            if (cmds.some((c) => c.includes("$DUMP"))) continue;
            // Upper case names and keywords (and some values: the same both ways).
            cmds = cmds.map((c) => c.map((w) => /^[a-z]+$/.test(w) ? w.toUpperCase() : w));
          }
          batches.push({ name, cmds });
        }
        const compare = (name: string, cmds: string[][], via: string[], straight: string[]) => {
          const norm = NORMALIZE[name] ?? ((r: string) => r);
          for (const [j, args] of cmds.entries()) {
            const a = norm(via[j]!);
            const b = norm(straight[j]!);
            if (a !== b) {
              differences.push(
                `${mode} ${name}: ${args.join(" ")}\n  proxy  ${JSON.stringify(a)}\n  direct ${
                  JSON.stringify(b)
                }`,
              );
            }
            if (/^-ERR (unsupported|keys in)/.test(a)) {
              differences.push(`${mode} ${name}: refused ${a}`);
            }
          }
        };
        if (mode === "pipeline") {
          const all = batches.flatMap((b) => b.cmds);
          const via = await runOn(proxy.port, all, "pipeline", resp);
          const straight = await runOn(direct.port, all, "resp", resp);
          let at = 0;
          for (const b of batches) {
            compare(b.name, b.cmds, via.slice(at), straight.slice(at));
            at += b.cmds.length;
          }
        } else {
          for (const b of batches) {
            compare(
              b.name,
              b.cmds,
              await runOn(proxy.port, b.cmds, mode, resp),
              await runOn(direct.port, b.cmds, "resp", resp),
            );
          }
        }
      }
      assert.deepEqual(differences, []);
    },
  );
}

Deno.test("local commands reply as redis-server does, where the proxy has nothing of its own to say", async () => {
  await using env = await setUp();
  const same = [
    "ping",
    "ping hello",
    "echo hello",
    'echo ""',
    "select 0",
    "client getname",
    "command info nosuch",
    "client setname nut",
    "client getname",
    'client setname ""',
    "client getname",
    'client setname "a b"',
    "auth pw",
    "auth default pw",
    "hello 2 foo",
    "hello x",
    "hello 4",
    "select x",
    "ping a b",
    "client",
    "client nosuch",
    "command nosuch",
    "foo bar",
    "reset",
  ];
  const cmds = same.map((s) => parseSample(s, { T: "", U: "", V: "" })[0]!);
  for (const resp of [2, 3] as const) {
    // RESP3: from HELLO 3 on; RESET at the end goes back to RESP2 on both.
    const via = await runOn(env.proxy.port, cmds, "resp", resp);
    const straight = await runOn(env.direct.port, cmds, "resp", resp);
    assert.deepEqual(
      cmds.map((c, i) => `RESP${resp} ${c.join(" ")} -> ${via[i]}`),
      cmds.map((c, i) => `RESP${resp} ${c.join(" ")} -> ${straight[i]}`),
    );
  }
  // Where the proxy has its own answer.
  await using c = await RawClient.connect(env.proxy.port);
  const hello = await call(c, "hello", "2");
  assert.match(hello, /^\*14\r\n\$6\r\nserver\r\n\$6\r\nnutmeg\r\n/);
  assert.match(hello, /\$5\r\nproto\r\n:2\r\n/);
  assert.match(
    await call(c, "hello", "3"),
    /^%7\r\n\$6\r\nserver\r\n\$6\r\nnutmeg\r\n.*\$5\r\nproto\r\n:3\r\n/s,
  );
  assert.equal(await call(c, "hello", "2").then((h) => h.slice(0, 5)), "*14\r\n");
  assert.equal(
    await call(c, "select", "1"),
    "-ERR SELECT is not allowed through the proxy: only db 0 is served\r\n",
  );
  assert.match(await call(c, "client", "id"), /^:\d+\r\n$/);
  assert.match(await call(c, "command", "count"), /^:\d+\r\n$/);
  assert.equal(await call(c, "quit"), "+OK\r\n");
  assert.ok(await c.closedWithin(2000), "QUIT closes");
});

// ---------------------------------------------------------------------------
// Unsupported commands
// ---------------------------------------------------------------------------

Deno.test("every unsupported command gets the error, never reaches a backend, and the connection stays usable", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  for (const port of backends.ports) {
    await using d = await RawClient.connect(port);
    assert.equal(await call(d, "config", "resetstat"), "+OK\r\n");
  }
  const specOfRow = (name: string) => ALL_SPECS.find((s) => s.name === name)!;
  const rows = COMMANDS.filter((r) => specOfRow(r[0]).kind === "unsupported");
  assert.ok(rows.length > 100);
  const refusal = (name: string) => {
    const why = specOfRow(name).why;
    return `-ERR unsupported command '${name}'${why === null ? "" : `: ${why}`}\r\n`;
  };
  assert.match(refusal("client|tracking"), /push messages/);
  const cmds = rows.map(([name, arity]) => {
    const words = name.split("|");
    while (words.length < Math.abs(arity)) words.push("{x}k");
    return words;
  });
  await using c = await RawClient.connect(proxy.port);
  // One at a time, then all in one write.
  for (const [i, words] of cmds.entries()) {
    assert.equal(await call(c, ...words), refusal(rows[i]![0]));
  }
  const all = await exchange(c, concat([...cmds.map(request), request(["ping"])]), cmds.length + 1);
  assert.deepEqual(all, [
    ...rows.map((r) => refusal(r[0])),
    "+PONG\r\n",
  ]);
  // Inline too.
  assert.equal(
    (await exchange(c, bytes("keys *\r\nflushall\r\nget {x}k\r\n"), 3)).join(""),
    "-ERR unsupported command 'keys'\r\n-ERR unsupported command 'flushall'\r\n$-1\r\n",
  );
  // Nothing of it reached a backend: only GET did.
  for (const port of backends.ports) {
    await using d = await RawClient.connect(port);
    const stats = bulkPayload(await call(d, "info", "commandstats"));
    const seen = [...stats.matchAll(/^cmdstat_([^:]+):/gm)].map((m) => m[1]!);
    assert.deepEqual(
      seen.filter((n) => !["get", "info", "config|resetstat", "ping"].includes(n)),
      [],
      `commands seen by the backend on port ${port}`,
    );
  }
});

// ---------------------------------------------------------------------------
// Multi-key commands
// ---------------------------------------------------------------------------

Deno.test("multi-key commands split over three servers and merge in key order", async () => {
  await using env = await setUp();
  const { backends, direct, proxy } = env;
  const [p0, p1, p2] = backends.ports as [number, number, number];
  const a = `${tagOn(proxy, p0, "a")}k`;
  const b = `${tagOn(proxy, p1, "b")}k`;
  const c = `${tagOn(proxy, p2, "c")}k`;
  const none = `${tagOn(proxy, p1, "n")}none`;
  const steps: [string[], string][] = [
    [["mset", a, "1", b, "2", c, "3", a, "4"], "+OK\r\n"],
    [["mget", c, none, a, b, a, c, none], bulks("3", null, "4", "2", "4", "3", null)],
    [["exists", a, b, none, a, c, a], ":5\r\n"],
    [["touch", c, c, none, b], ":3\r\n"],
    [["del", a, none, a, b], ":2\r\n"],
    [["mget", a, b, c], bulks(null, null, "3")],
    [["mset", a, "x", b, "y"], "+OK\r\n"],
    [["unlink", b, c, a, b, none], ":3\r\n"],
    [["mget", a, b, c, none], bulks(null, null, null, null)],
    [["del", none, none], ":0\r\n"],
  ];
  const cmds = steps.map((s) => s[0]);
  assert.deepEqual(await runOn(proxy.port, cmds, "resp"), steps.map((s) => s[1]));
  assert.deepEqual(await runOn(direct.port, cmds, "resp"), steps.map((s) => s[1]));
  // Each key is stored on its own server only.
  await runOn(proxy.port, [["mset", a, "A", b, "B", c, "C"]], "resp");
  for (const [port, key, value] of [[p0, a, "A"], [p1, b, "B"], [p2, c, "C"]] as const) {
    await using d = await RawClient.connect(port);
    assert.equal(
      await call(d, "mget", a, b, c),
      bulks(...[a, b, c].map((k) => k === key ? value : null)),
    );
    assert.equal(await call(d, "get", key), bulk(value));
  }
  // A wrong type in one part: MGET gives nil for it, as Redis does.
  await runOn(proxy.port, [["del", b], ["rpush", b, "x"]], "resp");
  assert.deepEqual(await runOn(proxy.port, [["mget", a, b, c]], "resp"), [bulks("A", null, "C")]);
});

Deno.test("EVAL: keys on one server run, keys on different servers are refused, the connection stays usable", async () => {
  await using env = await setUp();
  const { backends, proxy } = env;
  const [p0, p1] = backends.ports as [number, number];
  const t = tagOn(proxy, p0, "t");
  const u = tagOn(proxy, p1, "u");
  await using c = await RawClient.connect(proxy.port);
  const script =
    "return {KEYS[1], KEYS[2], redis.call('incr', KEYS[1]), redis.call('incr', KEYS[2])}";
  assert.equal(
    await call(c, "eval", script, "2", `${t}a`, `${t}b`),
    `*4\r\n${bulk(`${t}a`)}${bulk(`${t}b`)}:1\r\n:1\r\n`,
  );
  const refused = (name: string) =>
    `-ERR keys in '${name}' command map to different servers; give them a common hash tag (e.g. {t}a and {t}b with hash_tag "{}") to keep them on one server\r\n`;
  assert.equal(await call(c, "eval", script, "2", `${t}a`, `${u}b`), refused("eval"));
  assert.equal(await call(c, "eval_ro", "return 1", "2", `${u}a`, `${t}b`), refused("eval_ro"));
  assert.equal(await call(c, "script", "load", script), bulk(await sha1(script)));
  assert.equal(
    await call(c, "evalsha", await sha1(script), "2", `${t}a`, `${u}b`),
    refused("evalsha"),
  );
  assert.equal(
    await call(c, "evalsha", await sha1(script), "2", `${u}a`, `${u}b`),
    `*4\r\n${bulk(`${u}a`)}${bulk(`${u}b`)}:1\r\n:1\r\n`,
  );
  assert.equal(await call(c, "rename", `${t}a`, `${u}a`), refused("rename"));
  assert.equal(await call(c, "sunion", `${t}a`, `${t}b`, `${u}a`), refused("sunion"));
  // No keys: nothing to route by.
  assert.equal(
    await call(c, "eval", "return 1", "0"),
    "-ERR 'eval' with no keys is not supported by the proxy: scripts are routed by their keys, pass at least one\r\n",
  );
  // A bad key count goes to a server, which says what is wrong.
  assert.equal(
    await call(c, "eval", "return 1", "3", `${t}a`),
    "-ERR Number of keys can't be greater than number of args\r\n",
  );
  assert.equal(
    await call(c, "eval", "return 1", "-1", `${t}a`),
    "-ERR Number of keys can't be negative\r\n",
  );
  assert.equal(
    await call(c, "eval", "return 1", "x", `${t}a`),
    "-ERR value is not an integer or out of range\r\n",
  );
  // Nothing ran for the refused ones; the connection is fine.
  assert.equal(
    await call(c, "mget", `${t}a`, `${t}b`, `${u}a`, `${u}b`),
    bulks("1", "1", "1", "1"),
  );
  assert.equal(await call(c, "ping"), "+PONG\r\n");
});

Deno.test("MGET of 10,000 keys through the proxy returns the 10,000 values in order", async () => {
  await using backends = await startRedises(3);
  await using proxy = await startProxy(pool(backends.ports));
  await using c = await RawClient.connect(proxy.port);
  const n = 10_000;
  const keys = Array.from({ length: n }, (_, i) => `big:${i}`);
  const mset = ["mset"];
  for (const [i, k] of keys.entries()) mset.push(k, `value-${i}`);
  assert.equal(await call(c, ...mset), "+OK\r\n");
  // Every server holds some of them.
  for (const port of backends.ports) {
    await using d = await RawClient.connect(port);
    assert.match(await call(d, "dbsize"), /^:[1-9]\d*\r\n$/);
  }
  const [reply] = await exchange(c, request(["mget", ...keys]), 1, 60_000);
  assert.equal(reply, bulks(...keys.map((_, i) => `value-${i}`)));
  // Reversed, with missing and repeated keys.
  const mixed = [...keys].reverse().flatMap((k, i) => i % 1000 === 0 ? [k, "big:none", k] : [k]);
  const [again] = await exchange(c, request(["mget", ...mixed]), 1, 60_000);
  assert.equal(
    again,
    bulks(...mixed.map((k) => k === "big:none" ? null : `value-${k.slice(4)}`)),
  );
  assert.equal(await call(c, "del", ...keys, ...keys.slice(0, 100)), `:${n}\r\n`);
});

/** A seeded pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random mix of forwarded, split, together and local commands on keys of client `id`. */
function randomCommands(proxy: TestProxy, ports: number[], id: number, n: number): string[][] {
  const rnd = random(id + 1);
  const tags = ports.map((p, i) => tagOn(proxy, p, `c${id}s${i}.`));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const key = () => `${pick(tags)}k${Math.floor(rnd() * 8)}`;
  const keys = (m: number) => Array.from({ length: m }, key);
  const tagged = (m: number) => {
    const t = pick(tags);
    return Array.from({ length: m }, () => `${t}k${Math.floor(rnd() * 8)}`);
  };
  const value = () => pick(["", "v", "1", "x\r\ny", "a".repeat(Math.floor(rnd() * 1500))]);
  const make: (() => string[])[] = [
    () => ["set", key(), value()],
    () => ["get", key()],
    () => ["mget", ...keys(1 + Math.floor(rnd() * 12))],
    () => ["mset", ...keys(1 + Math.floor(rnd() * 6)).flatMap((k) => [k, value()])],
    () => ["del", ...keys(1 + Math.floor(rnd() * 5))],
    () => ["exists", ...keys(1 + Math.floor(rnd() * 5))],
    () => ["touch", ...keys(1 + Math.floor(rnd() * 3))],
    () => ["unlink", ...keys(1 + Math.floor(rnd() * 3))],
    () => ["incr", key()],
    () => ["append", key(), value()],
    () => ["rpush", key(), value(), value()],
    () => ["lrange", key(), "0", "-1"],
    () => ["sadd", key(), "m"],
    () => ["hset", key(), "f", value()],
    () => ["hgetall", key()],
    () => ["getdel", key()],
    () => ["rename", ...tagged(2)],
    () => ["sunionstore", ...tagged(3)],
    () => ["eval", "return {KEYS[1], redis.call('exists', KEYS[2])}", "2", ...tagged(2)],
    () => ["ping", value()],
    () => ["echo", value()],
    () => ["nosuchcommand", key()],
    () => ["keys", "*"],
    () => ["get"],
  ];
  return Array.from({ length: n }, () => pick(make)());
}

Deno.test("40 clients pipelining random mixes of 300 commands each get redis-server's replies, while others hang up mid-pipeline", async () => {
  await using env = await setUp();
  const { backends, direct, proxy } = env;
  const clients = 40;
  const per = 300;
  const work = Array.from(
    { length: clients },
    (_, id) => randomCommands(proxy, backends.ports, id, per),
  );
  // Clients that send big split requests and close without reading.
  const vandals = Array.from({ length: 10 }, async (_, v) => {
    for (let round = 0; round < 5; round++) {
      const c = await RawClient.connect(proxy.port);
      const keys = Array.from({ length: 200 }, (_, i) => `{v${v}.${i % 17}}k${i}`);
      await c.send(
        concat([
          request(["mset", ...keys.flatMap((k) => [k, "x".repeat(100)])]),
          ...Array.from({ length: 10 }, () => request(["mget", ...keys])),
        ]),
      );
      await c.close();
    }
  });
  const via = await Promise.all(work.map((cmds) => runOn(proxy.port, cmds, "pipeline")));
  await Promise.all(vandals);
  const check = async (id: number, cmds: string[][], got: string[]) => {
    const want = await runOn(direct.port, cmds, "resp");
    for (const [i, args] of cmds.entries()) {
      // KEYS is refused by the proxy by design.
      if (args[0] === "keys") assert.equal(got[i], "-ERR unsupported command 'keys'\r\n");
      else {assert.equal(
          got[i],
          want[i],
          `client ${id} command ${i}: ${args.join(" ").slice(0, 200)}`,
        );}
    }
  };
  for (const [id, cmds] of work.entries()) await check(id, cmds, via[id]!);
  // Still in step afterwards: one more client, alone.
  const last = randomCommands(proxy, backends.ports, clients, per);
  await check(clients, last, await runOn(proxy.port, last, "pipeline"));
});

// ---------------------------------------------------------------------------
// Bad inputs (shared/reference/bad-inputs.md, Redis part), sent raw
// ---------------------------------------------------------------------------

interface RawCase {
  /** What is sent, in one write. */
  readonly send: string;
  /** The exact bytes the proxy replies. */
  readonly reply: string;
  /** Whether the proxy then closes the connection. */
  readonly closes: boolean;
  /** Why redis-server answers differently, when it does. */
  readonly unlikeRedis?: string;
}

const WRONG_GET = "-ERR wrong number of arguments for 'get' command\r\n";
const BAD_MULTIBULK = "-ERR Protocol error: invalid multibulk length\r\n";
const BAD_BULK = "-ERR Protocol error: invalid bulk length\r\n";

const RAW_CASES: readonly RawCase[] = [
  {
    send: "*3\r\n$3\r\nfoo\r\n$3\r\na\rb\r\n$3\r\nc\nd\r\n",
    reply: "-ERR unknown command 'foo', with args beginning with: 'a b' 'c d' \r\n",
    closes: false,
  },
  {
    send: `foo ${"x".repeat(200)} y\r\n`,
    reply: `-ERR unknown command 'foo', with args beginning with: '${"x".repeat(128)}' \r\n`,
    closes: false,
  },
  { send: "*1\r\n$3\r\nGET\r\n", reply: WRONG_GET, closes: false },
  { send: "*3\r\n$3\r\nget\r\n$1\r\na\r\n$1\r\nb\r\n", reply: WRONG_GET, closes: false },
  {
    send: "CLIENT\r\n",
    reply: "-ERR wrong number of arguments for 'client' command\r\n",
    closes: false,
  },
  {
    send: "client nosuch x\r\n",
    reply: "-ERR unknown subcommand 'nosuch'. Try CLIENT HELP.\r\n",
    closes: false,
  },
  // Framing errors: the reply, then the connection closes.
  { send: "*3000000000\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*2147483648\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*18446744073709551617\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*-18446744073709551617\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*+1\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*01\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*1x\r\n", reply: BAD_MULTIBULK, closes: true },
  { send: "*1\r\n$-10\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\n$-1\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\n$2000000000\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\n$18446744073709551617\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\n$abc\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\n$01\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\n$\r\n", reply: BAD_BULK, closes: true },
  { send: "*1\r\nfoo\r\n", reply: "-ERR Protocol error: expected '$', got 'f'\r\n", closes: true },
  {
    send: "*2\r\n$4\r\nPING\r\n\r\n",
    reply: "-ERR Protocol error: expected '$', got ' '\r\n",
    closes: true,
  },
  {
    send: '"unbalanced\r\n',
    reply: "-ERR Protocol error: unbalanced quotes in request\r\n",
    closes: true,
  },
  {
    send: 'get "a"b\r\n',
    reply: "-ERR Protocol error: unbalanced quotes in request\r\n",
    closes: true,
  },
  // Empty requests are ignored.
  { send: "*-1\r\n*0\r\n\r\n\n   \r\nPING\r\n", reply: "+PONG\r\n", closes: false },
  // Inline commands, CRLF or a lone LF.
  { send: "PING\r\nPING\nping hi\n", reply: "+PONG\r\n+PONG\r\n$2\r\nhi\r\n", closes: false },
  {
    send: 'SET "{i}a b" "x\\r\\ny"\r\nGET "{i}a b"\r\n',
    reply: "+OK\r\n$4\r\nx\r\ny\r\n",
    closes: false,
  },
  // A line of 64 KiB and more without a newline.
  {
    send: "a".repeat(65535) + "\r\n",
    reply: `-ERR unknown command '${"a".repeat(128)}', with args beginning with: \r\n`,
    closes: false,
  },
  {
    send: "a".repeat(70000),
    reply: "-ERR Protocol error: too big inline request\r\n",
    closes: true,
  },
  {
    send: "*" + "1".repeat(70000),
    reply: BAD_MULTIBULK,
    closes: true,
    unlikeRedis: "redis waits for 64 KiB and says 'too big mbulk count string'; the proxy fails " +
      "as soon as the count cannot be valid, with the reply Redis gives once the line ends",
  },
  {
    send: "*1\r\n$" + "1".repeat(70000),
    reply: BAD_BULK,
    closes: true,
    unlikeRedis: "redis waits for 64 KiB and says 'too big bulk count string'",
  },
  // Replies owed are sent before a framing error closes the connection, and QUIT.
  {
    send: "MSET {a}1 x {b}1 y\r\nMGET {a}1 {b}1\r\n*1\r\n$abc\r\nPING\r\n",
    reply: "+OK\r\n" + bulks("x", "y") + BAD_BULK,
    closes: true,
  },
  {
    send: "MGET {a}1 {b}1\r\nQUIT\r\nGET {a}1\r\n",
    reply: bulks("x", "y") + "+OK\r\n",
    closes: true,
  },
  // A NUL in an inline line ends the arguments, as in sdssplitargs.
  {
    send: "ECHO a\0b\r\n",
    reply: "$1\r\na\r\n",
    closes: false,
    unlikeRedis: "redis looks for the newline with strchr, which stops at the NUL: it waits",
  },
  // Something that looks like HTTP: redis-server closes at a POST or Host:
  // line, and answers a request line alone as an inline GET.
  { send: "GET / HTTP/1.1\r\n", reply: WRONG_GET, closes: false },
  { send: "POST / HTTP/1.1\r\n", reply: "", closes: true },
  { send: "*1\r\n$4\r\nPOST\r\n", reply: "", closes: true },
  {
    send: "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
    reply: WRONG_GET,
    closes: true,
    unlikeRedis: "redis drops the reply to the GET line when Host: arrives in the same read; " +
      "the proxy replies first, then closes",
  },
  // twemproxy's regressions: bare GET, odd MSET, tagged MGET.
  { send: "get \r\n", reply: WRONG_GET, closes: false },
  {
    send: "*2\r\n$4\r\nmset\r\n$1\r\na\r\n",
    reply: "-ERR wrong number of arguments for 'mset' command\r\n",
    closes: false,
  },
  {
    send: "*4\r\n$4\r\nmset\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n",
    reply: "-ERR wrong number of arguments for 'mset' command\r\n",
    closes: false,
  },
  {
    send: "MSET {a}1 x {b}1 y\r\nMGET {a}1 {b}1\r\nDEL {a}1 {b}1\r\n",
    reply: "+OK\r\n" + bulks("x", "y") + ":2\r\n",
    closes: false,
  },
  // Script replies: nesting 20 deep, statuses and errors without a space.
  {
    send: "EVAL \"local t = {'leaf'} for i = 1, 19 do t = {t} end return t\" 1 {n}k\r\n",
    reply: "*1\r\n".repeat(19) + "*1\r\n$4\r\nleaf\r\n",
    closes: false,
  },
  {
    send: "EVAL \"return {{ok='OK'}, {err='NOSPACE'}, redis.status_reply('A'), " +
      "redis.error_reply('B'), 1}\" 1 {n}k\r\n",
    reply: "*5\r\n+OK\r\n-NOSPACE\r\n+A\r\n-ERR B\r\n:1\r\n",
    closes: false,
  },
  { send: "EVAL \"return redis.status_reply('B')\" 1 {n}k\r\n", reply: "+B\r\n", closes: false },
  { send: "EVAL \"return {err='X'}\" 1 {n}k\r\n", reply: "-X\r\n", closes: false },
];

/**
 * Sends `data` on a new connection, followed by a PING when the connection
 * is to stay open; returns the bytes received before the PING's reply and
 * whether the connection closed.
 */
async function rawExchange(port: number, data: string, expect: string, closes: boolean) {
  await using c = await RawClient.connect(port);
  if (closes) {
    await c.send(bytes(data));
    const closed = await c.closedWithin(2000);
    return [text(c.buffered), closed] as const;
  }
  await c.send(bytes(data + "PING\r\n"));
  const want = expect.length + "+PONG\r\n".length;
  try {
    const got = text(await c.readUntil((b) => b.length >= want ? b.length : 0, 2000));
    return [got.endsWith("+PONG\r\n") ? got.slice(0, -7) : got, false] as const;
  } catch {
    return [text(c.buffered), c.eof] as const;
  }
}

Deno.test("bad inputs sent raw get redis-server's exact replies; the connection closes only on framing errors", async () => {
  await using env = await setUp();
  const { direct, proxy } = env;
  const wrong: string[] = [];
  for (const k of RAW_CASES) {
    const label = JSON.stringify(k.send.length > 60 ? k.send.slice(0, 60) + "..." : k.send);
    const [reply, closed] = await rawExchange(proxy.port, k.send, k.reply, k.closes);
    if (reply !== k.reply || closed !== k.closes) {
      wrong.push(`${label}: proxy ${JSON.stringify(reply)} closed=${closed}`);
    }
    if (k.unlikeRedis === undefined) {
      const [r2, c2] = await rawExchange(direct.port, k.send, k.reply, k.closes);
      if (r2 !== k.reply || c2 !== k.closes) {
        wrong.push(`${label}: redis-server ${JSON.stringify(r2)} closed=${c2}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("key and value lengths around every multiple of a 512-byte read chunk round-trip", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(pool(backends.ports), 512);
  await using direct = await startRedis();
  const cmds: string[][] = [];
  for (let n = 1; n <= 2100; n += 13) {
    cmds.push(["set", `{c}${"k".repeat(n % 700)}`, "v".repeat(n)]);
    cmds.push(["get", `{c}${"k".repeat(n % 700)}`]);
    cmds.push(["mget", `{c}${"k".repeat(n % 700)}`, `{d}${n}`]);
  }
  assert.deepEqual(
    await runOn(proxy.port, cmds, "pipeline"),
    await runOn(direct.port, cmds, "resp"),
  );
  assert.deepEqual(await runOn(proxy.port, cmds, "resp"), await runOn(direct.port, cmds, "resp"));
});

// ---------------------------------------------------------------------------
// AUTH and redis_db
// ---------------------------------------------------------------------------

Deno.test("AUTH and redis_db 3: NOAUTH, WRONGPASS, then keys land in db 3 of password-protected backends", async () => {
  const pass = ["--requirepass", "backendpw"];
  const backends = await Promise.all([startRedis(undefined, pass), startRedis(undefined, pass)]);
  await using _b = {
    [Symbol.asyncDispose]: () => Promise.all(backends.map((b) => b.stop())).then(() => {}),
  };
  await using direct = await startRedis(undefined, pass);
  await using proxy = await startProxy(
    pool(backends.map((b) => b.port), "  redis_auth: backendpw\n  redis_db: 3\n"),
  );
  const NOAUTH = "-NOAUTH Authentication required.\r\n";
  const WRONGPASS = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
  // Before AUTH: the same replies as a redis-server with requirepass.
  const before: string[][] = [
    ["get", "k"],
    ["ping"],
    ["mget", "a", "b"],
    ["keys", "*"],
    ["auth", "wrong"],
    ["auth", "default", "wrong"],
    ["auth", "nouser", "backendpw"],
    ["hello", "2"],
    ["hello", "2", "auth", "default", "wrong"],
    ["get", "k"],
  ];
  const expected = [NOAUTH, NOAUTH, NOAUTH, NOAUTH, WRONGPASS, WRONGPASS, WRONGPASS];
  const via = await runOn(proxy.port, before, "resp");
  assert.deepEqual(via.slice(0, 7), expected);
  assert.match(via[7]!, /^-NOAUTH HELLO must be called with the client already authenticated/);
  assert.deepEqual(via.slice(8), [WRONGPASS, NOAUTH]);
  assert.deepEqual(via, await runOn(direct.port, before, "resp"));
  // Unauthenticated clients may not send large requests.
  for (
    const [send, reply] of [
      ["*11\r\n", "-ERR Protocol error: unauthenticated multibulk length\r\n"],
      ["*2\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length\r\n"],
    ]
  ) {
    assert.deepEqual(await rawExchange(proxy.port, send!, reply!, true), [reply, true]);
    assert.deepEqual(await rawExchange(direct.port, send!, reply!, true), [reply, true]);
  }
  // Then everything works.
  await using c = await RawClient.connect(proxy.port);
  assert.equal(await call(c, "auth", "backendpw"), "+OK\r\n");
  const keys = Array.from({ length: 20 }, (_, i) => `db3:${i}`);
  assert.equal(await call(c, "mset", ...keys.flatMap((k, i) => [k, `v${i}`])), "+OK\r\n");
  assert.equal(await call(c, "get", keys[0]!), bulk("v0"));
  assert.equal(await call(c, "mget", ...keys), bulks(...keys.map((_, i) => `v${i}`)));
  assert.equal(await call(c, "select", "0"), "+OK\r\n");
  assert.equal(await call(c, "select", "3"), "+OK\r\n");
  assert.equal(
    await call(c, "select", "4"),
    "-ERR SELECT is not allowed through the proxy: only db 0 is served (redis_db 3 on the servers)\r\n",
  );
  assert.equal(await call(c, "set", "x".repeat(20000), "big"), "+OK\r\n");
  // COPY may not write into another database of the servers either.
  assert.equal(
    await call(c, "copy", keys[0]!, keys[0]!, "db", "0"),
    "-ERR COPY to another database is not allowed through the proxy: only db 0 is served (redis_db 3 on the servers)\r\n",
  );
  assert.equal(await call(c, "copy", "{c}a", "{c}b", "db", "3"), ":0\r\n");
  await using h = await RawClient.connect(proxy.port);
  assert.match(await call(h, "hello", "2", "auth", "default", "backendpw"), /^\*14\r\n/);
  assert.equal(await call(h, "get", keys[1]!), bulk("v1"));
  // The keys are in db 3 of the server that owns them, and nowhere else.
  let found = 0;
  for (const b of backends) {
    await using d = await RawClient.connect(b.port);
    assert.equal(await call(d, "auth", "backendpw"), "+OK\r\n");
    assert.equal(await call(d, "dbsize"), ":0\r\n", "db 0 is empty");
    assert.equal(await call(d, "select", "3"), "+OK\r\n");
    for (const k of keys) {
      const owned = ownerPort(proxy, k) === b.port;
      assert.equal(await call(d, "exists", k), owned ? ":1\r\n" : ":0\r\n", k);
      if (owned) found++;
    }
  }
  assert.equal(found, keys.length);
});
