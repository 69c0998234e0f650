/**
 * InStream against a fake connection: each read handed to the consumer,
 * partial messages kept in place, `want` honoured, reads paused by the
 * consumer's gate, EOF and read errors.
 */
import assert from "node:assert/strict";
import { latin1 } from "../../tests/_support/bytes.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { type ByteConsumer, InStream } from "./in_stream.ts";

/** A consumer of CRLF-terminated lines that records them; `want` for `$<n>` lines. */
class Lines implements ByteConsumer {
  readonly lines: string[] = [];
  calls = 0;
  readGate: Promise<void> | null = null;

  consume(input: InStream): void {
    this.calls++;
    while (input.start < input.end) {
      const buf = input.buf.subarray(input.start, input.end);
      if (buf[0] === 0x24) {
        // `$<n>\r\n` then n bytes: a message whose length is known from its head.
        const head = buf.indexOf(10);
        if (head < 0) return;
        const n = Number(latin1(buf.subarray(1, head - 1)));
        const total = head + 1 + n;
        if (buf.length < total) {
          input.want = total;
          return;
        }
        input.want = 0;
        this.lines.push(`$${n}`);
        input.start += total;
        continue;
      }
      const lf = buf.indexOf(10);
      if (lf < 0) return;
      this.lines.push(latin1(buf.subarray(0, lf - 1)));
      input.start += lf + 1;
    }
  }
}

Deno.test("InStream hands each read to the consumer and keeps a partial message in place", async () => {
  const conn = new FakeConn();
  const lines = new Lines();
  const done = new InStream(conn.conn, 16384).run(lines);
  conn.deliver("one\r\ntw");
  await settle();
  assert.deepEqual(lines.lines, ["one"]);
  conn.deliver("o\r\nthree\r\n");
  await settle();
  assert.deepEqual(lines.lines, ["one", "two", "three"]);
  conn.end();
  await done;
});

Deno.test("InStream does not call the consumer before `want` bytes are there", async () => {
  const conn = new FakeConn();
  const lines = new Lines();
  const done = new InStream(conn.conn, 1024).run(lines);
  const body = "x".repeat(5000);
  conn.deliver(`$5000\r\n${body.slice(0, 100)}`);
  await settle();
  const calls = lines.calls;
  for (let at = 100; at < 4900; at += 700) {
    conn.deliver(body.slice(at, Math.min(at + 700, 4900)));
    await settle();
  }
  assert.equal(lines.calls, calls, "no call while the message is incomplete");
  assert.deepEqual(lines.lines, []);
  conn.deliver(body.slice(4900) + "end\r\n");
  await settle();
  assert.deepEqual(lines.lines, ["$5000", "end"]);
  conn.end();
  await done;
});

Deno.test("InStream reads nothing while the consumer's gate is closed, then parses what was read", async () => {
  const conn = new FakeConn();
  const lines = new Lines();
  let open!: () => void;
  const done = new InStream(conn.conn, 1024).run(lines);
  conn.deliver("a\r\n");
  await settle();
  lines.readGate = new Promise((r) => open = r);
  conn.deliver("b\r\n");
  await settle();
  // The read already pending takes "b" (the consumer sees it and may leave
  // it unparsed); after it no read is made while the gate is closed.
  const reads = conn.reads;
  conn.deliver("c\r\n");
  await settle();
  assert.equal(conn.reads, reads, "no read while paused");
  assert.deepEqual(lines.lines, ["a", "b"]);
  lines.readGate = null;
  open();
  await settle();
  assert.deepEqual(lines.lines, ["a", "b", "c"]);
  conn.end();
  await done;
});

Deno.test("InStream resolves at EOF and rejects on a read error", async () => {
  const eof = new FakeConn();
  const a = new Lines();
  const ended = new InStream(eof.conn, 1024).run(a);
  eof.deliver("last\r\n");
  eof.end();
  await ended;
  assert.deepEqual(a.lines, ["last"]);

  const reset = new FakeConn();
  const failing = new InStream(reset.conn, 1024).run(new Lines());
  reset.failRead();
  await assert.rejects(failing, Deno.errors.ConnectionReset);
});

Deno.test("InStream.cancel() ends the loop once the pending read returns", async () => {
  const conn = new FakeConn();
  const lines = new Lines();
  const stream = new InStream(conn.conn, 1024);
  const done = stream.run(lines);
  await settle();
  stream.cancel();
  conn.close();
  await done;
  assert.deepEqual(lines.lines, []);
});

Deno.test("InStream frames a message far larger than its buffer in many reads", async () => {
  const conn = new FakeConn();
  const lines = new Lines();
  const done = new InStream(conn.conn, 1024).run(lines);
  const n = 1 << 18;
  const data = "$" + n + "\r\n" + "y".repeat(n) + "tail\r\n";
  for (let at = 0; at < data.length; at += 4096) conn.deliver(data.slice(at, at + 4096));
  conn.end();
  await done;
  assert.deepEqual(lines.lines, [`$${n}`, "tail"]);
});

/** Consumes `$<n>\r\n` + n bytes messages and records each body's distinct bytes. */
class Bodies implements ByteConsumer {
  readonly bodies: string[] = [];
  readGate: Promise<void> | null = null;

  consume(input: InStream): void {
    while (input.start < input.end) {
      const buf = input.buf.subarray(input.start, input.end);
      const head = buf.indexOf(10);
      if (head < 0) return;
      const n = Number(latin1(buf.subarray(1, head - 1)));
      if (buf.length < head + 1 + n) return;
      this.bodies.push([...new Set(latin1(buf.subarray(head + 1, head + 1 + n)))].join(""));
      input.start += head + 1 + n;
    }
  }
}

Deno.test("InStream: streams growing after another's burst read their own bytes, side by side", async () => {
  // A's burst ends: its grown buffer is given up (and kept for the next stream that grows).
  const a = new FakeConn();
  const aBodies = new Bodies();
  const aDone = new InStream(a.conn, 1024).run(aBodies);
  const big = (c: string) => "$" + (1 << 17) + "\r\n" + c.repeat(1 << 17);
  const data = big("a");
  for (let at = 0; at < data.length; at += 4096) a.deliver(data.slice(at, at + 4096));
  await settle();
  a.deliver("$1\r\nx");
  await settle();
  // B and C grow at the same time, their reads interleaved.
  const b = new FakeConn();
  const c = new FakeConn();
  const bBodies = new Bodies();
  const cBodies = new Bodies();
  const bDone = new InStream(b.conn, 1024).run(bBodies);
  const cDone = new InStream(c.conn, 1024).run(cBodies);
  const bData = big("b");
  const cData = big("c");
  for (let at = 0; at < bData.length; at += 3000) {
    b.deliver(bData.slice(at, at + 3000));
    c.deliver(cData.slice(at, at + 3000));
    await settle();
  }
  for (const conn of [a, b, c]) conn.end();
  await Promise.all([aDone, bDone, cDone]);
  assert.deepEqual(aBodies.bodies, ["a", "x"]);
  assert.deepEqual(bBodies.bodies, ["b"]);
  assert.deepEqual(cBodies.bodies, ["c"]);
});
