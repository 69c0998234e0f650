import assert from "node:assert/strict";
import { loadConfig, parseConfig } from "./load.ts";
import { ConfigError } from "./errors.ts";
import { POOL_KEY_NAMES } from "./keys.ts";
import { HASH_NAMES } from "../hash/types.ts";

const FILE = "conf/x.yml";

function pool(extra = "", listen = "127.0.0.1:22121", servers = ["127.0.0.1:6379:1"]): string {
  return `alpha:\n  listen: ${listen}\n${extra}  servers:\n${
    servers.map((s) => `    - ${s}\n`).join("")
  }`;
}

/** Asserts that `text` is refused with all of `parts` in the message, and returns the error. */
function refuses(
  text: string,
  where: { line: number; column: number; pool?: string | null; key?: string | null },
  ...parts: (string | RegExp)[]
): ConfigError {
  let error: unknown;
  try {
    parseConfig(text, FILE);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof ConfigError, `expected a ConfigError for:\n${text}`);
  assert.ok(error instanceof SyntaxError);
  assert.equal(error.name, "ConfigError");
  assert.equal(error.file, FILE);
  assert.equal(error.line, where.line, error.message);
  assert.equal(error.column, where.column, error.message);
  assert.equal(error.pool, where.pool ?? null, error.message);
  assert.equal(error.key, where.key ?? null, error.message);
  assert.ok(error.message.startsWith(`${FILE}:${where.line}:${where.column}: `), error.message);
  if (where.pool) assert.ok(error.message.includes(`pool '${where.pool}'`), error.message);
  if (where.key) assert.ok(error.message.includes(`key '${where.key}'`), error.message);
  assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
  for (const part of parts) {
    if (typeof part === "string") {
      assert.ok(error.message.includes(part), `${error.message}\n  lacks: ${part}`);
    } else assert.match(error.message, part);
  }
  return error;
}

Deno.test("parseConfig() applies every default", () => {
  const config = parseConfig(pool(), FILE);
  assert.equal(config.file, FILE);
  assert.equal(config.pools.length, 1);
  assert.deepEqual(config.pools[0], {
    name: "alpha",
    line: 1,
    listen: { transport: "tcp", host: "127.0.0.1", port: 22121 },
    listenSpec: "127.0.0.1:22121",
    clientConnections: 0,
    hash: "fnv1a_64",
    hashTag: null,
    distribution: "ketama",
    timeout: null,
    backlog: 512,
    tcpkeepalive: false,
    preconnect: false,
    redis: false,
    redisAuth: null,
    redisDb: 0,
    serverConnections: 1,
    dedicatedConnections: 1024,
    autoEjectHosts: false,
    serverRetryTimeout: 30000,
    serverFailureLimit: 2,
    servers: [{
      name: "127.0.0.1:6379",
      spec: "127.0.0.1:6379:1",
      address: { transport: "tcp", host: "127.0.0.1", port: 6379 },
      weight: 1,
      line: 4,
    }],
    tlsCert: null,
    tlsKey: null,
    tlsCa: null,
    serverTls: false,
    serverTlsCa: null,
    serverTlsCert: null,
    serverTlsKey: null,
    serverTlsName: null,
    sentinels: [],
    sentinelAuth: null,
  });
});

Deno.test("parseConfig() reads every key", () => {
  const text = pool(
    [
      "  client_connections: 100",
      "  hash: murmur",
      '  hash_tag: "{}"',
      "  distribution: modula",
      "  timeout: 400",
      "  backlog: 1024",
      "  tcpkeepalive: true",
      "  preconnect: true",
      "  redis: true",
      "  redis_auth: s3cret",
      "  redis_db: 3",
      "  server_connections: 2",
      "  auto_eject_hosts: true",
      "  server_retry_timeout: 2000",
      "  server_failure_limit: 3",
      "",
    ].join("\n"),
  );
  const p = parseConfig(text, FILE).pools[0];
  assert.ok(p);
  assert.equal(p.clientConnections, 100);
  assert.equal(p.hash, "murmur");
  assert.equal(p.hashTag, "{}");
  assert.equal(p.distribution, "modula");
  assert.equal(p.timeout, 400);
  assert.equal(p.backlog, 1024);
  assert.equal(p.tcpkeepalive, true);
  assert.equal(p.preconnect, true);
  assert.equal(p.redis, true);
  assert.equal(p.redisAuth, "s3cret");
  assert.equal(p.redisDb, 3);
  assert.equal(p.serverConnections, 2);
  assert.equal(p.autoEjectHosts, true);
  assert.equal(p.serverRetryTimeout, 2000);
  assert.equal(p.serverFailureLimit, 3);
});

