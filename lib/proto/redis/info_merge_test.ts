import assert from "node:assert/strict";
import { bytesToHuman, mergeInfo } from "./info_merge.ts";

const enc = new TextEncoder();
const bulk = (t: string) => enc.encode(`$${t.length}\r\n${t}\r\n`);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

Deno.test("bytesToHuman() writes sizes as redis-server does", () => {
  assert.equal(bytesToHuman(1023), "1023B");
  assert.equal(bytesToHuman(1024), "1.00K");
  assert.equal(bytesToHuman(2.5 * 1024 * 1024), "2.50M");
});

Deno.test("mergeInfo() sums command stats field by field and recomputes usec_per_call", () => {
  const a =
    "# Commandstats\r\ncmdstat_get:calls=2,usec=10,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r\n";
  const b =
    "# Commandstats\r\ncmdstat_get:calls=3,usec=5,usec_per_call=1.67,rejected_calls=1,failed_calls=0\r\n" +
    "cmdstat_set:calls=1,usec=4,usec_per_call=4.00,rejected_calls=0,failed_calls=0\r\n";
  const merged = text(mergeInfo(() => "", false, 2)([bulk(a), bulk(b)]));
  const want =
    "# Commandstats\r\ncmdstat_get:calls=5,usec=15,usec_per_call=3.00,rejected_calls=1,failed_calls=0\r\n" +
    "cmdstat_set:calls=1,usec=4,usec_per_call=4.00,rejected_calls=0,failed_calls=0\r\n";
  assert.equal(merged, `$${want.length}\r\n${want}\r\n`);
});

Deno.test("mergeInfo() leaves out servers that failed and says how many answered", () => {
  const merged = text(
    mergeInfo(() => "# Proxy\r\npool:p\r\n", true, 3)([enc.encode("-ERR Connection refused\r\n")]),
  );
  const want = "# Proxy\r\npool:p\r\nservers_answering:0\r\n";
  assert.equal(merged, `=${want.length + 4}\r\ntxt:${want}\r\n`);
});
