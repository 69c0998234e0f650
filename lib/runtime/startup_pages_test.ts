import assert from "node:assert/strict";
import { droppableMappings, dropStartupPages } from "./startup_pages.ts";

const EXE = "/usr/bin/deno";

/** One mapping of a /proc/PID/smaps text. */
function entry(range: string, perms: string, path: string, rss: number, anon: number): string {
  return [
    `${range} ${perms} 00000000 fe:00 2170883                    ${path}`,
    "Size:              28216 kB",
    `Rss:               ${rss} kB`,
    "Pss:               10000 kB",
    `Anonymous:         ${anon} kB`,
    "VmFlags: rd mr mw me sd",
  ].join("\n");
}

Deno.test("droppableMappings() takes the executable's read-only mappings that hold no page of their own", () => {
  const smaps = [
    entry("55d5cb2ff000-55d5cce8d000", "r--p", EXE, 10772, 0),
    entry("55d5cd103000-55d5d0df7000", "r-xp", EXE, 7888, 0),
    entry("55d5d0df7000-55d5d1069000", "rw-p", EXE, 2504, 2504), // data: written
    entry("55d5d1079000-55d5d107a000", "r--p", EXE, 4, 4), // relocated, then made read-only
    entry("7f8d37dc0000-7f8d37fe6000", "r-xp", `${EXE} (deleted)`, 1472, 0), // another file
    entry("7f8d37fe6000-7f8d38000000", "r-xp", "/usr/lib/x86_64-linux-gnu/libc.so.6", 1284, 0),
    entry("7f8d38000000-7f8d38040000", "rw-p", "", 256, 256),
    entry("7f8d38040000-7f8d38041000", "r-xp", EXE, 4, 0),
  ].join("\n") + "\n";
  assert.deepEqual(droppableMappings(smaps, EXE), [
    { start: 0x55d5cb2ff000n, end: 0x55d5cce8d000n, rssKb: 10772 },
    { start: 0x55d5cd103000n, end: 0x55d5d0df7000n, rssKb: 7888 },
    { start: 0x7f8d38040000n, end: 0x7f8d38041000n, rssKb: 4 },
  ]);
  assert.deepEqual(droppableMappings("", EXE), []);
});

/** Resident kB of this process's droppable mappings of the executable. */
function residentKb(): number {
  const smaps = Deno.readTextFileSync("/proc/self/smaps");
  return droppableMappings(smaps, Deno.execPath()).reduce((sum, m) => sum + m.rssKb, 0);
}

Deno.test({
  name: "dropStartupPages() unmaps the executable's pages, and the process runs on",
  ignore: Deno.build.os !== "linux",
  fn() {
    const before = residentKb();
    const r = dropStartupPages();
    assert.ok(r.dropped, JSON.stringify(r));
    assert.ok(r.mappings >= 1);
    assert.ok(r.kb > 0 && r.kb <= before + 1024, `${r.kb} kB of ${before} kB`);
    // What this test runs after the call came back (it had to), the rest did not.
    const after = residentKb();
    assert.ok(after < before / 2, `${after} kB resident after, ${before} kB before`);
    assert.equal([3, 1, 2].sort().join(), "1,2,3");
  },
});