Deno.test("parseConfig() reads values as nutcracker does (all text)", () => {
  const read = (extra: string) => parseConfig(pool(extra), FILE).pools[0];
  assert.equal(read('  timeout: "400"\n')?.timeout, 400);
  assert.equal(read("  timeout: '0400'\n")?.timeout, 400);
  assert.equal(read("  timeout: 0\n")?.timeout, null, "timeout 0 = wait forever, as in twemproxy");
  assert.equal(read('  redis: "true"\n')?.redis, true);
  assert.equal(read("  backlog: 0\n")?.backlog, 0);
  assert.equal(read("  server_failure_limit: 0\n")?.serverFailureLimit, 0);
  assert.equal(read("  server_retry_timeout: 0\n")?.serverRetryTimeout, 0);
  assert.equal(read("  redis_db: 2\n")?.redisDb, 2, "redis_db is accepted on a memcached pool");
  assert.equal(read("  timeout: 2147483647\n")?.timeout, 2147483647);
  assert.equal(read('  hash_tag: "$$"\n')?.hashTag, "$$");
  // A two-byte UTF-8 tag is two bytes, one char per byte.
  assert.equal(read('  hash_tag: "é"\n')?.hashTag, "\xc3\xa9");
});

Deno.test("parseConfig() accepts every hash and distribution name", () => {
  for (const hash of HASH_NAMES) {
    assert.equal(parseConfig(pool(`  hash: ${hash}\n`), FILE).pools[0]?.hash, hash);
  }
  for (const d of ["ketama", "modula", "random"]) {
    assert.equal(parseConfig(pool(`  distribution: ${d}\n`), FILE).pools[0]?.distribution, d);
  }
});

Deno.test("parseConfig() keeps pools in file order and servers in twemproxy's order", () => {
  const text = pool("", "127.0.0.1:22121", [
    "127.0.0.1:6380:1 zz_long_name_first",
    "127.0.0.1:6379:1 b",
    "/tmp/redis.sock:1",
    "127.0.0.1:11211:2",
  ]) + "beta:\n  listen: /tmp/beta.sock 0600\n  servers:\n    - ::1:6379:1\n" +
    "aaa:\n  listen: ::1:22123\n  servers:\n    - 127.0.0.1:6379:1\n";
  const config = parseConfig(text, FILE);
  assert.deepEqual(config.pools.map((p) => p.name), ["alpha", "beta", "aaa"]);
  assert.deepEqual(config.pools.map((p) => p.line), [1, 8, 12]);
  const servers = config.pools[0]?.servers ?? [];
  assert.deepEqual(servers.map((s) => s.name), [
    "b",
    "127.0.0.1",
    "/tmp/redis.sock:",
    "zz_long_name_first",
  ]);
  assert.deepEqual(servers.map((s) => s.line), [5, 7, 6, 4]);
  assert.deepEqual(servers.map((s) => s.weight), [1, 2, 1, 1]);
  assert.deepEqual(config.pools[1]?.listen, {
    transport: "unix",
    path: "/tmp/beta.sock",
    mode: 0o600,
  });
  assert.equal(config.pools[1]?.listenSpec, "/tmp/beta.sock 0600");
  assert.deepEqual(config.pools[2]?.listen, { transport: "tcp", host: "::1", port: 22123 });
});

