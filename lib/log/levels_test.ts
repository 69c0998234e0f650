import assert from "node:assert/strict";
import { clampLevel, LOG_LEVEL_DEFAULT, LOG_LEVEL_NAMES, LogLevel } from "./levels.ts";

Deno.test("LogLevel numbers twemproxy's levels 0..11", () => {
  assert.equal(LOG_LEVEL_NAMES.length, 12);
  for (const [i, name] of LOG_LEVEL_NAMES.entries()) assert.equal(LogLevel[name], i);
  assert.equal(LOG_LEVEL_DEFAULT, LogLevel.NOTICE);
  assert.equal(LogLevel.PVERB, 11);
});

Deno.test("clampLevel() keeps levels in 0..11", () => {
  assert.equal(clampLevel(-1), 0);
  assert.equal(clampLevel(0), 0);
  assert.equal(clampLevel(7), 7);
  assert.equal(clampLevel(99), 11);
  assert.equal(clampLevel(6.7), 6);
  assert.equal(clampLevel(NaN), 5);
});
