import assert from "node:assert/strict";
import { bytesOf } from "../../../tests/_support/bytes.ts";
import {
  type ArgReader,
  arityOk,
  COMMAND_TABLE,
  type CommandSpec,
  findKeys,
  parseKeySpec,
} from "./command_spec.ts";
import { COMMANDS, COMMANDS_REDIS_VERSION } from "./commands.ts";

const LOCAL_HANDLERS = new Set([
  "ping",
  "echo",
  "quit",
  "select",
  "auth",
  "hello",
  "reset",
  "client|setname",
  "client|getname",
  "client|id",
  "client|info",
  "client|setinfo",
  "command|count",
  "command|info",
  "command|docs",
  "command|list",
]);

function allSpecs(): CommandSpec[] {
  const out: CommandSpec[] = [];
  for (const s of COMMAND_TABLE.all) {
    out.push(s);
    if (s.subcommands !== null) out.push(...s.subcommands.all);
  }
  return out;
}

/** Arguments from text. */
function argsOf(...words: string[]): ArgReader {
  const buf = bytesOf(words.join(""));
  const starts: number[] = [];
  let pos = 0;
  for (const w of words) {
    starts.push(pos);
    pos += w.length;
  }
  return {
    argc: words.length,
    argBuf: buf,
    resp: false,
    argStart: (i) => starts[i]!,
    argEnd: (i) => starts[i]! + words[i]!.length,
  };
}

function keysOf(spec: string, ...words: string[]): number[] | -1 {
  const s = COMMAND_TABLE.get(spec.split("|")[0]!)!;
  const sub = spec.includes("|") ? s.subcommands!.get(spec.split("|")[1]!)! : s;
  const out = { keys: new Int32Array(1) };
  const n = findKeys(sub, argsOf(...words), out);
  return n < 0 ? -1 : Array.from(out.keys.subarray(0, n));
}

Deno.test("COMMANDS has every command of redis-server 7.0.15, sorted, each once", () => {
  assert.equal(COMMANDS_REDIS_VERSION, "7.0.15");
  const names = COMMANDS.map((r) => r[0]);
  assert.deepEqual([...names].sort(), names);
  assert.equal(new Set(names).size, names.length);
  assert.equal(COMMAND_TABLE.all.length, 240);
  for (const n of names) assert.match(n, /^[a-z_-]+(\|[a-z_-]+)?$/);
});

Deno.test("COMMANDS rows have consistent arity, kind and key specs", () => {
  for (const s of allSpecs()) {
    assert.notEqual(s.arity, 0, s.name);
    assert.ok(s.summary.length > 0 && s.group.length > 0 && s.since.length > 0, s.name);
    const maxIndex = Math.abs(s.arity) - 1;
    switch (s.kind) {
      case "forward": {
        assert.equal(s.keys.length, 1, s.name);
        const k = s.keys[0]!;
        assert.equal(k.begin, "index", s.name);
        assert.equal(k.find, "range", s.name);
        assert.equal(k.last, 0, s.name);
        assert.ok(
          k.index >= 1 && k.index <= maxIndex,
          `${s.name}: key ${k.index}, arity ${s.arity}`,
        );
        assert.equal(k.index, s.firstKey, s.name);
        assert.ok(!s.flags.includes("blocking"), s.name);
        break;
      }
      case "split":
        assert.ok(["mget", "del", "unlink", "exists", "touch", "mset"].includes(s.name), s.name);
        assert.equal(s.keys.length, 1, s.name);
        assert.equal(s.keys[0]!.index, 1);
        assert.equal(s.keys[0]!.last, -1);
        assert.equal(s.keys[0]!.step, s.name === "mset" ? 2 : 1);
        break;
      case "together":
        assert.ok(s.keys.length >= 1, s.name);
        assert.ok(!s.flags.includes("blocking"), s.name);
        for (const k of s.keys) {
          // Later specs may be optional (PFMERGE dest [source...]).
          if (k.begin === "index") assert.ok(k.index >= 1, s.name);
          if (k === s.keys[0] && k.begin === "index") assert.ok(k.index <= maxIndex, s.name);
        }
        break;
      case "local":
        assert.ok(LOCAL_HANDLERS.has(s.name), s.name);
        break;
      case "container":
        assert.notEqual(s.subcommands, null, s.name);
        assert.ok(s.subcommands!.all.length > 0, s.name);
        break;
      case "broadcast":
        assert.ok(
          ["dbsize", "script|load", "script|exists", "script|flush", "info"].includes(s.name) ||
            s.name.startsWith("pubsub|"),
          s.name,
        );
        break;
      case "blocking":
        assert.ok(s.flags.includes("blocking"), s.name);
        assert.ok(s.keys.length >= 1, s.name);
        break;
      case "transaction":
        assert.equal(s.group, "transactions", s.name);
        break;
      case "subscribe":
      case "channel":
        assert.equal(s.group, "pubsub", s.name);
        break;
      case "unsupported":
        break;
    }
    // Legacy positions agree with the first index key spec.
    const k0 = s.keys[0];
    if (k0 !== undefined && k0.begin === "index" && s.firstKey !== 0) {
      assert.equal(s.firstKey, k0.index, s.name);
    }
    // Subcommands hang off a container of the same prefix.
    if (s.parent !== null) assert.ok(s.name.startsWith(`${s.parent.name}|`), s.name);
  }
});