Deno.test("parseConfig() returns a deeply frozen config", () => {
  const config = parseConfig(pool(), FILE);
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.pools));
  assert.ok(Object.isFrozen(config.pools[0]));
  assert.ok(Object.isFrozen(config.pools[0]?.listen));
  assert.ok(Object.isFrozen(config.pools[0]?.servers));
  assert.ok(Object.isFrozen(config.pools[0]?.servers[0]));
  assert.ok(Object.isFrozen(config.pools[0]?.servers[0]?.address));
});

Deno.test("parseConfig() accepts what nutcracker accepts beyond the docs", () => {
  const ok = (text: string) => assert.doesNotThrow(() => parseConfig(text, FILE), text);
  ok(
    "# comment\nalpha: # pool\n  listen: 127.0.0.1:22121 # where\n  servers: # list\n    - 127.0.0.1:6379:1 # one\n",
  );
  ok("alpha:\n  ? listen\n  : 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n");
  ok('"alpha":\n  \'listen\': 127.0.0.1:22121\n  "servers":\n  - 127.0.0.1:6379:1\n');
  ok("123:\n  servers:\n    - 127.0.0.1:6379:1\n  listen: 127.0.0.1:22121\n");
  ok(pool("", "127.0.0.1:22121", ["127.0.0.1:6379:1 a", "127.0.0.1:6379:1 b"]));
  ok(pool("  redis: true\n  redis_db: 99999\n"));
});

Deno.test("parseConfig() reports YAML syntax errors with their position", () => {
  // At the ': ' that makes the value a mapping (npm:yaml said column 11, the value's start).
  refuses(
    "alpha:\n  listen: 127.0.0.1: 22121\n  servers:\n    - 127.0.0.1:6379:1\n",
    { line: 2, column: 20 },
    "YAML syntax error",
    "': ' inside a value",
    "quote values",
  );
  refuses(
    "alpha:\n\tlisten: 127.0.0.1:22121\n",
    { line: 2, column: 1 },
    "Tabs",
    "indent with spaces",
  );
  // At the misplaced key (npm:yaml said column 1), naming the indentations that would fit.
  refuses(
    "alpha:\n  listen: 127.0.0.1:22121\n servers:\n    - 127.0.0.1:6379:1\n",
    { line: 3, column: 2 },
    "YAML syntax error",
    "indented by 1 space",
    "indented by 0 or 2",
  );
  // At the '[' that starts a flow list (npm:yaml said column 16, after the list's ']').
  refuses(
    pool("", "[::1]:22121"),
    { line: 2, column: 11, pool: "alpha", key: "listen" },
    "flow list [...] is not allowed",
    "start with [",
  );
});

Deno.test("parseConfig() refuses files without pools", () => {
  refuses("", { line: 1, column: 1 }, "the file defines no pools", "define at least one pool");
  refuses("# only a comment\n", { line: 1, column: 1 }, "defines no pools");
  refuses("alpha\n", { line: 1, column: 1 }, "the top level must be a mapping of pool names");
  refuses("- alpha\n", { line: 1, column: 1 }, "the top level must be a mapping");
});

Deno.test("parseConfig() refuses the YAML nutcracker refuses", () => {
  refuses("---\n" + pool(), { line: 1, column: 1 }, "'---' is not allowed", "remove the line");
  refuses(pool() + "...\n", { line: 5, column: 1 }, "'...' is not allowed");
  refuses("%YAML 1.1\n---\n" + pool(), { line: 1, column: 1 }, "directive is not allowed");
  refuses(pool() + "---\nbeta: x\n", { line: 5, column: 1 }, "more than one YAML document");
  refuses(
    "alpha:\n  listen: &l 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n",
    { line: 2, column: 11, pool: "alpha", key: "listen" },
    "anchor '&l' is not allowed",
    "write values out in full",
  );
  refuses(
    pool() + "beta:\n  listen: *l\n  servers:\n    - 127.0.0.1:6379:1\n",
    { line: 6, column: 11, pool: "beta", key: "listen" },
    "alias '*l' is not allowed",
  );
  refuses(
    pool("  timeout: !!str 400\n"),
    { line: 3, column: 12, pool: "alpha", key: "timeout" },
    "tag '!!str' is not allowed",
  );
  refuses(
    "alpha:\n  listen: 127.0.0.1:22121\n  servers: [127.0.0.1:6379:1]\n",
    { line: 3, column: 12, pool: "alpha", key: "servers" },
    "flow list [...] is not allowed",
    "lines starting with '- '",
  );
  refuses(
    "alpha: {listen: 127.0.0.1:22121}\n",
    { line: 1, column: 8, pool: "alpha" },
    "flow mapping",
  );
});

