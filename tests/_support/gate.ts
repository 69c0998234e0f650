/**
 * Test support: a TCP gate in front of a real server. Shut, it accepts each
 * connection and closes it at once (a broken server that keeps its port,
 * so no other test's process can take it meanwhile); open, it forwards each
 * new connection to the server behind it. Ejection tests use it to break a
 * real redis-server and mend it on demand.
 *
 * @module
 */

/** A gate on a free 127.0.0.1 port; `await using` closes it and every connection. */
export interface Gate extends AsyncDisposable {
  readonly port: number;
  /** Whether new connections are forwarded (true) or closed at once (false). */
  open: boolean;
}

function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}

/** Copies `from` to `to` until either ends, then closes both. */
async function pipe(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while (true) {
      const n = await from.read(buf);
      if (n === null) break;
      let off = 0;
      while (off < n) off += await to.write(buf.subarray(off, n));
    }
  } catch {
    // reset or closed by the other direction
  } finally {
    closeQuietly(from);
    closeQuietly(to);
  }
}

/** Starts a shut gate in front of 127.0.0.1:`target`. */
export function startGate(target: number): Gate {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tasks = new Set<Promise<void>>();
  const conns = new Set<Deno.Conn>();
  const state = { open: false };
  const serve = async (conn: Deno.Conn) => {
    conns.add(conn);
    try {
      if (!state.open) return;
      const up = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.add(up);
      await Promise.all([pipe(conn, up), pipe(up, conn)]);
      conns.delete(up);
    } catch {
      // the server behind is gone
    } finally {
      conns.delete(conn);
      closeQuietly(conn);
    }
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const t = serve(conn);
        tasks.add(t);
        t.finally(() => tasks.delete(t));
      }
    } catch {
      // closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get open() {
      return state.open;
    },
    set open(v: boolean) {
      state.open = v;
    },
    async [Symbol.asyncDispose]() {
      try {
        listener.close();
      } catch {
        // closed
      }
      for (const c of conns) closeQuietly(c);
      await accepting;
      await Promise.all([...tasks]);
    },
  };
}
