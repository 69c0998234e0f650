import assert from "node:assert/strict";
import { decodeReply, describe, encodeCommand, ReplyError } from "./client.ts";

const enc = new TextEncoder();

Deno.test("encodeCommand() writes a RESP array of bulk strings", () => {
  assert.equal(
    new TextDecoder().decode(encodeCommand(["SENTINEL", "get-master-addr-by-name", "é"])),
    "*3\r\n$8\r\nSENTINEL\r\n$23\r\nget-master-addr-by-name\r\n$2\r\né\r\n",
  );
});

Deno.test("decodeReply() reads the replies sentinels send, and waits for whole ones", () => {
  const text = "*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n" + "$-1\r\n" + "-ERR no\r\n" +
    ":3\r\n" + "+OK\r\n" + "*3\r\n$7\r\nmessage\r\n$14\r\n+switch-master\r\n$5\r\na b c\r\n";
  const buf = enc.encode(text);
  const out: unknown[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const r = decodeReply(buf, pos);
    assert.ok(r !== null);
    out.push(r[0]);
    pos = r[1];
  }
  assert.deepEqual(out, [
    ["127.0.0.1", "6379"],
    null,
    new ReplyError("ERR no"),
    3,
    "OK",
    ["message", "+switch-master", "a b c"],
  ]);
  for (let cut = 0; cut < buf.length; cut++) {
    const r = decodeReply(buf.subarray(0, cut), 0);
    if (r !== null) assert.ok(r[1] <= cut);
  }
  assert.equal(decodeReply(enc.encode("*2\r\n$1\r\na\r\n"), 0), null);
  assert.throws(() => decodeReply(enc.encode("?x\r\n"), 0), /not a RESP reply/);
  assert.equal(describe(new ReplyError("ERR x")), "-ERR x");
});

Deno.test("configEpoch() reads config-epoch from a SENTINEL master reply", async () => {
  const { configEpoch } = await import("./watcher.ts");
  assert.equal(configEpoch(["name", "m", "ip", "127.0.0.1", "config-epoch", "7"]), 7);
  assert.equal(configEpoch(["name", "m"]), null);
  assert.equal(configEpoch(new ReplyError("ERR x")), null);
});
