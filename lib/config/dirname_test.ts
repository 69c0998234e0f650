import assert from "node:assert/strict";
import { dirname as nodeDirname, win32 } from "node:path";
import { dirname } from "./dirname.ts";

const POSIX = [
  "conf/nutcracker.yml",
  "nutcracker.yml",
  "/nutcracker.yml",
  "/etc/nutcracker/nutcracker.yml",
  "./x.yml",
  "../x.yml",
  "a//b.yml",
  "a/b/",
  "/",
  "",
  "a/b\\c.yml",
];

Deno.test("dirname() reads POSIX paths as node:path does", () => {
  for (const path of POSIX) assert.equal(dirname(path, false), nodeDirname(path), path);
});

Deno.test("dirname() reads Windows paths as node:path's win32 does", () => {
  for (const path of ["C:\\conf\\x.yml", "C:\\x.yml", "conf\\x.yml", "conf/x.yml", "x.yml"]) {
    assert.equal(dirname(path, true), win32.dirname(path), path);
  }
});
