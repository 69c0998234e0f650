import assert from "node:assert/strict";
import { compareServerNames, parseServer, sortServersByName } from "./server.ts";
import { ValueError } from "./errors.ts";

Deno.test("parseServer() reads host:port:weight [name]", () => {
  assert.deepEqual(parseServer("127.0.0.1:6379:1", 4), {
    name: "127.0.0.1:6379",
    spec: "127.0.0.1:6379:1",
    address: { transport: "tcp", host: "127.0.0.1", port: 6379 },
    weight: 1,
    line: 4,
  });
  assert.deepEqual(parseServer("cache-1.example.com:6380:20 shard-a", 9), {
    name: "shard-a",
    spec: "cache-1.example.com:6380:20 shard-a",
    address: { transport: "tcp", host: "cache-1.example.com", port: 6380 },
    weight: 20,
    line: 9,
  });
});

Deno.test("parseServer() names servers as twemproxy does", () => {
  // Port 11211 is left out (libmemcached), however it is written.
  assert.equal(parseServer("127.0.0.1:11211:1", 1).name, "127.0.0.1");
  assert.equal(parseServer("localhost:011211:1", 1).name, "localhost");
  // Otherwise host:port exactly as written.
  assert.equal(parseServer("127.0.0.1:06379:1", 1).name, "127.0.0.1:06379");
  assert.equal(parseServer("::1:6379:1", 1).name, "::1:6379");
  assert.equal(parseServer("[::1]:6379:1", 1).name, "[::1]:6379");
  // A unix server is named by its path and a ':' (nutcracker 0.5.0, checked on its stats port).
  assert.equal(parseServer("/tmp/redis.sock:1", 1).name, "/tmp/redis.sock:");
  assert.equal(parseServer("/tmp/redis.sock:1 r1", 1).name, "r1");
  // A given name wins, even one that looks like an address.
  assert.equal(parseServer("127.0.0.1:6380:1 127.0.0.1:6379", 1).name, "127.0.0.1:6379");
});

Deno.test("parseServer() reads IPv6 and unix addresses", () => {
  assert.deepEqual(parseServer("::1:6379:2", 1).address, {
    transport: "tcp",
    host: "::1",
    port: 6379,
  });
  assert.deepEqual(parseServer("[::1]:6379:2", 1).address, {
    transport: "tcp",
    host: "::1",
    port: 6379,
  });
  assert.deepEqual(parseServer("/var/run/redis.sock:3 r", 1).address, {
    transport: "unix",
    path: "/var/run/redis.sock",
    mode: null,
  });
  assert.equal(parseServer("/var/run/redis.sock:3 r", 1).weight, 3);
  assert.equal(parseServer("127.0.0.1:6379:2147483647", 1).weight, 2147483647);
});

Deno.test("parseServer() refuses bad lines with what is allowed", () => {
  const cases: [string, RegExp][] = [
    ["127.0.0.1:6379", /needs a host, a port and a weight; write host:port:weight \[name\]/],
    ["127.0.0.1", /needs a host, a port and a weight/],
    ["127.0.0.1:6379:0", /the weight is 0; use a weight of 1 or more/],
    ["127.0.0.1:6379:-1", /'-1' is not a valid weight; use a whole number from 1 to 2147483647/],
    ["127.0.0.1:6379:x", /'x' is not a valid weight/],
    ["127.0.0.1:6379:2147483648", /'2147483648' is not a valid weight/],
    ["127.0.0.1:6379:4294967297", /'4294967297' is not a valid weight/],
    ["127.0.0.1:6379:1 my server", /'1 my' is not a valid weight.*cannot contain spaces/],
    ["127.0.0.1:6379:1 ", /ends with a space but has no name/],
    ["127.0.0.1:0:1", /'0' is not a valid port; use a port from 1 to 65535/],
    ["127.0.0.1:65536:1", /'65536' is not a valid port/],
    [":6379:1", /the host is empty/],
    ["127.0.0.1:6379:1:2", /too many ':' fields/],
    ["foo bar:6379:1", /needs a host, a port and a weight/],
    ["[localhost]:6379:1", /not an IPv6 address/],
    ["/tmp/redis.sock", /has no weight; write \/path\/to.sock:weight/],
    ["/tmp/a:b:1", /contains ':'/],
    ["/tmp/redis.sock:0", /the weight is 0/],
    [`/${"y".repeat(110)}:1`, /at most 107 bytes/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseServer(text, 1), (e: unknown) => {
      assert.ok(e instanceof ValueError, text);
      assert.match(e.message, message, text);
      return true;
    });
  }
});

Deno.test("compareServerNames() sorts shorter names first, then bytewise", () => {
  const names = [
    "/tmp/redis.sock:",
    "named",
    "localhost",
    "127.0.0.1:06379",
    "127.0.0.1",
    "b",
    "a",
    "é",
  ];
  names.sort(compareServerNames);
  // The order nutcracker 0.5.0 printed these names in on its stats port (plus a, b, é).
  assert.deepEqual(names, [
    "a",
    "b",
    "é",
    "named",
    "127.0.0.1",
    "localhost",
    "127.0.0.1:06379",
    "/tmp/redis.sock:",
  ]);
});

Deno.test("sortServersByName() orders as compareServerNames, stably", () => {
  const names = [
    "b",
    "a",
    "é",
    "aa",
    "z",
    "\u{1F600}",
    "\uE000",
    "ab",
    "a",
    "10.0.0.1",
    "10.0.0.10",
  ];
  const servers = names.map((name, i) => ({ name, i }));
  const expected = [...servers].sort((x, y) => compareServerNames(x.name, y.name));
  assert.deepEqual(sortServersByName(servers), expected);
  assert.deepEqual(sortServersByName(servers).map((s) => s.name).slice(0, 4), ["a", "a", "b", "z"]);
});
