/**
 * Big buffers between InStream and OutStream (lib/net/lent.ts): a big
 * message read by one stream is written by another straight from the
 * reader's buffer (held once), the reader never writes over it, and every
 * buffer of LEND_MIN bytes or more is freed (detached: length 0) once nobody
 * needs it, without waiting for a garbage collection. Small messages are
 * copied as before.
 */
import assert from "node:assert/strict";
import { latin1 } from "../../tests/_support/bytes.ts";
import { FakeConn, settle } from "../../tests/_support/fake_conn.ts";
import { type ByteConsumer, InStream } from "./in_stream.ts";
import { LEND_MIN } from "./lent.ts";
import { type ByteSink, OutStream } from "./out_stream.ts";

/** A sink whose writes complete when the test says; it keeps what it was given (no copy). */
class HeldSink implements ByteSink {
  readonly given: Uint8Array[] = [];
  readonly #pending: (() => void)[] = [];
  write(p: Uint8Array): Promise<number> {
    this.given.push(p);
    const { promise, resolve } = Promise.withResolvers<number>();
    this.#pending.push(() => resolve(p.length));
    return promise;
  }
  release(): void {
    for (const done of this.#pending.splice(0)) done();
  }
}

/**
 * Frames `$<n>\r\n<n bytes>` and `line\r\n` messages; hands each `$` message
 * (head included) to `out`, and remembers the buffer it was read into.
 */
class Forward implements ByteConsumer {
  readonly readGate = null;
  readonly seen: string[] = [];
  /** The reader's buffer each `$` message was in. */
  readonly buffers: Uint8Array[] = [];
  constructor(readonly out: OutStream | null) {}
  consume(input: InStream): void {
    while (input.start < input.end) {
      const buf = input.buf;
      const s = input.start;
      if (buf[s] === 0x24) {
        const head = buf.indexOf(10, s);
        if (head < 0 || head >= input.end) return;
        const n = Number(latin1(buf.subarray(s + 1, head - 1)));
        const end = head + 1 + n;
        if (end > input.end) {
          input.want = end - s;
          return;
        }
        input.want = 0;
        this.seen.push(`$${n}`);
        this.buffers.push(buf);
        this.out?.append(buf, s, end);
        input.start = end;
        continue;
      }
      const lf = buf.indexOf(10, s);
      if (lf < 0 || lf >= input.end) return;
      this.seen.push(latin1(buf.subarray(s, lf - 1)));
      input.start = lf + 1;
    }
  }
}

const BIG = LEND_MIN * 2;

Deno.test("a big message goes from the reader's buffer to the writer with no copy, and is freed once written", async () => {
  const conn = new FakeConn();
  const sink = new HeldSink();
  const out = new OutStream(() => {}, null);
  out.attach(sink);
  const forward = new Forward(out);
  const done = new InStream(conn.conn, 16384).run(forward);
  conn.deliver(`$${BIG}\r\n${"y".repeat(BIG)}`);
  await settle();
  assert.deepEqual(forward.seen, [`$${BIG}`]);
  const lent = forward.buffers[0]!;
  assert.equal(sink.given.length, 1);
  assert.equal(sink.given[0]!.buffer, lent.buffer, "written from the reader's own buffer");
  assert.equal(sink.given[0]!.length, `$${BIG}\r\n`.length + BIG);

  // The reader goes on in another buffer; the lent bytes stay as they were.
  conn.deliver("next\r\n");
  await settle();
  assert.deepEqual(forward.seen, [`$${BIG}`, "next"]);
  assert.ok(lent.length >= BIG, "not freed while the write is pending");
  assert.equal(lent[lent.indexOf(10) + 1], 0x79);
  assert.equal(lent[`$${BIG}\r\n`.length + BIG - 1], 0x79);

  sink.release();
  await settle();
  assert.equal(lent.length, 0, "freed (detached) once written");
  assert.equal(out.pending, 0);
  conn.end();
  await done;
});

Deno.test("OutStream copies what it cannot lend and frees a buffer above LEND_MIN once written", async () => {
  const sink = new HeldSink();
  const out = new OutStream(() => {}, null);
  out.attach(sink);
  out.append(new TextEncoder().encode("+first\r\n"));
  await settle();
  // A write is in flight: the big append is copied behind it.
  const big = new Uint8Array(BIG).fill(0x7a);
  out.append(big);
  sink.release();
  await settle();
  assert.equal(sink.given.length, 2);
  const copy = sink.given[1]!;
  assert.notEqual(copy.buffer, big.buffer, "copied");
  assert.equal(copy.length, BIG);
  sink.release();
  await settle();
  assert.equal(copy.length, 0, "the copy's buffer is freed once written");
  assert.equal(big.length, BIG, "the caller's bytes are the caller's");
});

Deno.test("InStream frees a big buffer it no longer reads into", async () => {
  const conn = new FakeConn();
  const forward = new Forward(null);
  const done = new InStream(conn.conn, 16384).run(forward);
  conn.deliver(`$${BIG}\r\n${"y".repeat(BIG)}`);
  await settle();
  // Consumed: the next read goes into a small buffer and the big one is freed at once.
  assert.deepEqual(forward.seen, [`$${BIG}`]);
  assert.equal(forward.buffers[0]!.length, 0, "freed (detached) once consumed");
  conn.deliver("after\r\n");
  await settle();
  assert.deepEqual(forward.seen, [`$${BIG}`, "after"]);
  conn.end();
  await done;
});

Deno.test("small messages are copied, never lent", async () => {
  const conn = new FakeConn();
  const sink = new HeldSink();
  const out = new OutStream(() => {}, null);
  out.attach(sink);
  const forward = new Forward(out);
  const done = new InStream(conn.conn, 16384).run(forward);
  conn.deliver("$3\r\nabc");
  await settle();
  assert.equal(sink.given.length, 1);
  assert.notEqual(sink.given[0]!.buffer, forward.buffers[0]!.buffer);
  assert.equal(latin1(sink.given[0]!), "$3\r\nabc");
  sink.release();
  conn.end();
  await done;
});
