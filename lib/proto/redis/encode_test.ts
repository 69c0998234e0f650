import assert from "node:assert/strict";
import { latin1 } from "../../../tests/_support/bytes.ts";
import {
  bulkSize,
  digitsOf,
  encodeCommand,
  errorReply,
  headerSize,
  ReplyBuilder,
  writeDecimal,
  writeHeader,
} from "./encode.ts";

Deno.test("digitsOf() and writeDecimal() handle 0 and large integers", () => {
  for (const n of [0, 9, 10, 99, 100, 12345, 2 ** 32, 2 ** 53 - 1]) {
    assert.equal(digitsOf(n), String(n).length);
    const out = new Uint8Array(20);
    const end = writeDecimal(out, 1, n);
    assert.equal(latin1(out.subarray(1, end)), String(n));
  }
});

Deno.test("writeHeader() and the size helpers agree", () => {
  for (const n of [-1, 0, 7, 10000]) {
    const out = new Uint8Array(headerSize(n));
    assert.equal(writeHeader(out, 0, 42, n), out.length);
    assert.equal(latin1(out), `*${n}\r\n`);
  }
  assert.equal(bulkSize(0), "$0\r\n\r\n".length);
  assert.equal(bulkSize(10), "$10\r\n0123456789\r\n".length);
});

Deno.test("ReplyBuilder writes RESP2 replies, with CR and LF in lines turned into spaces", () => {
  const reply = new ReplyBuilder()
    .array(5)
    .simple("OK")
    .error("ERR a\r\nb")
    .integer(-3)
    .bulk(null)
    .bulk(new Uint8Array([0, 13, 10]))
    .finish();
  assert.equal(latin1(reply), "*5\r\n+OK\r\n-ERR a  b\r\n:-3\r\n$-1\r\n$3\r\n\0\r\n\r\n");
  assert.equal(
    latin1(new ReplyBuilder().map(1).bulk("k").bulk("é").finish()),
    "*2\r\n$1\r\nk\r\n$2\r\n\xc3\xa9\r\n",
  );
  assert.equal(latin1(errorReply("ERR x")), "-ERR x\r\n");
  assert.equal(latin1(encodeCommand(["SELECT", "1"])), "*2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n");
});
