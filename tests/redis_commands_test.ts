/**
 * End-to-end: every command the proxy forwards (single key, split, keys
 * that must live together, broadcast) gives through a 3-server pool the same
 * reply as the same commands sent straight to one redis-server.
 *
 * Each sample is a few commands on keys `{T}a`, `{T}b`, ... (`T` unique per
 * sample; the hash tag keeps a sample's keys on one server so "together"
 * commands are served); every reply is compared.
 */
import assert from "node:assert/strict";
import { COMMANDS } from "../lib/proto/redis/commands.ts";
import { RawClient, startRedis, startRedises } from "./_support/servers.ts";
import { serverLines, startProxy } from "./_support/proxy.ts";
import { cmd, decodeAll, replies, type Reply, ReplyError } from "./_support/resp.ts";

/** Samples per command: commands separated by `;`, words by spaces. */
const SAMPLES: Record<string, string> = {
  append: "append {T}a x; append {T}a yz",
  bitcount: "set {T}a foobar; bitcount {T}a; bitcount {T}a 1 1",
  bitfield: "bitfield {T}a incrby i5 100 1 get u4 0",
  bitfield_ro: "set {T}a hello; bitfield_ro {T}a get u8 0",
  bitpos: "set {T}a \xff\xf0\x00; bitpos {T}a 0",
  decr: "set {T}a 10; decr {T}a",
  decrby: "set {T}a 10; decrby {T}a 3",
  dump: "set {T}a v; dump {T}a",
  expire: "set {T}a v; expire {T}a 100; ttl {T}a",
  expireat: "set {T}a v; expireat {T}a 33177117420; ttl {T}a",
  expiretime: "set {T}a v; expireat {T}a 33177117420; expiretime {T}a",
  geoadd: "geoadd {T}a 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
  geodist: "geoadd {T}a 13.361389 38.115556 P 15.087269 37.502669 C; geodist {T}a P C km",
  geohash: "geoadd {T}a 13.361389 38.115556 P; geohash {T}a P",
  geopos: "geoadd {T}a 13.361389 38.115556 P; geopos {T}a P nope",
  georadius_ro: "geoadd {T}a 13.361389 38.115556 P; georadius_ro {T}a 15 37 200 km",
  georadiusbymember_ro:
    "geoadd {T}a 13.361389 38.115556 P 15.087269 37.502669 C; georadiusbymember_ro {T}a P 200 km",
  geosearch:
    "geoadd {T}a 13.361389 38.115556 P; geosearch {T}a fromlonlat 15 37 byradius 200 km asc",
  get: "set {T}a v; get {T}a; get {T}nope",
  getbit: "setbit {T}a 7 1; getbit {T}a 7; getbit {T}a 6",
  getdel: "set {T}a v; getdel {T}a; get {T}a",
  getex: "set {T}a v; getex {T}a ex 100; ttl {T}a",
  getrange: "set {T}a abcdef; getrange {T}a 1 3",
  getset: "set {T}a v; getset {T}a w; get {T}a",
  hdel: "hset {T}a f 1 g 2; hdel {T}a f nope",
  hexists: "hset {T}a f 1; hexists {T}a f; hexists {T}a g",
  hget: "hset {T}a f 1; hget {T}a f",
  hgetall: "hset {T}a f 1 g 2; hgetall {T}a",
  hincrby: "hincrby {T}a f 5; hincrby {T}a f -2",
  hincrbyfloat: "hincrbyfloat {T}a f 1.5",
  hkeys: "hset {T}a f 1 g 2; hkeys {T}a",
  hlen: "hset {T}a f 1 g 2; hlen {T}a",
  hmget: "hset {T}a f 1; hmget {T}a f nope",
  hmset: "hmset {T}a f 1 g 2; hget {T}a g",
  hrandfield: "hset {T}a f 1; hrandfield {T}a; hrandfield {T}a 1 withvalues",
  hscan: "hset {T}a f 1; hscan {T}a 0",
  hset: "hset {T}a f 1 g 2; hset {T}a f 3",
  hsetnx: "hsetnx {T}a f 1; hsetnx {T}a f 2",
  hstrlen: "hset {T}a f hello; hstrlen {T}a f",
  hvals: "hset {T}a f 1 g 2; hvals {T}a",
  incr: "incr {T}a; incr {T}a",
  incrby: "incrby {T}a 7",
  incrbyfloat: "incrbyfloat {T}a 2.5",
  lindex: "rpush {T}a x y z; lindex {T}a 1",
  linsert: "rpush {T}a x z; linsert {T}a before z y; lrange {T}a 0 -1",
  llen: "rpush {T}a x y; llen {T}a",
  lpop: "rpush {T}a x y z; lpop {T}a; lpop {T}a 2",
  lpos: "rpush {T}a x y x; lpos {T}a x rank 2",
  lpush: "lpush {T}a x y",
  lpushx: "lpushx {T}a x; lpush {T}a y; lpushx {T}a z",
  lrange: "rpush {T}a x y z; lrange {T}a 0 -1",
  lrem: "rpush {T}a x y x; lrem {T}a 0 x",
  lset: "rpush {T}a x y; lset {T}a 0 z; lrange {T}a 0 -1",
  ltrim: "rpush {T}a x y z; ltrim {T}a 1 -1; lrange {T}a 0 -1",
  "memory|usage": "set {T}a v; memory usage {T}a samples 0",
  "object|encoding": "set {T}a 12; object encoding {T}a",
  "object|freq": "set {T}a v; object freq {T}a",
  "object|idletime": "set {T}a v; object idletime {T}a",
  "object|refcount": "set {T}a v; object refcount {T}a",
  persist: "set {T}a v ex 100; persist {T}a; ttl {T}a",
  pexpire: "set {T}a v; pexpire {T}a 100000; pexpire {T}nope 1",
  pexpireat: "set {T}a v; pexpireat {T}a 33177117420000; ttl {T}a",
  pexpiretime: "set {T}a v; pexpireat {T}a 33177117420000; pexpiretime {T}a",
  pfadd: "pfadd {T}a x y z; pfadd {T}a x",
  psetex: "psetex {T}a 100000 v; get {T}a",
  pttl: "set {T}a v; pttl {T}a",
  restore: "set {T}s v; dump {T}s",
  rpop: "rpush {T}a x y z; rpop {T}a; rpop {T}a 2",
  rpush: "rpush {T}a x y",
  rpushx: "rpushx {T}a x; rpush {T}a y; rpushx {T}a z",
  sadd: "sadd {T}a x y x",
  scard: "sadd {T}a x y; scard {T}a",
  set: "set {T}a v; set {T}a w nx; set {T}a w xx get",
  setbit: "setbit {T}a 7 1; get {T}a",
  setex: "setex {T}a 100 v; get {T}a",
  setnx: "setnx {T}a v; setnx {T}a w",
  setrange: "set {T}a hello; setrange {T}a 1 EL; get {T}a",
  sismember: "sadd {T}a x; sismember {T}a x; sismember {T}a y",
  smembers: "sadd {T}a x; smembers {T}a",
  smismember: "sadd {T}a x; smismember {T}a x y",
  sort_ro: "rpush {T}a 3 1 2; sort_ro {T}a",
  spop: "sadd {T}a x; spop {T}a",
  srandmember: "sadd {T}a x; srandmember {T}a; srandmember {T}a 1",
  srem: "sadd {T}a x y; srem {T}a x nope",
  sscan: "sadd {T}a x; sscan {T}a 0",
  strlen: "set {T}a hello; strlen {T}a",
  substr: "set {T}a hello; substr {T}a 1 3",
  ttl: "set {T}a v; ttl {T}a; ttl {T}nope",
  type: "set {T}a v; rpush {T}b x; type {T}a; type {T}b; type {T}nope",
  xack: "xgroup create {T}a g $ mkstream; xadd {T}a 1-1 f v; xack {T}a g 1-1",
  xadd: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w",
  xautoclaim: "xgroup create {T}a g $ mkstream; xadd {T}a 1-1 f v; xautoclaim {T}a g d 0 0-0",
  xclaim: "xgroup create {T}a g $ mkstream; xadd {T}a 1-1 f v; xclaim {T}a g d 0 1-1 justid",
  xdel: "xadd {T}a 1-1 f v; xdel {T}a 1-1 1-2",
  "xgroup|create": "xgroup create {T}a g $ mkstream",
  "xgroup|createconsumer": "xgroup create {T}a g $ mkstream; xgroup createconsumer {T}a g c",
  "xgroup|delconsumer": "xgroup create {T}a g $ mkstream; xgroup delconsumer {T}a g c",
  "xgroup|destroy": "xgroup create {T}a g $ mkstream; xgroup destroy {T}a g",
  "xgroup|setid": "xgroup create {T}a g $ mkstream; xgroup setid {T}a g 0",
  "xinfo|consumers": "xgroup create {T}a g $ mkstream; xinfo consumers {T}a g",
  "xinfo|groups": "xgroup create {T}a g 0 mkstream; xadd {T}a 1-1 f v; xinfo groups {T}a",
  "xinfo|stream": "xadd {T}a 1-1 f v; xlen {T}a",
  xlen: "xadd {T}a 1-1 f v; xlen {T}a",
  xpending: "xgroup create {T}a g $ mkstream; xpending {T}a g",
  xrange: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xrange {T}a - +",
  xrevrange: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xrevrange {T}a + - count 1",
  xsetid: "xadd {T}a 1-1 f v; xsetid {T}a 5-0; xadd {T}a 4-0 f v",
  xtrim: "xadd {T}a 1-1 f v; xadd {T}a 1-2 f w; xtrim {T}a maxlen 1",
  zadd: "zadd {T}a 1 x 2 y; zadd {T}a xx ch 3 x",
  zcard: "zadd {T}a 1 x 2 y; zcard {T}a",
  zcount: "zadd {T}a 1 x 2 y; zcount {T}a 1 1",
  zincrby: "zincrby {T}a 2 x",
  zlexcount: "zadd {T}a 0 a 0 b 0 c; zlexcount {T}a [a (c",
  zmscore: "zadd {T}a 1 x; zmscore {T}a x nope",
  zpopmax: "zadd {T}a 1 x 2 y; zpopmax {T}a",
  zpopmin: "zadd {T}a 1 x 2 y; zpopmin {T}a 2",
  zrandmember: "zadd {T}a 1 x; zrandmember {T}a 1 withscores",
  zrange: "zadd {T}a 1 x 2 y; zrange {T}a 0 -1 withscores",
  zrangebylex: "zadd {T}a 0 a 0 b; zrangebylex {T}a - +",
  zrangebyscore: "zadd {T}a 1 x 2 y; zrangebyscore {T}a 1 2",
  zrank: "zadd {T}a 1 x 2 y; zrank {T}a y",
  zrem: "zadd {T}a 1 x 2 y; zrem {T}a x nope",
  zremrangebylex: "zadd {T}a 0 a 0 b 0 c; zremrangebylex {T}a [a [b",
  zremrangebyrank: "zadd {T}a 1 x 2 y; zremrangebyrank {T}a 0 0",
  zremrangebyscore: "zadd {T}a 1 x 2 y; zremrangebyscore {T}a 1 1",
  zrevrange: "zadd {T}a 1 x 2 y; zrevrange {T}a 0 -1",
  zrevrangebylex: "zadd {T}a 0 a 0 b; zrevrangebylex {T}a + -",
  zrevrangebyscore: "zadd {T}a 1 x 2 y; zrevrangebyscore {T}a 2 1",
  zrevrank: "zadd {T}a 1 x 2 y; zrevrank {T}a y",
  zscan: "zadd {T}a 1 x; zscan {T}a 0",
  zscore: "zadd {T}a 1.5 x; zscore {T}a x",
  // keys that must live together (one hash tag)
  bitop: "set {T}a ab; set {T}b cd; bitop xor {T}c {T}a {T}b; get {T}c",
  copy: "set {T}a v; copy {T}a {T}b; get {T}b",
  eval: "eval \"return redis.call('set',KEYS[1],ARGV[1])\" 1 {T}a v; get {T}a",
  eval_ro: "set {T}a v; eval_ro \"return redis.call('get',KEYS[1])\" 1 {T}a",
  evalsha: 'script load "return KEYS[1]"; evalsha 7a37ac2bf1d0e0ab3b0e6b8f34e4b5c4c1b9ab1c 1 {T}a',
  evalsha_ro:
    'script load "return KEYS[1]"; evalsha_ro 7a37ac2bf1d0e0ab3b0e6b8f34e4b5c4c1b9ab1c 1 {T}a',
  fcall: "fcall nofunction 1 {T}a",
  fcall_ro: "fcall_ro nofunction 1 {T}a",
  georadius:
    "geoadd {T}a 13.361389 38.115556 P; georadius {T}a 15 37 200 km store {T}b; zcard {T}b",
  georadiusbymember: "geoadd {T}a 13.361389 38.115556 P; georadiusbymember {T}a P 10 km",
  geosearchstore:
    "geoadd {T}a 13.361389 38.115556 P; geosearchstore {T}b {T}a fromlonlat 15 37 byradius 200 km",
  lcs: "set {T}a ohmytext; set {T}b mynewtext; lcs {T}a {T}b",
  lmove: "rpush {T}a x y; lmove {T}a {T}b left right; lrange {T}b 0 -1",
  lmpop: "rpush {T}b x y; lmpop 2 {T}a {T}b left count 1",
  msetnx: "msetnx {T}a 1 {T}b 2; msetnx {T}a 3 {T}c 4",
  pfcount: "pfadd {T}a x y; pfadd {T}b y z; pfcount {T}a {T}b",
  pfmerge: "pfadd {T}a x y; pfadd {T}b y z; pfmerge {T}c {T}a {T}b; pfcount {T}c",
  rename: "set {T}a v; rename {T}a {T}b; get {T}b",
  renamenx: "set {T}a v; set {T}b w; renamenx {T}a {T}b",
  rpoplpush: "rpush {T}a x y; rpoplpush {T}a {T}b; lrange {T}b 0 -1",
  sdiff: "sadd {T}a x y; sadd {T}b y; sdiff {T}a {T}b",
  sdiffstore: "sadd {T}a x y; sadd {T}b y; sdiffstore {T}c {T}a {T}b",
  sinter: "sadd {T}a x y; sadd {T}b y; sinter {T}a {T}b",
  sintercard: "sadd {T}a x y; sadd {T}b y; sintercard 2 {T}a {T}b",
  sinterstore: "sadd {T}a x y; sadd {T}b y; sinterstore {T}c {T}a {T}b",
  smove: "sadd {T}a x; smove {T}a {T}b x; smembers {T}b",
  sort: "rpush {T}a 3 1 2; sort {T}a store {T}b; lrange {T}b 0 -1",
  sunion: "sadd {T}a x; sadd {T}b y; scard {T}a; sunion {T}a {T}a",
  sunionstore: "sadd {T}a x; sadd {T}b y; sunionstore {T}c {T}a {T}b",
  zdiff: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zdiff 2 {T}a {T}b",
  zdiffstore: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zdiffstore {T}c 2 {T}a {T}b",
  zinter: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zinter 2 {T}a {T}b withscores",
  zintercard: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zintercard 2 {T}a {T}b",
  zinterstore: "zadd {T}a 1 x 2 y; zadd {T}b 1 y; zinterstore {T}c 2 {T}a {T}b",
  zmpop: "zadd {T}b 1 x; zmpop 2 {T}a {T}b min",
  zrangestore: "zadd {T}a 1 x 2 y; zrangestore {T}b {T}a 0 0; zrange {T}b 0 -1",
  zunion: "zadd {T}a 1 x; zadd {T}b 1 y; zunion 2 {T}a {T}b withscores",
  zunionstore: "zadd {T}a 1 x; zadd {T}b 1 y; zunionstore {T}c 2 {T}a {T}b",
  // split over servers
  del: "set {T}a 1; set {U}a 2; del {T}a {U}a {V}nope",
  exists: "set {T}a 1; set {U}a 2; exists {T}a {U}a {V}nope {T}a",
  mget: "set {T}a 1; set {U}a 2; mget {T}a {V}nope {U}a {T}a",
  mset: "mset {T}a 1 {U}a 2 {V}a 3; mget {V}a {U}a {T}a",
  touch: "set {T}a 1; set {U}a 2; touch {T}a {U}a {V}nope",
  unlink: "set {T}a 1; set {U}a 2; unlink {T}a {U}a {V}nope",
  // sent to every server
  dbsize: "set {T}a 1; set {U}b 2; dbsize",
  "script|exists":
    'script load "return 1"; script exists e0e1f9fabfc9d4800c877a703b823ac0578ff8db nope',
  "script|flush": "script flush",
  "script|load": 'script load "return 1"',
};