Deno.test("parseConfig() refuses pools that are not mappings of known keys", () => {
  refuses(
    "alpha: 127.0.0.1:22121\n",
    { line: 1, column: 8, pool: "alpha" },
    "must be a mapping of keys, not a single value",
  );
  refuses(
    "alpha:\n",
    { line: 1, column: 1, pool: "alpha" },
    "the pool has no settings",
    "indent its keys",
  );
  refuses("alpha:\n  - listen\n", { line: 2, column: 3, pool: "alpha" }, "not a list");
  refuses(
    '"":\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n',
    { line: 1, column: 1 },
    "a pool has no name",
  );
  refuses(
    pool() + pool("", "127.0.0.1:22122"),
    { line: 5, column: 1, pool: "alpha" },
    "the pool name is used twice (first on line 1)",
    "distinct name",
  );
  refuses(
    pool("  hsah: md5\n"),
    { line: 3, column: 3, pool: "alpha", key: "hsah" },
    "unknown key 'hsah'",
    "did you mean 'hash'?",
  );
  refuses(
    "alpha:\n  Listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n",
    { line: 2, column: 3, pool: "alpha", key: "Listen" },
    "did you mean 'listen'?",
  );
  refuses(
    pool("  colour: blue\n"),
    { line: 3, column: 3, pool: "alpha", key: "colour" },
    `the keys are ${POOL_KEY_NAMES.join(", ")}`,
  );
  refuses(
    pool("  hash: md5\n  hash: crc32\n"),
    { line: 4, column: 3, pool: "alpha", key: "hash" },
    "appears twice in the pool (first on line 3)",
    "keep only one",
  );
  refuses(
    pool() + "  servers:\n    - 127.0.0.1:6380:1\n",
    { line: 5, column: 3, pool: "alpha", key: "servers" },
    "appears twice",
  );
  refuses(
    pool("  hash:\n    name: md5\n"),
    { line: 4, column: 5, pool: "alpha", key: "hash" },
    "must be a single value, not a mapping",
    "use one of one_at_a_time",
  );
  refuses(
    "alpha:\n  listen:\n    - 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n",
    { line: 3, column: 5, pool: "alpha", key: "listen" },
    "must be a single value, not a list",
    "use host:port",
  );
  refuses(
    pool("  hash:\n"),
    { line: 3, column: 8, pool: "alpha", key: "hash" },
    "the value is empty",
    "or remove the key",
  );
  refuses(pool('  redis_auth: ""\n  redis: true\n'), {
    line: 3,
    column: 15,
    pool: "alpha",
    key: "redis_auth",
  }, "the value is empty");
});

Deno.test("parseConfig() refuses missing or empty listen and servers", () => {
  refuses(
    "alpha:\n  servers:\n    - 127.0.0.1:6379:1\n",
    { line: 1, column: 1, pool: "alpha", key: "listen" },
    "the pool has no listen key",
    "listen: 127.0.0.1:22121",
  );
  refuses(
    "alpha:\n  listen: 127.0.0.1:22121\n",
    { line: 1, column: 1, pool: "alpha", key: "servers" },
    "the pool has no servers key",
    "127.0.0.1:6379:1",
  );
  refuses(
    "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n",
    { line: 3, column: 11, pool: "alpha", key: "servers" },
    "the server list is empty",
    "list at least one server",
  );
  refuses(
    "alpha:\n  listen: 127.0.0.1:22121\n  servers: 127.0.0.1:6379:1\n",
    { line: 3, column: 12, pool: "alpha", key: "servers" },
    "servers must be a list",
    "starting with '- '",
  );
  refuses(
    pool("", "127.0.0.1:22121", ["", "127.0.0.1:6379:1"]),
    { line: 4, column: 7, pool: "alpha", key: "servers" },
    "a server entry is empty",
  );
  refuses(
    "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - - 127.0.0.1:6379:1\n",
    { line: 4, column: 7, pool: "alpha", key: "servers" },
    "not a single line of text",
  );
});

