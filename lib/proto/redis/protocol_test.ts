import assert from "node:assert/strict";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import { chunks, replay, type Replayed } from "../../../tests/_support/parser_feed.ts";
import { decodeAll, type RespValue } from "../../../tests/_support/resp_decode.ts";
import { RecordingSink, type SinkCall } from "../../../tests/_support/sink.ts";
import { RedisClientState } from "./client_state.ts";
import { RedisProtocol, type RedisProtocolOptions, RESP2, RESP3 } from "./protocol.ts";

function protocol(options: Partial<RedisProtocolOptions> = {}): RedisProtocol {
  return new RedisProtocol({
    auth: null,
    db: 0,
    version: "0.1.0",
    info: () => "# Proxy\r\nversion:0.1.0\r\n\r\n# Pools\r\npools:1\r\n",
    ...options,
  });
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`;
}

/** Replays `input` whole and byte by byte; both must give the same calls. */
function run(p: RedisProtocol, input: string, servers = 3, state = p.newClientState()): Replayed {
  const bytes = bytesOf(input);
  const r = replay(p, state, bytes, [], new RecordingSink(servers));
  const again = replay(
    p,
    p.newClientState(),
    bytes,
    chunks(bytes.length, 1),
    new RecordingSink(servers),
  );
  assert.deepEqual(describe(again.sink.calls), describe(r.sink.calls), "byte by byte");
  return r;
}

/** Calls as comparable text. */
function describe(calls: readonly SinkCall[]): string[] {
  return calls.map((c) => {
    switch (c.type) {
      case "local":
        return `local ${latin1(c.reply)}`;
      case "forward":
        return `forward ${c.server} ${latin1(c.key)} ${latin1(c.bytes)}`;
      case "fanOut":
        return `fanOut ${c.fragments.map((f) => `${f.server}:${latin1(f.bytes)}`).join(" ")}`;
      case "broadcast":
        return `broadcast ${latin1(c.bytes)}`;
      case "close":
        return "close";
      case "defer":
        return "defer";
      case "link":
        return `link ${c.server} ${c.op} ${c.blockMs} ${latin1(c.bytes)}`;
    }
  }).map((s) =>
    s.replace(/id=\d+/, "id=N").replace(/\r\n:\d+\r\n\$4\r\nmode/, "\r\n:N\r\n$4\r\nmode")
  );
}

function only<T extends SinkCall["type"]>(r: Replayed, type: T): Extract<SinkCall, { type: T }>[] {
  return r.sink.calls.filter((c): c is Extract<SinkCall, { type: T }> => c.type === type);
}

Deno.test("handle() forwards a single-key command's own bytes with its key's offsets", () => {
  const p = protocol();
  const req = resp("SET", "b:1", "value\r\nwith CRLF");
  const r = run(p, req + resp("get", "c") + resp("OBJECT", "ENCODING", "a9"));
  assert.deepEqual(describe(r.sink.calls), [
    `forward 1 b:1 ${req}`,
    `forward 2 c ${resp("get", "c")}`,
    `forward 0 a9 ${resp("OBJECT", "ENCODING", "a9")}`,
  ]);
});

Deno.test("handle() re-encodes inline commands as RESP when forwarding", () => {
  const r = run(protocol(), "set \"b x\" 'v v'\r\nGET a\n");
  assert.deepEqual(describe(r.sink.calls), [
    `forward 1 b x ${resp("set", "b x", "v v")}`,
    `forward 0 a ${resp("GET", "a")}`,
  ]);
});

Deno.test("handle() splits MGET per server and merges the values in key order", () => {
  const r = run(protocol(), "MGET {a}1 {b}1 {a}2 c\r\n");
  const [fan] = only(r, "fanOut");
  assert.ok(fan !== undefined);
  assert.deepEqual(fan.fragments.map((f) => [f.server, latin1(f.bytes)]), [
    [0, resp("mget", "{a}1", "{a}2")],
    [1, resp("mget", "{b}1")],
    [2, resp("mget", "c")],
  ]);
  const merged = fan.merge([
    bytesOf("*2\r\n$2\r\nA1\r\n$-1\r\n"),
    bytesOf("*1\r\n$2\r\nB1\r\n"),
    bytesOf("*1\r\n$1\r\nC\r\n"),
  ]);
  assert.equal(latin1(merged), "*4\r\n$2\r\nA1\r\n$2\r\nB1\r\n$-1\r\n$1\r\nC\r\n");
  // One part failing fails the whole reply with its error.
  const failed = fan.merge([
    bytesOf("*2\r\n$2\r\nA1\r\n$-1\r\n"),
    bytesOf("-ERR Connection refused\r\n"),
    bytesOf("*1\r\n$1\r\nC\r\n"),
  ]);
  assert.equal(latin1(failed), "-ERR Connection refused\r\n");
});

Deno.test("handle() splits a RESP MGET by runs of keys and merges the runs back in order", () => {
  // a, aa on server 0, b, bb on server 1: runs 0 0 | 1 1 | 0 | 1.
  const r = run(protocol(), resp("MGET", "a", "aa", "b", "bb", "a", "b"));
  const [fan] = only(r, "fanOut");
  assert.ok(fan !== undefined);
  assert.deepEqual(fan.fragments.map((f) => [f.server, latin1(f.bytes)]), [
    [0, resp("mget", "a", "aa", "a")],
    [1, resp("mget", "b", "bb", "b")],
  ]);
  const merged = fan.merge([
    bytesOf("*3\r\n$2\r\nA1\r\n$-1\r\n$4\r\nA\r\n3\r\n"),
    bytesOf("*3\r\n$0\r\n\r\n:7\r\n$2\r\nB3\r\n"),
  ]);
  assert.equal(
    latin1(merged),
    "*6\r\n$2\r\nA1\r\n$-1\r\n$0\r\n\r\n:7\r\n$4\r\nA\r\n3\r\n$2\r\nB3\r\n",
  );
});

Deno.test("handle() writes fragments in canonical RESP when the bytes Redis skips are not CR LF", () => {
  // Redis skips the byte after a length line's CR and the two after a
  // bulk's data unread: here X, YZ and QW. The fragments say CR LF there.
  for (
    const [req, parts] of [
      [
        "*5\r\n$4\r\nMGET\r\n$1\rXa\r\n$1\r\nbYZ$2\r\naa\r\n$2\r\nbbQW",
        [[0, resp("mget", "a", "aa")], [1, resp("mget", "b", "bb")]],
      ],
      [
        "*7\r\n$4\r\nMSET\r\n$1\r\na\r\n$1\rX1\r\n$1\r\nb\r\n$1\r\n2YZ$2\r\naa\r\n$1\r\n3\r\n",
        [[0, resp("mset", "a", "1", "aa", "3")], [1, resp("mset", "b", "2")]],
      ],
    ] as const
  ) {
    const r = run(protocol(), req);
    const [fan] = only(r, "fanOut");
    assert.ok(fan !== undefined, req);
    assert.deepEqual(fan.fragments.map((f) => [f.server, latin1(f.bytes)]), parts, req);
  }
});

Deno.test("handle() splits DEL, UNLINK, EXISTS and TOUCH and sums the counts", () => {
  for (const cmd of ["DEL", "UNLINK", "EXISTS", "TOUCH"]) {
    const r = run(protocol(), resp(cmd, "a", "b", "aa", "b"));
    const [fan] = only(r, "fanOut");
    assert.ok(fan !== undefined, cmd);
    const name = cmd.toLowerCase();
    assert.deepEqual(fan.fragments.map((f) => [f.server, latin1(f.bytes)]), [
      [0, resp(name, "a", "aa")],
      [1, resp(name, "b", "b")],
    ]);
    assert.equal(latin1(fan.merge([bytesOf(":2\r\n"), bytesOf(":1\r\n")])), ":3\r\n");
  }
});

Deno.test("handle() splits MSET into key-value pairs and answers OK only if every part did", () => {
  const r = run(protocol(), resp("MSET", "a", "1", "b", "2", "a2", "3\r\n"));
  const [fan] = only(r, "fanOut");
  assert.ok(fan !== undefined);
  assert.deepEqual(fan.fragments.map((f) => [f.server, latin1(f.bytes)]), [
    [0, resp("mset", "a", "1", "a2", "3\r\n")],
    [1, resp("mset", "b", "2")],
  ]);
  assert.equal(latin1(fan.merge([bytesOf("+OK\r\n"), bytesOf("+OK\r\n")])), "+OK\r\n");
  assert.equal(
    latin1(fan.merge([bytesOf("+OK\r\n"), bytesOf("-ERR Connection timed out\r\n")])),
    "-ERR Connection timed out\r\n",
  );
});

Deno.test("handle() forwards a multi-key command whole when its keys share a server", () => {
  const p = protocol();
  for (const req of ["MGET {a}1 {a}2 a3\r\n", "mget a\r\n", "mset a 1\r\n", "DEL a aa aaa\r\n"]) {
    const r = run(p, req);
    assert.deepEqual(r.sink.calls.map((c) => c.type), ["forward"], req);
  }
  // One server: never split.
  const one = run(p, "MGET a b c\r\n", 1);
  assert.deepEqual(one.sink.calls.map((c) => c.type), ["forward"]);
  // No live server: forwarded whole, the core fails it.
  const none = run(p, "MGET !a b\r\n");
  assert.deepEqual(none.sink.calls.map((c) => c.type), ["forward"]);
});

Deno.test("handle() answers twemproxy's regression inputs: get without key, odd MSET", () => {
  const r = run(protocol(), "get \r\nmset a\r\nmset a a a\r\n");
  assert.equal(
    r.text,
    "-ERR wrong number of arguments for 'get' command\r\n" +
      "-ERR wrong number of arguments for 'mset' command\r\n".repeat(2),
  );
});

Deno.test("handle() splits a 10,000-key MGET in linear time and merges it back", () => {
  const n = 10000;
  const keys = Array.from({ length: n }, (_, i) => `${"abc"[i % 3]}${i}`);
  const p = protocol();
  const t0 = performance.now();
  const r = replay(p, p.newClientState(), bytesOf(resp("MGET", ...keys)));
  const [fan] = only(r, "fanOut");
  assert.ok(fan !== undefined);
  assert.equal(fan.fragments.length, 3);
  const replies = fan.fragments.map((f) => {
    const v = decodeAll(f.bytes) as string[];
    return bytesOf(
      `*${v.length - 1}\r\n${v.slice(1).map((k) => `$${k.length}\r\n${k}\r\n`).join("")}`,
    );
  });
  const merged = decodeAll(fan.merge(replies));
  assert.deepEqual(merged, keys);
  assert.ok(performance.now() - t0 < 2000);
});

Deno.test("handle() forwards commands whose keys must share a server, else explains", () => {
  const p = protocol();
  const cross = (name: string) =>
    `-ERR keys in '${name}' command map to different servers; give them a common hash tag (e.g. {t}a and {t}b with hash_tag "{}") to keep them on one server\r\n`;
  assert.deepEqual(describe(run(p, "RENAME {a}x {a}y\r\n").sink.calls), [
    `forward 0 {a}x ${resp("RENAME", "{a}x", "{a}y")}`,
  ]);
  assert.equal(run(p, "RENAME a b\r\n").text, cross("rename"));
  assert.equal(run(p, "SMOVE a b m\r\n").text, cross("smove"));
  assert.equal(run(p, "ZUNIONSTORE d 2 a b\r\n").text, cross("zunionstore"));
  assert.deepEqual(describe(run(p, "ZUNIONSTORE d 2 aa dd\r\n").sink.calls), [
    `forward 0 d ${resp("ZUNIONSTORE", "d", "2", "aa", "dd")}`,
  ]);
  // EVAL: the keys after numkeys; the script and arguments do not count.
  assert.deepEqual(describe(run(p, "EVAL s 2 b bb c\r\n").sink.calls), [
    `forward 1 b ${resp("EVAL", "s", "2", "b", "bb", "c")}`,
  ]);
  assert.equal(run(p, "EVALSHA s 2 a b\r\n").text, cross("evalsha"));
  assert.equal(
    run(p, "EVAL s 0\r\n").text,
    "-ERR 'eval' with no keys is not supported by the proxy: scripts are routed by their keys, pass at least one\r\n",
  );
  // A bad key count: Redis's own error comes back from a server.
  assert.deepEqual(run(p, "EVAL s x a\r\n").sink.calls.map((c) => c.type), ["forward"]);
  assert.deepEqual(run(p, "ZUNION 0 a\r\n").sink.calls.map((c) => c.type), ["forward"]);
  // Store options are keys too.
  assert.equal(run(p, "GEORADIUS a 0 0 1 km STORE b\r\n").text, cross("georadius"));
  assert.equal(run(p, "SORT a BY w STORE b\r\n").text, cross("sort"));
  assert.deepEqual(run(p, "SORT a BY b\r\n").sink.calls.map((c) => c.type), ["forward"]);
  assert.equal(run(p, "LMOVE a b LEFT RIGHT\r\n").text, cross("lmove"));
  assert.equal(run(p, "MSETNX a 1 b 2\r\n").text, cross("msetnx"));
  assert.equal(run(p, "BITOP AND a a b\r\n").text, cross("bitop"));
});

Deno.test("handle() refuses COPY into a database other than the pool's own", () => {
  const refused = (db: string) =>
    `-ERR COPY to another database is not allowed through the proxy: only db 0 is served${db}\r\n`;
  const p = protocol();
  assert.deepEqual(describe(run(p, "COPY {a}x {a}y DB 0 REPLACE\r\n").sink.calls), [
    `forward 0 {a}x ${resp("COPY", "{a}x", "{a}y", "DB", "0", "REPLACE")}`,
  ]);
  assert.equal(run(p, "COPY {a}x {a}y db 1\r\n").text, refused(""));
  assert.equal(run(p, "COPY {a}x {a}y REPLACE Db -1\r\n").text, refused(""));
  assert.equal(run(p, "COPY {a}x {a}y DB 0 DB 2\r\n").text, refused(""));
  // Not a number: the server refuses it.
  assert.deepEqual(run(p, "COPY {a}x {a}y DB x\r\n").sink.calls.map((c) => c.type), ["forward"]);
  // Keys named like the option are keys.
  assert.deepEqual(run(p, "COPY db {db}1\r\n").sink.calls.map((c) => c.type), ["forward"]);
  const p3 = protocol({ db: 3 });
  assert.deepEqual(run(p3, "COPY {a}x {a}y DB 3\r\n").sink.calls.map((c) => c.type), [
    "forward",
  ]);
  assert.equal(run(p3, "COPY {a}x {a}y DB 0\r\n").text, refused(" (redis_db 3 on the servers)"));
});

Deno.test("handle() answers unknown commands, wrong arity and unsupported commands, staying open", () => {
  const r = run(
    protocol(),
    "foo a\r\nget\r\nKEYS *\r\nMONITOR\r\nCLIENT KILL x\r\nCLIENT nope\r\nFLUSHALL\r\nWAIT 0 0\r\nPING\r\n",
  );
  assert.equal(
    r.text,
    [
      "-ERR unknown command 'foo', with args beginning with: 'a' ",
      "-ERR wrong number of arguments for 'get' command",
      "-ERR unsupported command 'keys'",
      "-ERR unsupported command 'monitor'",
      "-ERR unsupported command 'client|kill'",
      "-ERR unknown subcommand 'nope'. Try CLIENT HELP.",
      "-ERR unsupported command 'flushall'",
      "-ERR unsupported command 'wait': WAIT counts the replicas that acknowledged this connection's writes, and the proxy sends a client's writes over connections it shares with other clients",
      "+PONG",
      "",
    ].join("\r\n"),
  );
  assert.equal(r.closed, false);
});

Deno.test("handle() answers PING, ECHO, QUIT and SELECT locally", () => {
  const p = protocol({ db: 3 });
  const r = run(p, "PING\r\nPING hi\r\nECHO x\r\nSELECT 0\r\nSELECT 3\r\nSELECT 1\r\nSELECT x\r\n");
  assert.equal(
    r.text,
    "+PONG\r\n$2\r\nhi\r\n$1\r\nx\r\n+OK\r\n+OK\r\n" +
      "-ERR SELECT is not allowed through the proxy: only db 0 is served (redis_db 3 on the servers)\r\n" +
      "-ERR value is not an integer or out of range\r\n",
  );
  const q = run(p, "QUIT\r\nPING\r\n");
  assert.deepEqual(describe(q.sink.calls), ["local +OK\r\n", "close"]);
});

Deno.test("handle() ignores empty requests with an empty local reply", () => {
  const r = run(protocol(), "*0\r\n\r\n*-1\r\nPING\r\n");
  assert.deepEqual(describe(r.sink.calls), ["local ", "local ", "local ", "local +PONG\r\n"]);
});

Deno.test("handle() keeps CLIENT SETNAME, GETNAME, ID, INFO and SETINFO per client", () => {
  const p = protocol();
  const state = p.newClientState();
  const r = replay(
    p,
    state,
    bytesOf(
      "CLIENT GETNAME\r\nCLIENT SETNAME app-1\r\nCLIENT GETNAME\r\nCLIENT SETINFO LIB-NAME redis-py\r\n" +
        'CLIENT SETINFO lib-ver 5.0.1\r\nCLIENT SETINFO lib-foo x\r\nCLIENT SETINFO lib-name "a b"\r\n' +
        "CLIENT ID\r\nCLIENT INFO\r\n",
    ),
  );
  assert.equal(
    r.text,
    `$-1\r\n+OK\r\n$5\r\napp-1\r\n+OK\r\n+OK\r\n-ERR Unrecognized option 'lib-foo'\r\n` +
      `-ERR lib-name cannot contain spaces, newlines or special characters.\r\n` +
      `:${state.id}\r\n` +
      `$73\r\nid=${state.id} name=app-1 db=0 user=default resp=2 lib-name=redis-py lib-ver=5.0.1\n\r\n`,
  );
  assert.notEqual(p.newClientState().id, state.id);
});

Deno.test("handle() answers HELLO 2 and HELLO 3 with the proxy's description, in the version asked for", () => {
  const p = protocol({ version: "1.2.3" });
  const state = p.newClientState();
  const r = replay(
    p,
    state,
    bytesOf("HELLO 2 SETNAME me\r\nHELLO 3\r\nCLIENT GETNAME\r\nHELLO\r\nHELLO 2\r\n"),
  );
  const [hello, proto3, name, again, back] = only(r, "local").map((c) => c.reply);
  assert.deepEqual(decodeAll(hello!), [
    "server",
    "nutmeg",
    "version",
    "1.2.3",
    "proto",
    2,
    "id",
    state.id,
    "mode",
    "standalone",
    "role",
    "master",
    "modules",
    [],
  ]);
  const map3 = `%7\r\n$6\r\nserver\r\n$6\r\nnutmeg\r\n$7\r\nversion\r\n$5\r\n1.2.3\r\n` +
    `$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:${state.id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n` +
    `$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n`;
  assert.equal(latin1(proto3!), map3);
  assert.equal(latin1(name!), "$2\r\nme\r\n");
  // No version: the current one.
  assert.equal(latin1(again!), map3);
  assert.equal(latin1(back!).slice(0, 4), "*14\r");
  assert.equal(state.connSet, 0);
});

Deno.test("handle() switches the connection set with HELLO 3 and back with HELLO 2 or RESET; local replies follow", () => {
  const p = protocol();
  const state = p.newClientState();
  const r = replay(
    p,
    state,
    bytesOf(
      "HELLO 3\r\nCLIENT GETNAME\r\nCOMMAND INFO nosuch\r\nCLIENT INFO\r\nHELLO 4\r\n" +
        'HELLO 2 AUTH default x SETNAME "a b"\r\nCLIENT GETNAME\r\n',
    ),
  );
  const replies = only(r, "local").map((c) => latin1(c.reply));
  assert.equal(replies[1], "_\r\n");
  assert.equal(replies[2], "*1\r\n_\r\n");
  assert.match(replies[3]!, /^=\d+\r\ntxt:id=\d+ .* resp=3 /);
  assert.equal(replies[4], "-NOPROTO unsupported protocol version\r\n");
  assert.equal(
    replies[5],
    "-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
  );
  // A failed HELLO leaves the protocol as it was.
  assert.equal(replies[6], "_\r\n");
  assert.equal(state.connSet, RESP3);
  replay(p, state, bytesOf("RESET\r\n"));
  assert.equal(state.connSet, RESP2);
});

Deno.test("handle() requires AUTH when a password is set, and allows only AUTH, HELLO, QUIT, RESET before", () => {
  const p = protocol({ auth: "s3cret" });
  const state = p.newClientState() as RedisClientState;
  assert.equal(state.trusted, false);
  const r = replay(
    p,
    state,
    bytesOf(
      "GET a\r\nPING\r\nfoo\r\nget\r\nAUTH wrong\r\nAUTH bob s3cret\r\nAUTH a b c\r\nAUTH s3cret\r\nGET a\r\n",
    ),
  );
  assert.deepEqual(describe(r.sink.calls), [
    "local -NOAUTH Authentication required.\r\n",
    "local -NOAUTH Authentication required.\r\n",
    "local -ERR unknown command 'foo', with args beginning with: \r\n",
    "local -ERR wrong number of arguments for 'get' command\r\n",
    "local -WRONGPASS invalid username-password pair or user is disabled.\r\n",
    "local -WRONGPASS invalid username-password pair or user is disabled.\r\n",
    "local -ERR syntax error\r\n",
    "local +OK\r\n",
    `forward 0 a ${resp("GET", "a")}`,
  ]);
  assert.equal(state.trusted, true);
  // A wrong AUTH later keeps the connection authenticated, as in Redis.
  replay(p, state, bytesOf("AUTH nope\r\n"));
  assert.equal(state.authenticated, true);
  // RESET forgets it.
  const reset = replay(p, state, bytesOf("RESET\r\nGET a\r\n"));
  assert.equal(reset.text, "+RESET\r\n-NOAUTH Authentication required.\r\n");
});

Deno.test("handle() authenticates with AUTH default <password> and HELLO AUTH", () => {
  const p = protocol({ auth: "pw" });
  assert.equal(run(p, "AUTH default pw\r\nPING\r\n").text, "+OK\r\n+PONG\r\n");
  assert.equal(
    run(p, "AUTH Default pw\r\nPING\r\n").text.split("\r\n")[0],
    "-WRONGPASS invalid username-password pair or user is disabled.",
  );
  const hello = run(p, "HELLO 2 AUTH default pw\r\nPING\r\n");
  assert.equal(hello.text.endsWith("+PONG\r\n"), true);
  assert.equal(
    run(p, "HELLO 2\r\n").text,
    "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n",
  );
  assert.equal(
    run(p, "HELLO 2 AUTH default nope\r\n").text,
    "-WRONGPASS invalid username-password pair or user is disabled.\r\n",
  );
  // Without a password set, AUTH <password> is an error, as in Redis 7.
  assert.equal(
    run(protocol(), "AUTH pw\r\n").text,
    "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
  );
});

Deno.test("handle() caps requests before AUTH", () => {
  const p = protocol({ auth: "pw" });
  const r = run(p, `*11\r\n`);
  assert.equal(r.text, "-ERR Protocol error: unauthenticated multibulk length\r\n");
  assert.equal(r.closed, true);
  const ok = run(p, `AUTH pw\r\n${resp("MGET", ...Array(20).fill("a"))}`);
  assert.deepEqual(ok.sink.calls.map((c) => c.type), ["local", "forward"]);
});

Deno.test("handle() answers COMMAND COUNT, INFO, DOCS and LIST for the served commands", () => {
  const p = protocol();
  const count = decodeAll(only(run(p, "COMMAND COUNT\r\n"), "local")[0]!.reply) as number;
  const all = decodeAll(only(run(p, "COMMAND\r\n"), "local")[0]!.reply) as RespValue[][];
  assert.equal(all.length, count);
  const names = all.map((e) => e[0]);
  assert.ok(names.includes("get") && names.includes("mget") && names.includes("client"));
  assert.ok(!names.includes("keys") && !names.includes("wait") && !names.includes("acl"));
  const info = decodeAll(
    only(run(p, "COMMAND INFO get client|setname keys nosuch\r\n"), "local")[0]!.reply,
  );
  assert.deepEqual(info, [
    [
      "get",
      2,
      [{ simple: "readonly" }, { simple: "fast" }],
      1,
      1,
      1,
      [{ simple: "@read" }, { simple: "@string" }, { simple: "@fast" }],
      [],
      [],
      [],
    ],
    [
      "client|setname",
      3,
      [{ simple: "noscript" }, { simple: "loading" }, { simple: "stale" }],
      0,
      0,
      0,
      [{ simple: "@slow" }, { simple: "@connection" }],
      [],
      [],
      [],
    ],
    null,
    null,
  ]);
  const docs = decodeAll(only(run(p, "COMMAND DOCS get keys\r\n"), "local")[0]!.reply);
  assert.deepEqual(docs, [
    "get",
    [
      "summary",
      "Get the value of a key",
      "since",
      "1.0.0",
      "group",
      "string",
      "complexity",
      "O(1)",
    ],
  ]);
  const list = decodeAll(only(run(p, "COMMAND LIST\r\n"), "local")[0]!.reply) as string[];
  assert.ok(list.includes("client|setname") && list.includes("get") && !list.includes("keys"));
  const allDocs = decodeAll(only(run(p, "COMMAND DOCS\r\n"), "local")[0]!.reply) as RespValue[];
  assert.equal(allDocs.length, 2 * count);
});

Deno.test("handle() broadcasts INFO and merges the servers' texts, the proxy's section beside them", () => {
  const p = protocol();
  const info = (text: string) => bytesOf(`$${text.length}\r\n${text}\r\n`);
  const a = "# Server\r\nredis_version:7.0.15\r\nprocess_id:10\r\nuptime_in_seconds:50\r\n\r\n" +
    "# Clients\r\nconnected_clients:2\r\n\r\n# Memory\r\nused_memory:1024\r\n" +
    "used_memory_human:1.00K\r\nmem_fragmentation_ratio:2.00\r\n\r\n" +
    "# Stats\r\ntotal_commands_processed:10\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=100\r\n";
  const b = "# Server\r\nredis_version:7.0.15\r\nprocess_id:11\r\nuptime_in_seconds:20\r\n\r\n" +
    "# Clients\r\nconnected_clients:3\r\n\r\n# Memory\r\nused_memory:2048\r\n" +
    "used_memory_human:2.00K\r\nmem_fragmentation_ratio:1.00\r\n\r\n" +
    "# Stats\r\ntotal_commands_processed:5\r\n\r\n# Keyspace\r\ndb0:keys=4,expires=3,avg_ttl=200\r\n";
  const [all] = only(run(p, "INFO\r\n"), "broadcast");
  assert.equal(latin1(all!.bytes), resp("INFO"));
  const merged = latin1(all!.merge([info(a), info(b), bytesOf("-ERR Connection refused\r\n")]));
  const text = "# Server\r\nredis_version:7.0.15\r\nprocess_id:10\r\nuptime_in_seconds:20\r\n\r\n" +
    "# Clients\r\nconnected_clients:5\r\n\r\n# Memory\r\nused_memory:3072\r\n" +
    "used_memory_human:3.00K\r\nmem_fragmentation_ratio:1.50\r\n\r\n" +
    "# Stats\r\ntotal_commands_processed:15\r\n\r\n# Keyspace\r\ndb0:keys=7,expires=4,avg_ttl=175\r\n" +
    "\r\n# Proxy\r\nversion:0.1.0\r\n\r\n# Pools\r\npools:1\r\nservers_answering:2\r\n";
  assert.equal(merged, `$${text.length}\r\n${text}\r\n`);
  // A section asked for: the servers' only.
  const [keyspace] = only(run(p, "INFO keyspace\r\n"), "broadcast");
  const ks = "# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n";
  assert.equal(
    latin1(keyspace!.merge([info(ks), info(ks)])),
    latin1(info(
      "# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0\r\n",
    )),
  );
  // RESP3: verbatim, as redis-server writes INFO.
  const state = p.newClientState();
  const r3 = replay(p, state, bytesOf("HELLO 3\r\nINFO proxy\r\n"));
  const [proxyOnly] = only(r3, "broadcast");
  assert.match(latin1(proxyOnly!.merge([])), /^=\d+\r\ntxt:# Proxy\r\n/);
});

Deno.test("handle() broadcasts DBSIZE and SCRIPT LOAD/EXISTS/FLUSH and merges the replies", () => {
  const p = protocol();
  const [dbsize] = only(run(p, "DBSIZE\r\n"), "broadcast");
  assert.equal(latin1(dbsize!.bytes), resp("DBSIZE"));
  assert.equal(latin1(dbsize!.merge([bytesOf(":2\r\n"), bytesOf(":3\r\n")])), ":5\r\n");
  const [load] = only(run(p, "SCRIPT LOAD 'return 1'\r\n"), "broadcast");
  assert.equal(latin1(load!.bytes), resp("SCRIPT", "LOAD", "return 1"));
  const sha = bytesOf("$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n");
  assert.equal(load!.merge([sha, sha]), sha);
  const [exists] = only(run(p, "SCRIPT EXISTS a b\r\n"), "broadcast");
  assert.equal(
    latin1(exists!.merge([bytesOf("*2\r\n:1\r\n:1\r\n"), bytesOf("*2\r\n:0\r\n:1\r\n")])),
    "*2\r\n:0\r\n:1\r\n",
  );
  const [flush] = only(run(p, "SCRIPT FLUSH\r\n"), "broadcast");
  assert.equal(latin1(flush!.merge([bytesOf("+OK\r\n")])), "+OK\r\n");
});

Deno.test("handshake() and errorReply() give the server-side requests and error form", () => {
  assert.equal(protocol().connSets, 2);
  assert.deepEqual(protocol().handshake(RESP2), []);
  assert.deepEqual(protocol({ auth: "pw", db: 12 }).handshake(RESP2).map(latin1), [
    resp("AUTH", "pw"),
    resp("SELECT", "12"),
  ]);
  assert.deepEqual(protocol({ db: 1 }).handshake(RESP2).map(latin1), [resp("SELECT", "1")]);
  assert.deepEqual(protocol({ auth: "pw", db: 12 }).handshake(RESP3).map(latin1), [
    resp("AUTH", "pw"),
    resp("SELECT", "12"),
    resp("HELLO", "3"),
  ]);
  assert.deepEqual(protocol().handshake(RESP3).map(latin1), [resp("HELLO", "3")]);
  assert.equal(latin1(protocol().errorReply("Connection refused")), "-ERR Connection refused\r\n");
  assert.equal(latin1(protocol().errorReply("a\r\nb")), "-ERR a  b\r\n");
  assert.equal(protocol().name, "redis");
});

Deno.test("handshakeFailure() takes success, and AUTH refused by a server without a password", () => {
  const p = protocol({ auth: "pw", db: 2 });
  const judge = (set: number, step: number, reply: string) => {
    const b = bytesOf(reply);
    return p.handshakeFailure(set, step, b, 0, b.length, reply[0] === "-");
  };
  assert.equal(judge(RESP2, 0, "+OK\r\n"), null);
  assert.equal(
    judge(
      RESP2,
      0,
      "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
    ),
    null,
  );
  assert.equal(judge(RESP2, 0, "-ERR Client sent AUTH, but no password is set\r\n"), null);
  assert.equal(
    judge(RESP2, 0, "-WRONGPASS invalid username-password pair\r\n"),
    "handshake failed: AUTH got WRONGPASS invalid username-password pair",
  );
  assert.equal(
    judge(RESP2, 1, "-ERR DB index is out of range\r\n"),
    "handshake failed: SELECT 2 got ERR DB index is out of range",
  );
  assert.equal(
    judge(RESP3, 2, "-ERR unknown command 'HELLO'\r\n"),
    "handshake failed: HELLO 3 got ERR unknown command 'HELLO' (RESP3 clients need redis-server 6 or later)",
  );
  assert.equal(judge(RESP3, 2, "%1\r\n$5\r\nproto\r\n:3\r\n"), null);
});

Deno.test("handle() refuses a parser or state of another protocol", () => {
  const p = protocol();
  const sink = new RecordingSink();
  const b = bytesOf("PING\r\n");
  assert.throws(
    () =>
      p.handle(
        { parse: () => 6, needed: 0, error: null },
        p.newClientState(),
        b,
        0,
        6,
        sink,
      ),
    TypeError,
  );
  assert.throws(
    () =>
      p.handle(
        p.newRequestParser({ trusted: true, connSet: 0 }),
        { trusted: true, connSet: 0 },
        b,
        0,
        6,
        sink,
      ),
    TypeError,
  );
});
