import assert from "node:assert/strict";
import { checkPolicy, COMMAND_TABLE } from "./command_spec.ts";
import { COMMANDS, COMMANDS_REDIS_VERSION } from "./commands.ts";
import { PINNED_REDIS_VERSION } from "../../../tools/gen_redis_commands.ts";
import { POLICY } from "./policy.ts";

Deno.test("POLICY names only commands of commands.ts, and the command table reads it", () => {
  const names = new Set(COMMANDS.map((r) => r[0]));
  for (const [name, p] of Object.entries(POLICY)) {
    assert.ok(names.has(name), name);
    const bar = name.indexOf("|");
    const top = COMMAND_TABLE.get(bar < 0 ? name : name.slice(0, bar))!;
    const spec = bar < 0 ? top : top.subcommands!.get(name.slice(bar + 1))!;
    assert.equal(spec.kind, p.kind, name);
    assert.equal(spec.merge, p.merge ?? null, name);
    assert.equal(spec.why, p.why ?? null, name);
  }
  assert.equal(COMMAND_TABLE.get("copy")!.dbOption?.length, 2);
  assert.equal(COMMAND_TABLE.get("get")!.dbOption, null);
  // Not listed: refused.
  assert.equal(COMMAND_TABLE.get("keys")!.kind, "unsupported");
  assert.equal(COMMAND_TABLE.get("client")!.kind, "container");
});

Deno.test("checkPolicy() refuses names that are no command, forwards of several keys, missing mergers", () => {
  const names = new Set(Object.keys(POLICY));
  const keys = (name: string) => COMMANDS.find((r) => r[0] === name)?.[2] ?? "";
  checkPolicy(new Set(COMMANDS.map((r) => r[0])), keys);
  names.delete("mget");
  assert.throws(() => checkPolicy(names, keys), /policy\.ts: 'mget' is not a command/);
  assert.throws(
    () => checkPolicy(new Set(COMMANDS.map((r) => r[0])), (n) => n === "get" ? "1;2" : keys(n)),
    /'get' is forward but its keys are '1;2': use together/,
  );
});

Deno.test("commands.ts is pinned to the redis-server version the replies were recorded from", () => {
  assert.equal(COMMANDS_REDIS_VERSION, PINNED_REDIS_VERSION);
  const fixture = new URL(`testdata/redis_${PINNED_REDIS_VERSION}_replies.json`, import.meta.url);
  assert.ok(Deno.statSync(fixture).isFile);
});
