import assert from "node:assert/strict";
import { bytesOf, latin1 } from "../../../tests/_support/bytes.ts";
import {
  mergeAllOk,
  mergeAllOnes,
  mergeMget,
  mergeMgetRuns,
  mergeSame,
  mergeSum,
  skipValue,
} from "./merge.ts";

const b = bytesOf;

Deno.test("skipValue() steps over whole RESP2 values of any depth", () => {
  const values = [
    "+OK\r\n",
    "-ERR x\r\n",
    ":-12\r\n",
    "$-1\r\n",
    "$0\r\n\r\n",
    "$5\r\na\r\nb\0\r\n",
    "*-1\r\n",
    "*0\r\n",
    "*3\r\n$1\r\na\r\n*2\r\n:1\r\n*1\r\n+x\r\n-E\r\n",
  ];
  const all = b(values.join(""));
  let pos = 0;
  for (const v of values) {
    const end = skipValue(all, pos);
    assert.equal(latin1(all.subarray(pos, end)), v);
    pos = end;
  }
  assert.equal(pos, all.length);
  for (const bad of ["$5\r\nab\r\n", "*2\r\n:1\r\n", "?\r\n", "$3\r\nabcXY", ":1\r"]) {
    assert.equal(skipValue(b(bad), 0), -1, bad);
  }
});

Deno.test("mergeMget() rebuilds the array in the request's key order", () => {
  // Keys k0..k4 on parts 0, 1, 0, 2, 1.
  const merge = mergeMget(Int32Array.from([0, 1, 0, 2, 1]), Int32Array.from([2, 2, 1]));
  const out = merge([
    b("*2\r\n$2\r\nv0\r\n$-1\r\n"),
    b("*2\r\n$4\r\nv\r\n1\r\n$2\r\nv4\r\n"),
    b("*1\r\n$0\r\n\r\n"),
  ]);
  assert.equal(latin1(out), "*5\r\n$2\r\nv0\r\n$4\r\nv\r\n1\r\n$-1\r\n$0\r\n\r\n$2\r\nv4\r\n");
});

Deno.test("mergeMget() answers a part's error, or an error for a wrong reply", () => {
  const merge = mergeMget(Int32Array.from([0, 1]), Int32Array.from([1, 1]));
  assert.equal(
    latin1(merge([b("*1\r\n$1\r\na\r\n"), b("-ERR Connection refused\r\n")])),
    "-ERR Connection refused\r\n",
  );
  const wrong = "-ERR unexpected reply from a server to split 'mget'\r\n";
  assert.equal(latin1(merge([b("*2\r\n$1\r\na\r\n$1\r\nb\r\n"), b("*1\r\n$1\r\nc\r\n")])), wrong);
  assert.equal(latin1(merge([b(":1\r\n"), b("*1\r\n$1\r\nc\r\n")])), wrong);
  assert.equal(latin1(merge([b("*1\r\n$1\r\na\r\n"), b("*1\r\n$5\r\nc\r\n")])), wrong);
});

Deno.test("mergeMgetRuns() copies each run of keys on one part in one piece, checking every value", () => {
  // Keys on parts 0 0 1 1 1 0: runs (0, 2), (1, 3), (0, 1).
  const merge = mergeMgetRuns(Int32Array.from([0, 2, 1, 3, 0, 1]), 6, [3, 3]);
  const out = merge([
    b("*3\r\n$2\r\nv0\r\n$10\r\n0123456789\r\n*1\r\n:5\r\n"),
    b("*3\r\n$-1\r\n$3\r\na\r\n\r\n+x\r\n"),
  ]);
  assert.equal(
    latin1(out),
    "*6\r\n$2\r\nv0\r\n$10\r\n0123456789\r\n$-1\r\n$3\r\na\r\n\r\n+x\r\n*1\r\n:5\r\n",
  );
  const wrong = "-ERR unexpected reply from a server to split 'mget'\r\n";
  for (
    const bad of [
      "*3\r\n$2\r\nv0XY$1\r\na\r\n:1\r\n", // no CR LF after a value
      "*3\r\n$3\r\nv0\r\n$1\r\na\r\n:1\r\n", // a value shorter than its length
      "*3\r\n$99999999999\r\nv0\r\n$1\r\na\r\n:1\r\n", // an absurd length
      "*3\r\n$2\r\nv0\r\n$1\r\na\r\n", // a value missing
      "*3\r\n$2\r\nv0\r\n$1\r\na\r\n:1\r\n:2\r\n", // a value too many
    ]
  ) {
    assert.equal(latin1(merge([b(bad), b("*3\r\n$-1\r\n$-1\r\n$-1\r\n")])), wrong, bad);
  }
});

