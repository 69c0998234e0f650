/**
 * The Deno floor: the least a Deno server can do to answer redis-benchmark's
 * PING (`*1\r\n$4\r\nPING\r\n`, 14 bytes), so the report can show how far
 * above the runtime's own cost per request nutmeg is. Per connection it reads
 * into one reused buffer and answers each read with one write of one
 * `+PONG\r\n` per whole PING received; it parses nothing beyond counting
 * bytes. It is what the client side of any Deno proxy costs at least.
 *
 * Run: `deno run -A bench/floor.ts <port>` (listens on 127.0.0.1).
 *
 * @module
 */

/** Bytes of one redis-benchmark PING (`-t ping_mbulk`). */
export const PING_BYTES = 14;
const PONG = new TextEncoder().encode("+PONG\r\n");

/** `count` PONGs back to back, from a buffer grown on demand. */
export class Pongs {
  #buf = new Uint8Array(0);

  /** The first `count` PONGs (a view). */
  take(count: number): Uint8Array {
    const n = count * PONG.length;
    if (this.#buf.length < n) {
      const next = new Uint8Array(Math.max(n, 1024 * PONG.length));
      for (let i = 0; i < next.length; i += PONG.length) next.set(PONG, i);
      this.#buf = next;
    }
    return this.#buf.subarray(0, n);
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await conn.write(bytes.subarray(done));
}

async function serve(conn: Deno.TcpConn, pongs: Pongs): Promise<void> {
  conn.setNoDelay(true);
  const buf = new Uint8Array(16 * 1024);
  let carry = 0;
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      carry += n;
      const count = Math.floor(carry / PING_BYTES);
      carry -= count * PING_BYTES;
      if (count > 0) await writeAll(conn, pongs.take(count));
    }
  } catch {
    // reset by the client: done
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

if (import.meta.main) {
  const port = Number(Deno.args[0]);
  if (!Number.isInteger(port) || port <= 0) {
    console.error("usage: deno run -A bench/floor.ts <port>");
    Deno.exit(2);
  }
  const pongs = new Pongs();
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
  for await (const conn of listener) serve(conn, pongs);
}
