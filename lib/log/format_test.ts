import assert from "node:assert/strict";
import { formatLogLine, formatTimestamp } from "./format.ts";

Deno.test("formatTimestamp() writes local YYYY-MM-DD HH:MM:SS.mmm", () => {
  assert.equal(formatTimestamp(new Date(2026, 0, 2, 3, 4, 5, 6)), "2026-01-02 03:04:05.006");
  assert.equal(formatTimestamp(new Date(1999, 11, 31, 23, 59, 59, 999)), "1999-12-31 23:59:59.999");
});

Deno.test("formatLogLine() brackets the timestamp as twemproxy does", () => {
  assert.equal(
    formatLogLine(new Date(2026, 10, 23, 22, 19, 29, 69), "hello"),
    "[2026-11-23 22:19:29.069] hello\n",
  );
});
