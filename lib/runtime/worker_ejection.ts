/**
 * A worker's side of the one placement of `--workers N`: its pools report
 * each failure of a server, and its first response after failures, to the
 * main thread (lib/runtime/ejection_board.ts), which decides; the notes it
 * broadcasts back (eject, return, failing) are applied here to the pools of
 * this worker. A worker never ejects or brings back a server on its own.
 *
 * @module
 */
import type { Ejectable, EjectableServer, EjectionAuthority } from "../pool/ejection.ts";
import type { Pool } from "../pool/pool.ts";
import { addressText } from "../pool/server.ts";
import type { FromWorker, PlacementNote, ServerRef } from "./worker_protocol.ts";

function refOf(pool: Ejectable, server: EjectableServer): ServerRef {
  return { pool: pool.name, server: server.name, address: addressText(server.address) };
}

/** The ejection authority of a worker's pools: it reports and the main thread decides. */
export class WorkerEjection implements EjectionAuthority {
  readonly poolTimesReturn = false;
  readonly #post: (m: FromWorker) => void;

  /** `post` sends a message to the main thread. */
  constructor(post: (m: FromWorker) => void) {
    this.#post = post;
  }

  failure<S extends EjectableServer>(pool: Ejectable<S>, server: S): void {
    // Without auto_eject_hosts nothing is decided: nothing to report.
    if (!pool.autoEject) return;
    server.failures++;
    this.#post({
      t: "failure",
      ...refOf(pool, server),
      limit: pool.failureLimit,
      autoEject: pool.autoEject,
      retryTimeout: pool.retryTimeout,
    });
  }

  recovered<S extends EjectableServer>(pool: Ejectable<S>, server: S): void {
    server.failures = 0;
    if (pool.autoEject) this.#post({ t: "recovered", ...refOf(pool, server) });
  }
}

/**
 * Applies `note` to the server it names in `pools` (the worker's pools in
 * force, or a reload's prepared ones); `counting`: this worker is the one
 * that counts an ejection it decided in server_ejects. Notes about pools
 * or servers that are not there (a reload removed them) change nothing.
 */
export function applyNote(
  pools: readonly Pool[],
  note: PlacementNote,
  worker: number,
  counting = true,
): void {
  const pool = pools.find((p) => p.name === note.pool);
  const server = pool?.servers.find((s) =>
    s.name === note.server && addressText(s.address) === note.address
  );
  if (pool === undefined || server === undefined) return;
  switch (note.t) {
    case "eject":
      if (server.failures === 0) server.failures = 1;
      pool.eject(
        server,
        note.at,
        Infinity,
        counting && note.counter === worker,
        note.failures,
      );
      return;
    case "return":
      pool.readmit(server);
      return;
    case "failing":
      if (server.failures === 0) server.failures = 1;
      return;
  }
}