Deno.test("parseConfig() refuses bad values, naming what is allowed", () => {
  const at = (key: string, column: number) => ({ line: 3, column, pool: "alpha", key });
  refuses(
    pool("  hash: fnv2\n"),
    at("hash", 9),
    "unknown hash 'fnv2'",
    `use one of ${HASH_NAMES.join(", ")}`,
  );
  refuses(pool("  hash: MD5\n"), at("hash", 9), "did you mean 'md5'?");
  refuses(
    pool("  distribution: ketama2\n"),
    at("distribution", 17),
    "did you mean 'ketama'?",
    "ketama, modula, random",
  );
  refuses(pool('  hash_tag: "{"\n'), at("hash_tag", 13), "1 byte long", "exactly two characters");
  refuses(pool('  hash_tag: "{}}"\n'), at("hash_tag", 13), "3 bytes long");
  refuses(pool("  redis: True\n"), at("redis", 10), "'True' is not a boolean", "use true or false");
  refuses(pool("  preconnect: yes\n"), at("preconnect", 15), "'yes' is not a boolean");
  refuses(pool("  tcpkeepalive: 1\n"), at("tcpkeepalive", 17), "not a boolean");
  for (const bad of ["-1", "1.5", "0x10", "+5", "many", "2147483648", "4294967296"]) {
    refuses(
      pool(`  timeout: ${bad}\n`),
      at("timeout", 12),
      `'${bad}' is not a number`,
      "from 0 to 2147483647",
    );
  }
  refuses(pool("  backlog: -5\n"), at("backlog", 12), "not a number", "whole number from 0");
  refuses(
    pool("  redis: true\n  redis_db: -1\n"),
    { ...at("redis_db", 13), line: 4 },
    "not a number",
  );
  refuses(
    pool("  server_connections: 0\n"),
    at("server_connections", 23),
    "server_connections cannot be 0",
    "from 1 to 2147483647",
  );
  refuses(
    pool("  redis_auth: secret\n"),
    at("redis_auth", 3),
    "only valid for a redis pool",
    "set redis: true",
  );
  refuses(
    pool("  redis: false\n  redis_auth: secret\n"),
    { ...at("redis_auth", 3), line: 4 },
    "only valid for a redis pool",
  );
});

Deno.test("parseConfig() refuses bad listen values", () => {
  const at = { line: 2, column: 11, pool: "alpha", key: "listen" };
  refuses(pool("", "127.0.0.1"), at, "has no port", "host:port");
  refuses(pool("", "tmp/n.sock"), at, "has no port", "absolute unix socket path");
  refuses(pool("", "127.0.0.1:0"), at, "'0' is not a valid port", "from 1 to 65535");
  refuses(pool("", "127.0.0.1:65536"), at, "'65536' is not a valid port");
  refuses(pool("", '":22121"'), at, "the host is empty");
  refuses(pool("", "/tmp/n.sock 07777"), at, "above 0777");
  refuses(pool("", "/tmp/n.sock abc"), at, "not an octal file mode", "/tmp/nutmeg.sock 0666");
  refuses(pool("", `/tmp/${"x".repeat(110)}`), at, "at most 107 bytes");
  refuses(
    "alpha:\n  listen: |\n    127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n",
    at,
    "'22121\\n' is not a valid port",
  );
});

