import assert from "node:assert/strict";
import { bytesOf } from "../../../tests/_support/bytes.ts";
import { COMMANDS, findCommand, Kind } from "./commands.ts";

Deno.test("findCommand() finds every command of the table by its bytes", () => {
  for (const c of COMMANDS) {
    const b = bytesOf(` ${c.name} `);
    assert.equal(findCommand(b, 1, b.length - 1), c);
  }
});

Deno.test("findCommand() knows no upper-case, prefix or unknown command", () => {
  for (
    const name of ["GET", "Get", "MG", "mx", "mgx", "ge", "gett", "sets", "bget", "x", ""]
  ) {
    const b = bytesOf(name);
    assert.equal(findCommand(b, 0, b.length), null, name);
  }
});

Deno.test("COMMANDS holds each supported command once", () => {
  const names = COMMANDS.map((c) => c.name);
  assert.equal(new Set(names).size, names.length);
  assert.deepEqual(names.toSorted(), [
    "add",
    "append",
    "cas",
    "decr",
    "delete",
    "flush_all",
    "gat",
    "gats",
    "get",
    "gets",
    "incr",
    "ma",
    "md",
    "me",
    "mg",
    "mn",
    "ms",
    "prepend",
    "quit",
    "replace",
    "set",
    "stats",
    "touch",
    "verbosity",
    "version",
  ]);
  assert.equal(COMMANDS.find((c) => c.name === "cas")?.kind, Kind.Cas);
});
