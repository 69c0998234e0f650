/**
 * Test support: a misbehaving backend on a loopback port. For each request
 * it reads (one per CRLF-terminated line or RESP array, roughly), it calls a
 * script that decides what bytes to send back and whether to close. Used only
 * for faults a real server will not produce on demand (garbage, half
 * replies, unsolicited replies); everything else is tested against real
 * redis-server and memcached.
 *
 * @module
 */
import { freePort } from "./servers.ts";

/** What the script does for the n-th chunk a connection received. */
export interface FakeAction {
  /** Bytes to send (may be partial replies or garbage). */
  readonly send?: string;
  /** Close the connection after sending. */
  readonly close?: boolean;
}

/** A fake backend listening on 127.0.0.1. */
export class FakeBackend implements AsyncDisposable {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #loop: Promise<void>;
  /** Connections accepted so far. */
  accepted = 0;

  /** `script(chunk, index)` is called for each chunk read on a connection. */
  constructor(script: (chunk: string, index: number) => FakeAction) {
    this.port = freePort();
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: this.port });
    this.#loop = this.#accept(script);
  }

  async #accept(script: (chunk: string, index: number) => FakeAction): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.accepted++;
      this.#conns.add(conn);
      const t = this.#serve(conn, script);
      this.#tasks.add(t);
      t.finally(() => this.#tasks.delete(t));
    }
  }

  async #serve(conn: Deno.Conn, script: (chunk: string, i: number) => FakeAction): Promise<void> {
    const buf = new Uint8Array(65536);
    const enc = new TextEncoder();
    const dec = new TextDecoder();
    try {
      for (let i = 0;; i++) {
        const n = await conn.read(buf);
        if (n === null) break;
        const action = script(dec.decode(buf.subarray(0, n)), i);
        if (action.send) await conn.write(enc.encode(action.send));
        if (action.close) break;
      }
    } catch {
      // reset
    } finally {
      this.#conns.delete(conn);
      try {
        conn.close();
      } catch {
        // closed
      }
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch {
        // closed
      }
    }
    await this.#loop;
    await Promise.all(this.#tasks);
  }
}
