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

/**
 * A runtime's stop request and its signal wiring: SIGINT/SIGTERM (or
 * {@link requestStop}) resolve {@link stopRequested}; SIGUSR2 calls `reload`.
 * Shared by the single-loop runtime and the workers' runtime.
 */
export class RuntimeSignals {
  readonly #stopped = Promise.withResolvers<void>();
  readonly #reload: () => void;
  readonly #log: LogFn;
  #unwire: (() => void) | null = null;

  /** `reload` runs on SIGUSR2; `log` gets the NOTICE line about it. */
  constructor(reload: () => void, log: LogFn) {
    this.#reload = reload;
    this.#log = log;
  }

  /** Wires the signals; returns the function that unwires them. */
  install(): () => void {
    const unwire = wireProcessSignals({
      stop: () => this.#stopped.resolve(),
      reload: this.#reload,
      log: this.#log,
    });
    const dispose = () => {
      unwire();
      this.#unwire = null;
    };
    this.#unwire = dispose;
    return dispose;
  }

  /** Unwires the signals if they are wired. */
  uninstall(): void {
    this.#unwire?.();
  }

  /** Asks for a stop (what SIGINT and SIGTERM do). */
  requestStop(): void {
    this.#stopped.resolve();
  }

  /** Resolves once a stop was asked for. */
  get stopRequested(): Promise<void> {
    return this.#stopped.promise;
  }
}