Deno.test("parseConfig() refuses bad server lines at their line", () => {
  const at = { line: 4, column: 7, pool: "alpha", key: "servers" };
  const bad = (line: string, ...parts: string[]) =>
    refuses(pool("", "127.0.0.1:22121", [line]), at, ...parts);
  bad("127.0.0.1:6379", "needs a host, a port and a weight", "host:port:weight [name]");
  bad("127.0.0.1:6379:0", "the weight is 0", "1 or more");
  bad("127.0.0.1:6379:-1", "not a valid weight", "from 1 to 2147483647");
  bad("127.0.0.1:0:1", "'0' is not a valid port");
  bad('"127.0.0.1:6379:1 my server"', "cannot contain spaces");
  bad("/tmp/redis.sock", "has no weight");
  bad("/tmp/a:b:1", "contains ':'");
  bad(":6379:1", "the host is empty");
  bad("127.0.0.1:6379:1:2", "too many ':' fields");
  refuses(
    pool("", "127.0.0.1:22121", ["127.0.0.1:6379:1 a", "127.0.0.1:6380:1 a"]),
    { ...at, line: 5 },
    "server name 'a' is already used on line 4",
    "distinct name",
  );
  refuses(
    pool("", "127.0.0.1:22121", ["127.0.0.1:6379:1", "127.0.0.1:6379:2"]),
    { ...at, line: 5 },
    "server name '127.0.0.1:6379' is already used on line 4",
    "the default name of a server is host:port",
  );
  refuses(
    pool("", "127.0.0.1:22121", ["10.0.0.1:11211:1", "10.0.0.1:11211:2"]),
    { ...at, line: 5 },
    "server name '10.0.0.1' is already used",
    "host for port 11211",
  );
});

Deno.test("parseConfig() refuses two pools on one listen address", () => {
  const beta = (listen: string) =>
    `beta:\n  listen: ${listen}\n  servers:\n    - 127.0.0.1:6379:1\n`;
  const at = { line: 6, column: 11, pool: "beta", key: "listen" };
  refuses(
    pool() + beta("127.0.0.1:22121"),
    at,
    "already the listen address of pool 'alpha' (line 1)",
    "its own listen address",
  );
  refuses(pool() + beta("127.1:22121"), at, "already the listen address");
  refuses(pool("", "/tmp/a.sock") + beta("/tmp/a.sock 0666"), at, "already the listen address");
  assert.doesNotThrow(() => parseConfig(pool() + beta("127.0.0.1:22122"), FILE));
});

