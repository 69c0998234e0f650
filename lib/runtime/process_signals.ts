/**
 * The process signals a running nutmeg answers, wired the same way whether
 * one event loop serves (the {@link Runtime}) or several workers do (the
 * workers' runtime): SIGINT and SIGTERM stop, SIGUSR2 reloads (through the
 * process-wide hook of lib/signals/sigusr2.ts, so it never kills). Never
 * SIGUSR1: since Deno 2.9.2 it opens the V8 inspector.
 *
 * @module
 */
import type { LogFn } from "../log/levels.ts";
import { LOG_NOTICE } from "../log/levels.ts";
import { onSigusr2 } from "../signals/sigusr2.ts";

/** What the signals do. */
export interface SignalActions {
  /** SIGINT or SIGTERM arrived. */
  stop(): void;
  /** SIGUSR2 arrived (after the NOTICE line is logged). */
  reload(): void;
  /** Where the NOTICE line about SIGUSR2 goes. */
  readonly log: LogFn;
}

/**
 * Wires SIGINT, SIGTERM and SIGUSR2 to `actions`; returns the function that
 * unwires them. Does nothing on Windows.
 */
export function wireProcessSignals(actions: SignalActions): () => void {
  if (Deno.build.os === "windows") return () => {};
  const stop = () => actions.stop();
  const handlers: [Deno.Signal, () => void][] = [["SIGINT", stop], ["SIGTERM", stop]];
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  const restoreSigusr2 = onSigusr2(() => {
    actions.log(LOG_NOTICE, "signal SIGUSR2 received, reloading the configuration");
    actions.reload();
  });
  return () => {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    restoreSigusr2();
  };
}
