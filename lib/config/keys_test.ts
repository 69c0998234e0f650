import assert from "node:assert/strict";
import { POOL_KEY_NAMES, POOL_KEY_TABLE, POOL_KEYS, POOL_RULES } from "./keys.ts";
import { parseConfig } from "./load.ts";

Deno.test("POOL_KEYS lists every twemproxy pool key once, in README order", () => {
  assert.deepEqual(POOL_KEY_NAMES, [
    "listen",
    "client_connections",
    "hash",
    "hash_tag",
    "distribution",
    "timeout",
    "backlog",
    "tcpkeepalive",
    "preconnect",
    "redis",
    "redis_auth",
    "redis_db",
    "server_connections",
    "dedicated_connections", // nutmeg's own, beside server_connections
    "auto_eject_hosts",
    "server_retry_timeout",
    "server_failure_limit",
    "servers",
    "tls_cert",
    "tls_key",
    "tls_ca",
    "server_tls",
    "server_tls_ca",
    "server_tls_cert",
    "server_tls_key",
    "server_tls_name",
    "sentinels",
    "sentinel_auth",
  ]);
  assert.equal(new Set(POOL_KEYS.map((k) => k.field)).size, POOL_KEYS.length);
});

Deno.test("POOL_KEY_TABLE holds twemproxy's defaults", () => {
  const defaults = Object.fromEntries(
    POOL_KEYS.filter((k) => !k.required).map((k) => [k.key, k.default]),
  );
  assert.deepEqual(defaults, {
    client_connections: 0,
    hash: "fnv1a_64",
    hash_tag: null,
    distribution: "ketama",
    timeout: null,
    backlog: 512,
    tcpkeepalive: false,
    preconnect: false,
    redis: false,
    redis_auth: null,
    redis_db: 0,
    server_connections: 1,
    dedicated_connections: 1024,
    auto_eject_hosts: false,
    server_retry_timeout: 30000,
    server_failure_limit: 2,
    tls_cert: null,
    tls_key: null,
    tls_ca: null,
    server_tls: false,
    server_tls_ca: null,
    server_tls_cert: null,
    server_tls_key: null,
    server_tls_name: null,
    sentinels: [],
    sentinel_auth: null,
  });
  assert.deepEqual(POOL_KEYS.filter((k) => k.required).map((k) => k.key), ["listen", "servers"]);
});

Deno.test("every key has docs and says what is allowed", () => {
  for (const k of POOL_KEYS) {
    assert.ok(k.description.length > 10, k.key);
    assert.ok(k.allowed.length > 5, k.key);
  }
  assert.equal(POOL_RULES[0]?.key, "redis_auth");
  for (const r of POOL_RULES) assert.ok(POOL_KEY_NAMES.includes(r.key), r.key);
});

Deno.test("the loader fills each field from the key table", () => {
  const pool =
    parseConfig("a:\n  listen: 127.0.0.1:1\n  servers:\n    - 127.0.0.1:2:1\n", "t.yml").pools[0];
  assert.ok(pool);
  for (const k of POOL_KEYS) {
    if (!k.required) assert.deepEqual(pool[k.field], k.default, k.key);
  }
  assert.equal(POOL_KEY_TABLE.serverConnections.parse("7"), 7);
  assert.throws(() => POOL_KEY_TABLE.serverConnections.parse("0"), /cannot be 0/);
  assert.equal(POOL_KEY_TABLE.timeout.parse("0"), null);
});
