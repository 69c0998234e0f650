/**
 * Records what a real redis-server answers, as the fixture the tests check
 * the proxy against (`lib/proto/redis/testdata/redis_<version>_replies.json`):
 *
 * - `requests`: client bytes sent on a fresh connection (framing errors,
 *   unknown commands, arity, AUTH, HELLO, ...) and the bytes the server
 *   replied, and whether it closed the connection;
 * - `responses`: raw replies of many shapes (RESP2, and RESP3 after HELLO
 *   3, including every `DEBUG PROTOCOL` type) for the response parser.
 *
 * ```sh
 * deno run -A tools/capture_redis_replies.ts
 * ```
 *
 * It starts its own redis-server instances on free loopback ports.
 *
 * @module
 */
import { bytesOf, latin1 } from "../tests/_support/bytes.ts";
import { Connection, redisVersion } from "../tests/_support/redis_connection.ts";
import {
  pack,
  PASSWORD,
  type RecordedRequest,
  type RecordedResponse,
  type ReplyFixture,
  type RequestCase,
  type ResponseCase,
} from "../tests/_support/redis_fixture.ts";
import { cmd } from "../tests/_support/resp.ts";
import { startRedis } from "../tests/_support/servers.ts";

const long = "x".repeat(200);

const REQUESTS: readonly RequestCase[] = [
  // Framing.
  { name: "multibulk count not a number", server: "plain", send: "*abc\r\n" },
  { name: "multibulk count above INT_MAX", server: "plain", send: "*3000000000\r\n" },
  { name: "multibulk count INT_MAX waits", server: "plain", send: "*2147483647\r\n" },
  { name: "multibulk count leading zero", server: "plain", send: "*01\r\n$4\r\nPING\r\n" },
  { name: "multibulk count minus zero", server: "plain", send: "*-0\r\n" },
  { name: "multibulk count empty", server: "plain", send: "*\r\n" },
  { name: "multibulk count plus sign", server: "plain", send: "*+1\r\n$4\r\nPING\r\n" },
  { name: "multibulk negative count ignored", server: "plain", send: "*-10\r\nPING\r\n" },
  { name: "multibulk -1 and 0 ignored", server: "plain", send: "*-1\r\n*0\r\nPING\r\n" },
  { name: "bulk length -10", server: "plain", send: "*1\r\n$-10\r\n" },
  { name: "bulk length -1", server: "plain", send: "*1\r\n$-1\r\n" },
  { name: "bulk length 2000000000", server: "plain", send: "*1\r\n$2000000000\r\n" },
  { name: "bulk length above proto-max-bulk-len", server: "plain", send: "*1\r\n$536870913\r\n" },
  { name: "bulk length abc", server: "plain", send: "*1\r\n$abc\r\n" },
  { name: "bulk length empty", server: "plain", send: "*1\r\n$\r\n" },
  { name: "bulk length leading zero", server: "plain", send: "*1\r\n$04\r\nPING\r\n" },
  { name: "expected $ got f", server: "plain", send: "*1\r\nfoo\r\n" },
  { name: "expected $ got CR", server: "plain", send: "*1\r\n\r\nx" },
  { name: "bytes after CR not checked", server: "plain", send: "*1\rX$4\rXPINGXY" },
  { name: "inline 65537 bytes without newline", server: "plain", send: "a".repeat(65537) },
  { name: "inline line of 65536 bytes", server: "plain", send: "a".repeat(65536) + "\n" },
  { name: "inline unbalanced double quote", server: "plain", send: 'set a "b\r\n' },
  { name: "inline unbalanced single quote", server: "plain", send: "set a 'b\r\n" },
  { name: "inline closing quote not followed by space", server: "plain", send: 'set a "b"c\r\n' },
  { name: "inline escapes", server: "plain", send: 'echo "a\\x41\\n\\t\\q"\r\n' },
  { name: "inline single quote escape", server: "plain", send: "echo 'it\\'s'\r\n" },
  { name: "inline quotes inside a word", server: "plain", send: 'echo a"b c"d\r\n' },
  { name: "inline empty quoted argument", server: "plain", send: 'echo ""\r\n' },
  { name: "inline lone LF", server: "plain", send: "PING\n" },
  { name: "inline blank lines ignored", server: "plain", send: "\r\n\n  \r\nPING\r\n" },
  { name: "inline tabs and CR as separators", server: "plain", send: "echo\ta\rb\r\n" },
  { name: "http POST closes", server: "plain", send: "POST / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "http Host closes", server: "plain", send: "Host: x\r\n" },
  { name: "resp host: closes", server: "plain", send: "*2\r\n$5\r\nHOST:\r\n$1\r\nx\r\n" },
  // Unknown commands and arity.
  { name: "unknown command inline", server: "plain", send: "foo a b\r\n" },
  { name: "unknown command no args", server: "plain", send: "foo\r\n" },
  {
    name: "unknown command CR LF in args",
    server: "plain",
    send: "*3\r\n$3\r\nfoo\r\n$3\r\na\nb\r\n$3\r\nc\rd\r\n",
  },
  { name: "unknown command long args", server: "plain", send: `foo ${long} ${long}\r\n` },
  {
    name: "unknown command many args",
    server: "plain",
    send: `foo${" abcdefghij".repeat(20)}\r\n`,
  },
  {
    name: "unknown command long name",
    server: "plain",
    send: `${"y".repeat(150)} a\r\n`,
  },
  {
    name: "unknown command NUL in arg",
    server: "plain",
    send: "*2\r\n$3\r\nfoo\r\n$3\r\na\0b\r\n",
  },
  { name: "wrong arity get", server: "plain", send: "get\r\n" },
  { name: "wrong arity GET upper case", server: "plain", send: "GET a b\r\n" },
  { name: "wrong arity subcommand", server: "plain", send: "client setname\r\n" },
  { name: "wrong arity container", server: "plain", send: "client\r\n" },
  { name: "mset one argument", server: "plain", send: "mset a\r\n" },
  { name: "mset odd arguments", server: "plain", send: "mset a a a\r\n" },
  { name: "ping two arguments", server: "plain", send: "ping a b\r\n" },
  { name: "unknown subcommand", server: "plain", send: "client foo\r\n" },
  { name: "unknown subcommand case kept", server: "plain", send: "Object Foo bar\r\n" },
  // Commands the proxy answers.
  { name: "ping", server: "plain", send: "ping\r\n" },
  { name: "ping message", server: "plain", send: "ping hello\r\n" },
  { name: "echo", server: "plain", send: "*2\r\n$4\r\nECHO\r\n$5\r\na\r\nb\0\r\n" },
  { name: "quit", server: "plain", send: "quit\r\nping\r\n" },
  { name: "quit with argument", server: "plain", send: "quit now\r\n" },
  { name: "select 0", server: "plain", send: "select 0\r\n" },
  { name: "select not a number", server: "plain", send: "select x\r\n" },
  { name: "select leading zero", server: "plain", send: "select 00\r\n" },
  { name: "hello 4", server: "plain", send: "hello 4\r\n" },
  { name: "hello 1", server: "plain", send: "hello 1\r\n" },
  { name: "hello not a number", server: "plain", send: "hello x\r\n" },
  { name: "hello 2", server: "plain", send: "hello 2\r\n" },
  { name: "hello no version", server: "plain", send: "hello\r\n" },
  { name: "hello bad option", server: "plain", send: "hello 2 foo\r\n" },
  { name: "hello auth missing password", server: "plain", send: "hello 2 auth a\r\n" },
  { name: "hello setname bad", server: "plain", send: 'hello 2 setname "a b"\r\n' },
  { name: "hello setname", server: "plain", send: "hello 2 setname x\r\nclient getname\r\n" },
  { name: "client setname bad", server: "plain", send: 'client setname "a b"\r\n' },
  {
    name: "client setname getname",
    server: "plain",
    send:
      'client getname\r\nclient setname x\r\nclient getname\r\nclient setname ""\r\nclient getname\r\n',
  },
  { name: "auth without password set", server: "plain", send: "auth x\r\n" },
  { name: "auth default without password set", server: "plain", send: "auth default x\r\n" },
  { name: "auth other user without password set", server: "plain", send: "auth bob x\r\n" },
  { name: "auth too many arguments", server: "plain", send: "auth a b c\r\n" },
  { name: "reset", server: "plain", send: "reset\r\n" },
  { name: "command info unknown", server: "plain", send: "command info nosuch\r\n" },
  { name: "command docs unknown", server: "plain", send: "command docs nosuch\r\n" },
  { name: "unsupported subcommand help text", server: "plain", send: "command foo\r\n" },
  // With a password (requirepass).
  { name: "noauth get", server: "auth", send: "get a\r\n" },
  { name: "noauth ping", server: "auth", send: "ping\r\n" },
  { name: "noauth unknown command first", server: "auth", send: "foo\r\n" },
  { name: "noauth arity first", server: "auth", send: "get\r\n" },
  { name: "noauth quit", server: "auth", send: "quit\r\n" },
  { name: "noauth reset", server: "auth", send: "reset\r\n" },
  { name: "noauth hello", server: "auth", send: "hello 2\r\n" },
  { name: "noauth hello no version", server: "auth", send: "hello\r\n" },
  { name: "noauth hello 3", server: "auth", send: "hello 3\r\n" },
  { name: "hello auth wrong", server: "auth", send: "hello 2 auth default wrong\r\n" },
  { name: "hello auth wrong user", server: "auth", send: `hello 2 auth bob ${PASSWORD}\r\n` },
  { name: "auth wrong", server: "auth", send: "auth wrong\r\nping\r\n" },
  { name: "auth right", server: "auth", send: `auth ${PASSWORD}\r\nping\r\n` },
  { name: "auth default user", server: "auth", send: `auth default ${PASSWORD}\r\nping\r\n` },
  { name: "auth wrong user", server: "auth", send: `auth bob ${PASSWORD}\r\nping\r\n` },
  {
    name: "auth wrong after right keeps auth",
    server: "auth",
    send: `auth ${PASSWORD}\r\nauth wrong\r\nping\r\n`,
  },
  { name: "reset after auth", server: "auth", send: `auth ${PASSWORD}\r\nreset\r\nping\r\n` },
  { name: "noauth multibulk 10", server: "auth", send: `*10\r\n${"$4\r\nPING\r\n".repeat(10)}` },
  { name: "noauth multibulk 11", server: "auth", send: "*11\r\n" },
  { name: "noauth bulk 16384", server: "auth", send: `*2\r\n$4\r\nECHO\r\n$16384\r\n` },
  { name: "noauth bulk 16385", server: "auth", send: "*2\r\n$4\r\nECHO\r\n$16385\r\n" },
  {
    name: "auth lifts limits",
    server: "auth",
    send: `auth ${PASSWORD}\r\n*2\r\n$4\r\nECHO\r\n$16385\r\n${"z".repeat(16385)}\r\n`,
  },
];

function nested(depth: number): string {
  let s = "'leaf'";
  for (let i = 0; i < depth; i++) s = `{${i}, ${s}, 'x${i}'}`;
  return `return ${s}`;
}

const RESPONSES: readonly ResponseCase[] = [
  { name: "simple string", resp: 2, setup: [], command: ["SET", "k", "v"] },
  { name: "bulk string", resp: 2, setup: [["SET", "k", "hello"]], command: ["GET", "k"] },
  { name: "empty bulk string", resp: 2, setup: [["SET", "e", ""]], command: ["GET", "e"] },
  { name: "null bulk string", resp: 2, setup: [], command: ["GET", "nosuchkey"] },
  { name: "integer", resp: 2, setup: [], command: ["INCR", "counter"] },
  { name: "negative integer", resp: 2, setup: [], command: ["TTL", "nosuchkey"] },
  { name: "error", resp: 2, setup: [["SET", "k", "v"]], command: ["INCR", "k"] },
  {
    name: "wrongtype error",
    resp: 2,
    setup: [["RPUSH", "list", "a"]],
    command: ["GET", "list"],
  },
  { name: "empty array", resp: 2, setup: [], command: ["LRANGE", "nosuchlist", "0", "-1"] },
  {
    name: "array of bulks",
    resp: 2,
    setup: [["RPUSH", "l3", "a", "bb", "ccc"]],
    command: ["LRANGE", "l3", "0", "-1"],
  },
  {
    name: "mget with nulls",
    resp: 2,
    setup: [["SET", "m1", "one"], ["SET", "m3", "three"]],
    command: ["MGET", "m1", "m2", "m3"],
  },
  {
    name: "binary bulk with CRLF inside",
    resp: 2,
    setup: [["SET", "bin", "a\r\nb\r\n\0$*"]],
    command: ["GET", "bin"],
  },
  {
    name: "bulk of 40000 bytes",
    resp: 2,
    setup: [["SET", "big", "v".repeat(40000)]],
    command: ["GET", "big"],
  },
  {
    name: "eval nested array",
    resp: 2,
    setup: [],
    command: ["EVAL", "return {1, {2, {3, 'x'}}, 'y'}", "0"],
  },
  { name: "eval nested 20 deep", resp: 2, setup: [], command: ["EVAL", nested(20), "0"] },
  {
    name: "eval array of simple strings",
    resp: 2,
    setup: [],
    command: ["EVAL", "return {redis.status_reply('OK'), redis.status_reply('QUEUED')}", "0"],
  },
  {
    name: "eval array of errors without spaces",
    resp: 2,
    setup: [],
    command: ["EVAL", "return {{err='ERR'}, {err='X'}, 1}", "0"],
  },
  {
    name: "eval simple string",
    resp: 2,
    setup: [],
    command: ["EVAL", "return redis.status_reply('PONG')", "0"],
  },
  {
    name: "eval error without space",
    resp: 2,
    setup: [],
    command: ["EVAL", "return {err='MYERR'}", "0"],
  },
  {
    name: "eval array with nil",
    resp: 2,
    setup: [],
    command: ["EVAL", "return {1, false, 3}", "0"],
  },
  { name: "eval empty array", resp: 2, setup: [], command: ["EVAL", "return {}", "0"] },
  {
    name: "hgetall",
    resp: 2,
    setup: [["HSET", "h", "f1", "v1", "f2", "v2"]],
    command: ["HGETALL", "h"],
  },
  { name: "script load", resp: 2, setup: [], command: ["SCRIPT", "LOAD", "return 1"] },
  {
    name: "script exists",
    resp: 2,
    setup: [["SCRIPT", "LOAD", "return 1"]],
    command: ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0000"],
  },
  { name: "dbsize", resp: 2, setup: [], command: ["DBSIZE"] },
  { name: "hello 3", resp: 3, setup: [], command: ["HELLO", "3"] },
  {
    name: "resp3 map",
    resp: 3,
    setup: [["HSET", "h3", "f1", "v1"]],
    command: ["HGETALL", "h3"],
  },
  { name: "resp3 set", resp: 3, setup: [["SADD", "s3", "a"]], command: ["SMEMBERS", "s3"] },
  {
    name: "resp3 double",
    resp: 3,
    setup: [["ZADD", "z3", "1.5", "a"]],
    command: ["ZSCORE", "z3", "a"],
  },
  { name: "resp3 null", resp: 3, setup: [], command: ["GET", "nosuchkey"] },
  ...[
    "string",
    "integer",
    "double",
    "bignum",
    "null",
    "array",
    "set",
    "map",
    "attrib",
    "push",
    "verbatim",
    "true",
    "false",
  ].map((t): ResponseCase => ({
    name: `resp3 debug protocol ${t}`,
    resp: 3,
    setup: [],
    command: ["DEBUG", "PROTOCOL", t],
  })),
];

async function recordRequest(port: number, c: RequestCase): Promise<RecordedRequest> {
  const conn = await Connection.open(port);
  try {
    await conn.send(bytesOf(c.send));
    const { raw, closed } = await conn.drain(250);
    return { ...c, send: pack(c.send), reply: pack(latin1(raw)), closed };
  } finally {
    conn.close();
  }
}

async function recordResponse(port: number, c: ResponseCase): Promise<RecordedResponse> {
  const conn = await Connection.open(port);
  try {
    if (c.resp === 3) await conn.call(["HELLO", "3"]);
    for (const cmd of c.setup) await conn.call(cmd);
    await conn.send(cmd(...c.command));
    // The reply is whatever arrives before the server goes quiet.
    const { raw } = await conn.drain(200);
    return { ...c, reply: pack(latin1(raw)) };
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  await using plain = await startRedis(undefined, ["--enable-debug-command", "yes"]);
  await using auth = await startRedis(undefined, ["--requirepass", PASSWORD]);
  const version = await redisVersion(plain.port);
  const requests: RecordedRequest[] = [];
  for (const c of REQUESTS) {
    requests.push(await recordRequest(c.server === "plain" ? plain.port : auth.port, c));
  }
  const responses: RecordedResponse[] = [];
  for (const c of RESPONSES) {
    const conn = await Connection.open(plain.port);
    await conn.call(["FLUSHALL"]);
    conn.close();
    responses.push(await recordResponse(plain.port, c));
  }
  const fixture: ReplyFixture = { version, requests, responses };
  const file = new URL(
    `../lib/proto/redis/testdata/redis_${version}_replies.json`,
    import.meta.url,
  );
  await Deno.writeTextFile(file, JSON.stringify(fixture, null, 1) + "\n");
  console.log(`wrote ${file.pathname}: ${requests.length} requests, ${responses.length} responses`);
}

if (import.meta.main) await main();
