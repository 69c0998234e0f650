/**
 * Test support: a Redis-speaking fake backend that keeps accepting
 * connections and then breaks them, the way a half-dead server does (it
 * answers AUTH, or half a pipeline, and drops the connection). No real
 * redis-server can be made to do this on demand, so the ejection tests use
 * this one beside a real redis-server. Its behaviour can be switched while it
 * runs, so a test can watch the proxy take a mended server back.
 *
 * @module
 */
import { type ChunkHandler, FakeBackend } from "./fake_backend.ts";

/**
 * What the backend does with each read on a connection:
 * - `first-then-close`: answers the first command read (`+OK`: an AUTH or
 *   SELECT the proxy sent first), then closes;
 * - `close-at-once`: closes on the first read, answering nothing;
 * - `half-then-close`: answers half the commands read (rounded up) with
 *   `$-1`, then closes;
 * - `serve`: answers every command with `+OK` and keeps the connection.
 */
export type BreakingMode = "first-then-close" | "close-at-once" | "half-then-close" | "serve";

/** A fake backend whose {@link mode} may be changed at any time; `await using` closes it. */
export interface BreakingBackend extends AsyncDisposable {
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Applies to the next read on every connection. */
  mode: BreakingMode;
}

/** Commands in a chunk of RESP requests (each starts with `*`; the tests' keys have none). */
function commandsIn(chunk: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < chunk.length; i++) if (chunk[i] === 0x2a) n++;
  return n;
}

/** Starts a breaking backend on a free 127.0.0.1 port in `mode`. */
export function startBreakingBackend(mode: BreakingMode): BreakingBackend {
  const state = { mode };
  const fake = FakeBackend.raw((): ChunkHandler => (chunk) => {
    const n = Math.max(1, commandsIn(chunk));
    switch (state.mode) {
      case "first-then-close":
        return { send: "+OK\r\n", close: true };
      case "close-at-once":
        return { close: true };
      case "half-then-close":
        return { send: "$-1\r\n".repeat(Math.ceil(n / 2)), close: true };
      case "serve":
        return { send: "+OK\r\n".repeat(n) };
    }
  });
  return {
    port: fake.port,
    get accepted() {
      return fake.accepted;
    },
    get mode() {
      return state.mode;
    },
    set mode(m: BreakingMode) {
      state.mode = m;
    },
    [Symbol.asyncDispose]: () => fake.close(),
  };
}