Deno.test("mergeMget() is linear in the number of keys", () => {
  const time = (n: number): number => {
    const parts = 3;
    const partOf = new Int32Array(n);
    const counts = new Int32Array(parts);
    for (let i = 0; i < n; i++) counts[partOf[i] = i % parts]!++;
    const replies = Array.from({ length: parts }, (_, p) => {
      let s = `*${counts[p]}\r\n`;
      for (let i = 0; i < counts[p]!; i++) s += "$10\r\nvalue-0123\r\n";
      return b(s);
    });
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const out = mergeMget(partOf, counts)(replies);
      best = Math.min(best, performance.now() - t0);
      assert.equal(out[0], 42);
    }
    return best;
  };
  time(1000);
  const small = time(10000);
  const big = time(40000);
  assert.ok(big < small * 9 + 10, `10k: ${small.toFixed(2)} ms, 40k: ${big.toFixed(2)} ms`);
});

Deno.test("mergeSum() adds integer replies (DEL, UNLINK, EXISTS, TOUCH, DBSIZE)", () => {
  const merge = mergeSum("del");
  assert.equal(latin1(merge([b(":1\r\n"), b(":0\r\n"), b(":2\r\n")])), ":3\r\n");
  assert.equal(
    latin1(merge([b(":1\r\n"), b("-ERR Connection timed out\r\n")])),
    "-ERR Connection timed out\r\n",
  );
  assert.equal(
    latin1(merge([b(":1\r\n"), b("+OK\r\n")])),
    "-ERR unexpected reply from a server to split 'del'\r\n",
  );
});

Deno.test("mergeAllOk() says OK only when every part did (MSET)", () => {
  const merge = mergeAllOk("mset");
  assert.equal(latin1(merge([b("+OK\r\n"), b("+OK\r\n")])), "+OK\r\n");
  assert.equal(latin1(merge([b("+OK\r\n"), b("-OOM no\r\n")])), "-OOM no\r\n");
  assert.equal(
    latin1(merge([b("+OK\r\n"), b(":1\r\n")])),
    "-ERR unexpected reply from a server to split 'mset'\r\n",
  );
});

Deno.test("mergeSame() and mergeAllOnes() merge SCRIPT LOAD and SCRIPT EXISTS", () => {
  const sha = "$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n";
  assert.equal(latin1(mergeSame("script|load")([b(sha), b(sha)])), sha);
  assert.equal(latin1(mergeSame("script|load")([b(sha), b("-ERR x\r\n")])), "-ERR x\r\n");
  const exists = mergeAllOnes("script|exists");
  assert.equal(
    latin1(exists([b("*3\r\n:1\r\n:1\r\n:0\r\n"), b("*3\r\n:1\r\n:0\r\n:0\r\n")])),
    "*3\r\n:1\r\n:0\r\n:0\r\n",
  );
  assert.equal(
    latin1(exists([b("*1\r\n:1\r\n"), b("*2\r\n:1\r\n:1\r\n")])),
    "-ERR unexpected reply from a server to split 'script|exists'\r\n",
  );
});
