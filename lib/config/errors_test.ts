import assert from "node:assert/strict";
import { ConfigError, ValueError } from "./errors.ts";

Deno.test("ConfigError names file:line:column, pool and key, then reason; hint", () => {
  const e = new ConfigError({
    file: "conf/x.yml",
    line: 7,
    column: 9,
    pool: "alpha",
    key: "hash",
    reason: "unknown hash 'fnv2'",
    hint: "use one of one_at_a_time, md5",
  });
  assert.ok(e instanceof SyntaxError);
  assert.equal(e.name, "ConfigError");
  assert.equal(
    e.message,
    "conf/x.yml:7:9: pool 'alpha': key 'hash': unknown hash 'fnv2'; use one of one_at_a_time, md5",
  );
  assert.deepEqual([e.file, e.line, e.column, e.pool, e.key], [
    "conf/x.yml",
    7,
    9,
    "alpha",
    "hash",
  ]);
});

Deno.test("ConfigError leaves out what does not apply and stays on one line", () => {
  const base = { file: "f.yml", line: null, column: null, pool: null, key: null };
  assert.equal(
    new ConfigError({ ...base, reason: "cannot read", hint: "" }).message,
    "f.yml: cannot read",
  );
  assert.equal(
    new ConfigError({ ...base, line: 2, column: 3, reason: "'a\nb\tc\x01'", hint: "fix" }).message,
    "f.yml:2:3: 'a\\nb\\tc\\x01'; fix",
  );
});

Deno.test("ValueError carries reason and hint", () => {
  const e = new ValueError("bad", "use good");
  assert.equal(e.message, "bad; use good");
  assert.equal(e.reason, "bad");
  assert.equal(e.hint, "use good");
});

Deno.test("quote() cuts a value to 60 bytes and '...', at a character boundary", async () => {
  const { quote } = await import("./errors.ts");
  assert.equal(quote("fnv2"), "'fnv2'");
  assert.equal(quote("x".repeat(60)), `'${"x".repeat(60)}'`);
  assert.equal(quote("x".repeat(61)), `'${"x".repeat(60)}...'`);
  assert.equal(quote("é".repeat(40)), `'${"é".repeat(30)}...'`);
  assert.equal(quote("a" + "€".repeat(30)), `'a${"€".repeat(19)}...'`);
  assert.equal(quote("h".repeat(50_000_000)).length, 65);
});