Deno.test("COMMANDS refuses WAIT and admin commands", () => {
  for (
    const name of [
      "wait",
      "keys",
      "scan",
      "randomkey",
      "flushall",
      "flushdb",
      "config",
      "debug",
      "shutdown",
      "move",
      "swapdb",
      "wait",
      "monitor",
    ]
  ) {
    const s = COMMAND_TABLE.get(name)!;
    assert.ok(!s.supported, name);
  }
  assert.ok(!COMMAND_TABLE.get("client")!.subcommands!.get("kill")!.supported);
  assert.ok(!COMMAND_TABLE.get("client")!.subcommands!.get("reply")!.supported);
});

Deno.test("COMMANDS has every command of twemproxy's nc_redis.c", () => {
  const text = Deno.readTextFileSync(new URL("testdata/nc_redis_commands.txt", import.meta.url));
  const names = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(names.length, 138);
  // twemproxy forwards LOLWUT to a placeholder server and routes MOVE
  // nowhere useful; nutmeg refuses both (MOVE is about other databases).
  const refused = new Set(["lolwut", "move"]);
  for (const n of names) {
    const s = COMMAND_TABLE.get(n);
    assert.notEqual(s, null, n);
    assert.equal(s!.supported, !refused.has(n), n);
  }
});

Deno.test("lookup() matches command names case-insensitively on bytes", () => {
  const b = bytesOf("xgEtX");
  assert.equal(COMMAND_TABLE.lookup(b, 1, 4)!.name, "get");
  assert.equal(COMMAND_TABLE.lookup(b, 0, 4), null);
  assert.equal(COMMAND_TABLE.lookup(bytesOf("client|setname"), 0, 14), null);
  const client = COMMAND_TABLE.get("client")!;
  assert.equal(client.subcommands!.lookup(bytesOf("SetName"), 0, 7)!.name, "client|setname");
  assert.equal(
    COMMAND_TABLE.lookup(bytesOf("GEORADIUSBYMEMBER_RO"), 0, 20)!.name,
    "georadiusbymember_ro",
  );
  assert.equal(COMMAND_TABLE.lookup(bytesOf("restore-asking"), 0, 14)!.name, "restore-asking");
  assert.equal(COMMAND_TABLE.lookup(new Uint8Array(100), 0, 100), null);
});

Deno.test("arityOk() follows Redis: exact when positive, at least when negative", () => {
  assert.ok(arityOk(2, 2));
  assert.ok(!arityOk(2, 3));
  assert.ok(arityOk(-2, 5));
  assert.ok(!arityOk(-3, 2));
});

