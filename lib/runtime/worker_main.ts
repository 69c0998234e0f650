/**
 * The code one worker of `--workers N` runs (a Deno Worker): an Engine
 * for the configuration the main thread sends, with its own listeners on
 * the same addresses (SO_REUSEPORT, so the kernel spreads clients over
 * the workers) and its own server connections. It answers the main
 * thread's requests (lib/runtime/worker_protocol.ts): its counters for the
 * one stats view, the two phases of a reload, and the drain at shutdown.
 * Its log lines go to the main thread, which writes them. Its pools do not
 * decide ejections: they report failures to the main thread and apply the
 * ejections and returns it broadcasts (lib/runtime/worker_ejection.ts).
 *
 * Tests only: when the environment names a file in NUTMEG_TEST_CRASH_FILE
 * and that file holds this worker's number, the worker removes the file
 * and dies of an uncaught error at its next stats request (there is no
 * other way to make a worker die on purpose from outside).
 *
 * @module
 */
import { parseConfig } from "../config/load.ts";
import { Engine, type PreparedReload } from "./engine.ts";
import { workerStatsOf } from "../stats/merge.ts";
import type { FromWorker, PlacementNote, ToWorker } from "./worker_protocol.ts";
import { applyNote, WorkerEjection } from "./worker_ejection.ts";
import { SharedQuota } from "./shared_quota.ts";

// deno-lint-ignore no-explicit-any
const port = self as any as {
  postMessage(m: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker | PlacementNote>) => void) | null;
  close(): void;
};

let engine: Engine | null = null;
let prepared: PreparedReload | null = null;
let level = 5;
let workerId = -1;
let quota: SharedQuota | null = null;
const ejection = new WorkerEjection(post);

/** The test-only crash trigger (see the module comment). */
function crashIfAsked(): void {
  let file: string | undefined;
  try {
    file = Deno.env.get("NUTMEG_TEST_CRASH_FILE");
  } catch {
    return; // no --allow-env
  }
  if (file === undefined || file === "") return;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    return;
  }
  if (text.trim() !== String(workerId)) return;
  Deno.removeSync(file);
  setTimeout(() => {
    throw new Error(`worker ${workerId} crashed on purpose (NUTMEG_TEST_CRASH_FILE)`);
  }, 0);
}

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
      workerId = m.id;
      quota = new SharedQuota(m.quota, m.id);
      const e = new Engine(parseConfig(m.text, m.file), {
        chunk: m.chunk,
        graceMs: m.graceMs,
        log: (lv, message) => {
          if (lv <= level) post({ t: "log", level: lv, message });
        },
        logLevel: () => level,
        sharing: { reusePort: true, ownsUnshared: m.id === 0 },
        ejection,
        quota,
      });
      e.open();
      engine = e;
      await e.ready();
      return null;
    }
    case "stats":
      level = m.logLevel;
      crashIfAsked();
      return null;
    case "prepare":
      prepared?.abort();
      prepared = null;
      quota?.update(m.quota);
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

function isNote(m: ToWorker | PlacementNote): m is PlacementNote {
  return m.t === "eject" || m.t === "return" || m.t === "failing";
}

port.onmessage = (e) => {
  const m = e.data;
  if (isNote(m)) {
    if (engine !== null) applyNote(engine.pools, m, workerId);
    // A reload built but not committed yet keeps the same placement when it is.
    if (prepared !== null) applyNote(prepared.generation.pools, m, workerId, false);
    return;
  }
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