/** Splits a sample into commands and words, honouring double quotes. */
function commands(sample: string, id: number): string[][] {
  return sample.split(";").map((c) =>
    [...c.trim().matchAll(/"([^"]*)"|(\S+)/g)].map((m) =>
      (m[1] ?? m[2]!).replaceAll("{T}", `{t${id}}`).replaceAll("{U}", `{u${id}}`).replaceAll(
        "{V}",
        `{v${id}}`,
      )
    )
  );
}

/** Replies that legitimately differ between two servers (time, identity). */
function normalize(name: string, r: Reply): Reply {
  if (name === "object|idletime" || name === "object|freq") return typeof r;
  if (name === "memory|usage") return typeof r;
  if (name === "dump" || name === "restore") return typeof r;
  return r;
}

async function runAll(port: number, cmds: string[][]): Promise<Reply[]> {
  await using c = await RawClient.connect(port);
  const out: Reply[] = [];
  for (const args of cmds) {
    await c.send(cmd(...args));
    out.push(decodeAll(await c.readUntil(replies(1)))[0]!);
  }
  return out;
}

Deno.test("every forwarded, split, together and broadcast command has a sample", () => {
  const served = COMMANDS.filter((row) =>
    ["forward", "together", "split", "broadcast"].includes(row[2])
  )
    .map((row) => row[0]);
  const missing = served.filter((name) => !(name in SAMPLES));
  assert.deepEqual(missing, []);
});

