/**
 * OutStream against a fake connection: coalescing, one write in flight,
 * partial writes continued, drain and failure reporting.
 */
import assert from "node:assert/strict";
import { bytesOf } from "../../tests/_support/bytes.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { OutStream } from "./out_stream.ts";

function stream(conn: FakeConn) {
  const events = { drains: 0, errors: [] as unknown[] };
  const out = new OutStream((err) => events.errors.push(err), () => events.drains++);
  out.attach(conn.conn);
  return { out, events };
}

Deno.test("OutStream writes everything appended in one turn with one write", async () => {
  const conn = new FakeConn();
  const { out, events } = stream(conn);
  out.append(bytesOf("+OK\r\n"));
  out.append(bytesOf("xx:1\r\nyy"), 2, 6);
  out.append(bytesOf("$-1\r\n"));
  assert.equal(conn.writes.length, 0, "nothing is written before the turn ends");
  assert.equal(out.pending, 14);
  await settle();
  assert.equal(conn.writes.length, 1);
  assert.equal(conn.written, "+OK\r\n:1\r\n$-1\r\n");
  assert.equal(out.pending, 0);
  assert.equal(events.drains, 1);
});

Deno.test("OutStream continues a partial write before anything else", async () => {
  const conn = new FakeConn();
  conn.maxWrite = 3;
  const { out, events } = stream(conn);
  out.append(bytesOf("0123456789"));
  await settle();
  out.append(bytesOf("abc"));
  await settle(60);
  assert.ok(conn.writes.length >= 5, "each write takes at most 3 bytes");
  assert.ok(conn.writes.every((w) => w.length <= 3));
  assert.equal(conn.written, "0123456789abc");
  assert.equal(out.pending, 0);
  assert.ok(events.drains >= 1);
  assert.deepEqual(events.errors, []);
});

Deno.test("OutStream keeps one write in flight; appends meanwhile go in the next write", async () => {
  const conn = new FakeConn();
  conn.holdWrites = true;
  const { out, events } = stream(conn);
  out.append(bytesOf("first "));
  await settle();
  assert.equal(conn.heldWrites, 1);
  out.append(bytesOf("second "));
  out.append(bytesOf("third"));
  await settle();
  assert.equal(conn.heldWrites, 1, "no second write while one is pending");
  assert.equal(out.pending, 18);
  assert.equal(events.drains, 0);
  conn.holdWrites = false;
  conn.releaseWrites();
  await settle();
  assert.equal(conn.written, "first second third");
  assert.equal(conn.writes.length, 2);
  assert.equal(out.pending, 0);
  assert.equal(events.drains, 1);
});

Deno.test("OutStream reports a failed write once and drops what comes after", async () => {
  const conn = new FakeConn();
  conn.failWrites();
  const { out, events } = stream(conn);
  out.append(bytesOf("lost"));
  await settle();
  out.append(bytesOf("dropped"));
  await settle();
  assert.equal(events.errors.length, 1);
  assert.ok(events.errors[0] instanceof Deno.errors.BrokenPipe);
  assert.equal(out.pending, 0);
  assert.equal(conn.writes.length, 0);
});

Deno.test("OutStream keeps bytes appended before attach() and sends them first", async () => {
  const conn = new FakeConn();
  const out = new OutStream(() => {}, null);
  out.append(bytesOf("early "));
  await settle();
  out.attach(conn.conn);
  out.append(bytesOf("late"));
  await settle();
  assert.equal(conn.written, "early late");
});

Deno.test("OutStream.release() drops unsent bytes and writes nothing more", async () => {
  const conn = new FakeConn();
  const { out } = stream(conn);
  out.append(bytesOf("never"));
  out.release();
  out.append(bytesOf("sent"));
  await settle();
  assert.equal(conn.writes.length, 0);
  assert.equal(out.pending, 0);
});

Deno.test("OutStream: idle connections share output buffers, never one that is being written", async () => {
  const a = new FakeConn();
  const b = new FakeConn();
  a.holdWrites = true;
  b.holdWrites = true;
  const sa = stream(a);
  const sb = stream(b);
  sa.out.append(bytesOf("aaaa"));
  await settle();
  sb.out.append(bytesOf("bbbb"));
  await settle();
  assert.equal(a.heldWrites, 1);
  assert.equal(b.heldWrites, 1);
  a.releaseWrites();
  await settle();
  // a is idle again: its buffer is free for b's next reply, while b's first write is still held.
  sb.out.append(bytesOf("cccc"));
  sa.out.append(bytesOf("dddd"));
  await settle();
  b.releaseWrites();
  await settle();
  assert.equal(a.written, "aaaadddd");
  assert.equal(b.written, "bbbbcccc");
  assert.equal(sa.out.pending, 0);
  assert.equal(sb.out.pending, 0);
});

Deno.test("OutStream.release() during a write keeps that write's buffer out of the shared pool", async () => {
  const a = new FakeConn();
  a.holdWrites = true;
  const sa = stream(a);
  sa.out.append(bytesOf("owed to a"));
  await settle();
  sa.out.release();
  // Another connection appends at once: it must not get the buffer a's write still reads.
  const b = new FakeConn();
  const sb = stream(b);
  sb.out.append(bytesOf("for b...."));
  await settle();
  a.releaseWrites();
  await settle();
  assert.equal(a.written, "owed to a");
  assert.equal(b.written, "for b....");
});
