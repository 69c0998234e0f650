/**
 * The messages between the main thread and the workers of `--workers N`
 * (lib/runtime/workers.ts, lib/runtime/worker_main.ts): plain data for
 * postMessage. The main thread asks; each request carries a `seq` that the
 * worker's reply repeats. Log lines flow from the workers to the main
 * thread, which writes them one at a time. Ejection is decided on the main
 * thread (lib/runtime/ejection_board.ts): workers report failures and
 * recoveries, the main thread broadcasts {@link PlacementNote}s (no reply).
 *
 * @module
 */
import type { WorkerStats } from "../stats/merge.ts";
import type { QuotaShare } from "./shared_quota.ts";

/** How a worker starts: its number and the configuration text in force. */
export interface WorkerInit {
  readonly t: "init";
  readonly seq: number;
  /** 0 .. N-1; worker 0 also binds the addresses that cannot be shared. */
  readonly id: number;
  /** The configuration file's name (for messages) and text. */
  readonly file: string;
  readonly text: string;
  readonly chunk: number;
  readonly graceMs: number;
  readonly logLevel: number;
  /** The process-wide connection counts (lib/runtime/shared_quota.ts). */
  readonly quota: QuotaShare;
}

/** A request of the main thread to a worker. */
export type ToWorker =
  | WorkerInit
  | { readonly t: "stats"; readonly seq: number; readonly logLevel: number }
  | {
    readonly t: "prepare";
    readonly seq: number;
    readonly file: string;
    readonly text: string;
    /** The counts' names, with those of the new configuration. */
    readonly quota: QuotaShare;
  }
  | { readonly t: "commit"; readonly seq: number }
  | { readonly t: "abort"; readonly seq: number }
  | { readonly t: "close"; readonly seq: number; readonly graceMs: number };

/** A server of a pool, as every worker names it. */
export interface ServerRef {
  readonly pool: string;
  readonly server: string;
  /** The server's address in words (a server at another address is another server). */
  readonly address: string;
}

/** A worker saw a server fail once; with its pool's ejection settings. */
export interface FailureReport extends ServerRef {
  readonly limit: number;
  readonly autoEject: boolean;
  /** server_retry_timeout in ms. */
  readonly retryTimeout: number;
}

/** What the main thread tells every worker about the placement (no reply). */
export type PlacementNote =
  /** Leave the ring until `return`; the worker numbered `counter` counts it in server_ejects. */
  | ServerRef & {
    readonly t: "eject";
    readonly at: number;
    readonly failures: number;
    readonly counter: number;
  }
  /** Back in the ring. */
  | ServerRef & { readonly t: "return" }
  /** A run of failures began: report the server's next response. */
  | ServerRef & { readonly t: "failing" };

/** A message of a worker to the main thread. */
export type FromWorker =
  | { readonly t: "log"; readonly level: number; readonly message: string }
  | FailureReport & { readonly t: "failure" }
  | ServerRef & { readonly t: "recovered" }
  | {
    readonly t: "reply";
    readonly seq: number;
    /** null when the request was done; else why not (a ListenError's text, ...). */
    readonly error: string | null;
    readonly stats?: WorkerStats;
  };