Deno.test("every served command replies through a 3-server pool as straight from redis", async () => {
  await using backends = await startRedises(3);
  await using direct = await startRedis();
  await using proxy = startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  hash_tag: "{}"\n  servers:\n${
      serverLines(backends.ports)
    }\n`,
  );
  const names = Object.keys(SAMPLES);
  const differences: string[] = [];
  for (const [i, name] of names.entries()) {
    const cmds = commands(SAMPLES[name]!, i);
    // Broadcast commands see every server: start those from empty servers.
    if (name === "dbsize") {
      for (const port of [...backends.ports, direct.port]) await runAll(port, [["flushall"]]);
    }
    const viaProxy = (await runAll(proxy.port, cmds)).map((r) => normalize(name, r));
    const straight = (await runAll(direct.port, cmds)).map((r) => normalize(name, r));
    try {
      assert.deepEqual(viaProxy, straight);
    } catch {
      differences.push(
        `${name}: proxy ${JSON.stringify(viaProxy)} direct ${JSON.stringify(straight)}`,
      );
    }
    for (const r of viaProxy) {
      if (r instanceof ReplyError && /unsupported|different servers/.test(r.message)) {
        differences.push(`${name}: refused by the proxy: ${r.message}`);
      }
    }
  }
  assert.deepEqual(differences, []);
});