Deno.test("loadConfig() reads a file, or says why it cannot", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.yml`;
    await Deno.writeTextFile(good, "\ufeff" + pool());
    const config = await loadConfig(good);
    assert.equal(config.file, good);
    assert.equal(config.pools[0]?.name, "alpha");

    await assert.rejects(() => loadConfig(`${dir}/missing.yml`), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.line, null);
      assert.ok(
        e.message.startsWith(`${dir}/missing.yml: cannot read the configuration file`),
        e.message,
      );
      assert.ok(e.message.includes("check the path given with -c"));
      return true;
    });

    const binary = `${dir}/binary.yml`;
    await Deno.writeFile(binary, new Uint8Array([0x61, 0x3a, 0xff, 0xfe, 0x0a]));
    await assert.rejects(() => loadConfig(binary), /not valid UTF-8/);

    const bad = `${dir}/bad.yml`;
    await Deno.writeTextFile(bad, pool("  hash: fnv2\n"));
    await assert.rejects(() => loadConfig(bad), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(
        e.message.startsWith(
          `${bad}:3:9: pool 'alpha': key 'hash': unknown hash 'fnv2'; use one of`,
        ),
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a hostile value is quoted cut to 60 bytes in the message", () => {
  const long = "h".repeat(100_000);
  for (
    const text of [
      pool(`  hash: ${"h".repeat(1000)}\n`),
      pool(`  hash_tag: "${"x".repeat(30_000)}\n    ${"x".repeat(30_000)}"\n`),
      pool("", undefined, [
        `127.0.0.1:6379:1 ${"n".repeat(500)}`,
        `127.0.0.2:6379:1 ${"n".repeat(500)}`,
      ]),
      pool(`  ${"k".repeat(1000)}: 1\n`),
      `${"p".repeat(1000)}:\n  listen: ${
        long.slice(0, 3000)
      }\n  servers:\n    - 127.0.0.1:6379:1\n`,
    ]
  ) {
    let message = "";
    try {
      parseConfig(text, FILE);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      message = e.message;
    }
    assert.ok(
      message.length > 0 && message.length < 600,
      `${message.length}: ${message.slice(0, 200)}`,
    );
    assert.match(message, /\.\.\.'/);
  }
});

Deno.test("a line over 64 KiB is refused before parsing, naming its line", () => {
  const text = pool(`  hash_tag: "${"x".repeat(70_000)}"\n`);
  assert.throws(() => parseConfig(text, FILE), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.equal(e.line, 3);
    assert.match(e.message, /^conf\/x\.yml:3:1: the line is 70014 characters long, over the 65536/);
    assert.ok(e.message.length < 400);
    return true;
  });
});

Deno.test("a 50 MB file is refused without being parsed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/big.yml`;
    const f = await Deno.open(file, { write: true, create: true });
    await f.write(new TextEncoder().encode(pool('  hash_tag: "')));
    await f.truncate(50_000_000);
    f.close();
    await assert.rejects(() => loadConfig(file), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(
        e.message,
        `${file}: the file is 50000000 bytes long, over the 16777216 bytes nutmeg reads; ` +
          "a configuration needs far less; check that -c names the right file",
      );
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseConfig() on random mutations of good files parses or throws a ConfigError with a position", async () => {
  const dir = new URL("../../tests/fixtures/conf/cases/", import.meta.url);
  const seeds: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.startsWith("good_")) {
      seeds.push(await Deno.readTextFile(new URL(entry.name, dir)));
    }
  }
  seeds.sort();
  assert.ok(seeds.length > 50);
  // A fixed-seed generator (mulberry32), so that a failure is the same on every run.
  let state = 0x9e3779b9;
  const random = (n: number): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
  const ALPHABET = [
    ..." \t\n\r:-#'\"\\|>&*!?[]{},%@`~.0123456789ax",
    "\ufeff",
    "---",
    "\n  ",
    "\n- ",
  ];
  const mutate = (text: string): string => {
    const at = random(text.length + 1);
    switch (random(5)) {
      case 0:
        return text.slice(0, at) + ALPHABET[random(ALPHABET.length)] + text.slice(at);
      case 1:
        return text.slice(0, at) + text.slice(at + 1 + random(3));
      case 2: {
        const lines = text.split("\n");
        const i = random(lines.length);
        lines.splice(random(lines.length), 0, lines[i] ?? "");
        return lines.join("\n");
      }
      case 3: {
        const lines = text.split("\n");
        const i = random(lines.length);
        lines[i] = (random(2) === 0 ? " " : "") + (lines[i] ?? "").slice(random(2));
        return lines.join("\n");
      }
      default:
        return text.slice(0, at) + ALPHABET[random(ALPHABET.length)] + text.slice(at + 1);
    }
  };
  let parsed = 0;
  for (let round = 0; round < 4000; round++) {
    let text = seeds[random(seeds.length)] ?? "";
    for (let n = 1 + random(3); n > 0; n--) text = mutate(text);
    try {
      parseConfig(text, FILE);
      parsed++;
    } catch (e) {
      if (!(e instanceof ConfigError)) {
        throw new Error(`not a ConfigError for ${JSON.stringify(text)}`, { cause: e });
      }
      assert.ok(e.line !== null && e.line >= 1 && e.column !== null && e.column >= 1, e.message);
      assert.ok(e.message.startsWith(`${FILE}:${e.line}:${e.column}: `), e.message);
      assert.ok(e.hint !== "", e.message);
    }
  }
  assert.ok(parsed > 100, `${parsed} of the mutations parse`);
});
