/**
 * One placement for `--workers N`: the main thread's ejection authority.
 * Each worker reports its servers' failures and first responses after
 * failures (lib/runtime/worker_ejection.ts); the board keeps the count per
 * pool and server for the whole process, decides the ejection with the same
 * rule as one event loop ({@link ejectionDue}), times the retry, and
 * broadcasts the ejection and the return to every worker, which apply them
 * to their placement. So no two workers place a key differently for longer
 * than a message takes between threads, and server_ejects counts each
 * ejection once (in the worker whose failure decided it).
 *
 * A failure that starts a run of failures is broadcast too (`failing`), so
 * that whichever worker sees the server respond next reports it and the
 * count restarts, as one event loop's would.
 *
 * @module
 */
import { ejectionDue } from "../pool/ejection.ts";
import type { FailureReport, PlacementNote, ServerRef } from "./worker_protocol.ts";

/** What the board knows of one server. */
interface Entry {
  readonly ref: ServerRef;
  /** Failures since the last response or the last ejection (the count restarts at both). */
  failures: number;
  /** The count that decided the current ejection (for the log of a worker that starts now). */
  ejectFailures: number;
  /** When the current ejection began (ms since the epoch); 0 = in the ring. */
  ejectedAt: number;
  timer: ReturnType<typeof setTimeout> | null;
}

function keyOf(r: ServerRef): string {
  return `${r.pool}\0${r.server}\0${r.address}`;
}

/** The main thread's ejection decisions; see the module comment. */
export class EjectionBoard {
  readonly #entries = new Map<string, Entry>();
  readonly #broadcast: (note: PlacementNote) => void;

  /** `broadcast` sends a note to every worker. */
  constructor(broadcast: (note: PlacementNote) => void) {
    this.#broadcast = broadcast;
  }

  /** Worker `worker` saw the server of `r` fail once. */
  failure(r: FailureReport, worker: number): void {
    const key = keyOf(r);
    let e = this.#entries.get(key);
    if (e === undefined) {
      e = {
        ref: { pool: r.pool, server: r.server, address: r.address },
        failures: 0,
        ejectFailures: 0,
        ejectedAt: 0,
        timer: null,
      };
      this.#entries.set(key, e);
    }
    e.failures++;
    if (e.failures === 1 && e.ejectedAt === 0) this.#broadcast({ t: "failing", ...e.ref });
    if (!ejectionDue(e.failures, r.limit, r.autoEject, e.ejectedAt !== 0)) return;
    const entry = e;
    entry.ejectedAt = Date.now();
    entry.ejectFailures = entry.failures;
    // As twemproxy (and one event loop): the count starts again at the ejection.
    entry.failures = 0;
    this.#broadcast({
      t: "eject",
      ...entry.ref,
      at: entry.ejectedAt,
      failures: entry.ejectFailures,
      counter: worker,
    });
    entry.timer = setTimeout(() => {
      entry.timer = null;
      entry.ejectedAt = 0;
      this.#broadcast({ t: "return", ...entry.ref });
      if (entry.failures === 0) this.#entries.delete(key);
    }, r.retryTimeout);
  }

  /** A worker saw the server of `r` respond after failures. */
  recovered(r: ServerRef): void {
    const key = keyOf(r);
    const e = this.#entries.get(key);
    if (e === undefined) return;
    e.failures = 0;
    if (e.ejectedAt === 0) this.#entries.delete(key);
  }

  /** The ejections in force, as notes for a worker that starts now (none counted again). */
  inForce(): PlacementNote[] {
    const out: PlacementNote[] = [];
    for (const e of this.#entries.values()) {
      if (e.ejectedAt !== 0) {
        out.push({
          t: "eject",
          ...e.ref,
          at: e.ejectedAt,
          failures: e.ejectFailures,
          counter: -1,
        });
      }
    }
    return out;
  }

  /** Forgets the servers `keep` does not hold (after a reload removed them). */
  retain(keep: (pool: string, server: string) => boolean): void {
    for (const [key, e] of this.#entries) {
      if (keep(e.ref.pool, e.ref.server)) continue;
      if (e.timer !== null) clearTimeout(e.timer);
      this.#entries.delete(key);
    }
  }

  /** Stops every retry timer (at shutdown). */
  close(): void {
    for (const e of this.#entries.values()) {
      if (e.timer !== null) clearTimeout(e.timer);
      e.timer = null;
    }
    this.#entries.clear();
  }
}