Deno.test("findKeys() finds keys the way Redis's key specs do", () => {
  assert.deepEqual(keysOf("get", "get", "k"), [1]);
  assert.deepEqual(keysOf("rename", "rename", "a", "b"), [1, 2]);
  assert.deepEqual(keysOf("eval", "eval", "s", "2", "a", "b", "arg"), [3, 4]);
  assert.deepEqual(keysOf("eval", "eval", "s", "0", "arg"), []);
  assert.equal(keysOf("eval", "eval", "s", "x", "a"), -1);
  assert.equal(keysOf("eval", "eval", "s", "3", "a"), -1);
  assert.equal(keysOf("eval", "eval", "s", "-1", "a"), -1);
  assert.deepEqual(keysOf("zunionstore", "zunionstore", "d", "2", "a", "b", "WEIGHTS", "1", "2"), [
    1,
    3,
    4,
  ]);
  assert.deepEqual(keysOf("zunion", "zunion", "2", "a", "b"), [2, 3]);
  assert.deepEqual(keysOf("lmpop", "lmpop", "2", "a", "b", "LEFT"), [2, 3]);
  assert.deepEqual(keysOf("bitop", "bitop", "AND", "d", "a", "b"), [2, 3, 4]);
  assert.deepEqual(keysOf("msetnx", "msetnx", "a", "1", "b", "2"), [1, 3]);
  assert.deepEqual(keysOf("lcs", "lcs", "a", "b"), [1, 2]);
  assert.deepEqual(keysOf("sdiffstore", "sdiffstore", "d", "a", "b"), [1, 2, 3]);
  assert.deepEqual(
    keysOf("georadius", "georadius", "k", "0", "0", "1", "km", "STORE", "d"),
    [1, 7],
  );
  assert.deepEqual(
    keysOf("georadius", "georadius", "k", "0", "0", "1", "km", "storedist", "d"),
    [1, 7],
  );
  assert.deepEqual(keysOf("georadius", "georadius", "k", "0", "0", "1", "km"), [1]);
  assert.deepEqual(keysOf("sort", "sort", "k", "BY", "w_*", "STORE", "d"), [1, 5]);
  assert.deepEqual(keysOf("sort", "sort", "k", "GET", "store"), [1]);
  assert.deepEqual(keysOf("sort", "sort", "k", "LIMIT", "0", "store", "store", "d"), [1, 6]);
  assert.deepEqual(keysOf("sort", "sort", "k", "STORE", "store", "STORE", "d"), [1, 5]);
  assert.deepEqual(keysOf("pfmerge", "pfmerge", "d"), [1]);
  assert.deepEqual(keysOf("pfmerge", "pfmerge", "d", "a", "b"), [1, 2, 3]);
  assert.deepEqual(keysOf("object|encoding", "object", "encoding", "k"), [2]);
  assert.deepEqual(keysOf("geosearchstore", "geosearchstore", "d", "s", "FROMMEMBER", "m"), [
    1,
    2,
  ]);
});

Deno.test("parseKeySpec() reads the table's notation and rejects others", () => {
  assert.equal(parseKeySpec("1").index, 1);
  const r = parseKeySpec("1..-1/2");
  assert.deepEqual([r.index, r.last, r.step], [1, -1, 2]);
  const n = parseKeySpec("2#0+1");
  assert.deepEqual([n.find, n.index, n.keynumIdx, n.firstKey], ["keynum", 2, 0, 1]);
  const k = parseKeySpec("STREAMS>1..-1:2");
  assert.deepEqual([k.begin, k.startFrom, k.last, k.limit], ["keyword", 1, -1, 2]);
  assert.equal(parseKeySpec("KEYS>-2..-1").startFrom, -2);
  assert.throws(() => parseKeySpec("x"), SyntaxError);
});
