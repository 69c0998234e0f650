/**
 * The code one worker of `--workers N` runs (a Deno Worker): an Engine
 * for the configuration the main thread sends, with its own listeners on
 * the same addresses (SO_REUSEPORT, so the kernel spreads clients over
 * the workers) and its own server connections. It answers the main
 * thread's requests (lib/runtime/worker_protocol.ts): its counters for the
 * one stats view, the two phases of a reload, and the drain at shutdown.
 * Its log lines go to the main thread, which writes them.
 *
 * @module
 */
import { parseConfig } from "../config/load.ts";
import { Engine, type PreparedReload } from "./engine.ts";
import { workerStatsOf } from "../stats/merge.ts";
import type { FromWorker, ToWorker } from "./worker_protocol.ts";

// deno-lint-ignore no-explicit-any
const port = self as any as {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  close(): void;
};

let engine: Engine | null = null;
let prepared: PreparedReload | null = null;
let level = 5;

function post(m: FromWorker): void {
  port.postMessage(m);
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function handle(m: ToWorker): Promise<string | null> {
  switch (m.t) {
    case "init": {
      level = m.logLevel;
      const e = new Engine(parseConfig(m.text, m.file), {
        chunk: m.chunk,
        graceMs: m.graceMs,
        log: (lv, message) => {
          if (lv <= level) post({ t: "log", level: lv, message });
        },
        logLevel: () => level,
        sharing: { reusePort: true, ownsUnshared: m.id === 0 },
      });
      e.open();
      engine = e;
      await e.ready();
      return null;
    }
    case "stats":
      level = m.logLevel;
      return null;
    case "prepare":
      prepared?.abort();
      prepared = null;
      prepared = engine!.prepare(parseConfig(m.text, m.file));
      return null;
    case "commit": {
      const p = prepared;
      prepared = null;
      if (p === null) return "nothing prepared";
      await p.commit();
      return null;
    }
    case "abort":
      prepared?.abort();
      prepared = null;
      return null;
    case "close":
      prepared?.abort();
      prepared = null;
      await engine?.close(m.graceMs);
      return null;
  }
}

port.onmessage = (e) => {
  const m = e.data;
  handle(m).then(
    (error) => {
      post({
        t: "reply",
        seq: m.seq,
        error,
        ...(m.t === "stats" && engine !== null ? { stats: workerStatsOf(engine) } : {}),
      });
      if (m.t === "close") port.close();
    },
    (err) => post({ t: "reply", seq: m.seq, error: reason(err) }),
  );
};
