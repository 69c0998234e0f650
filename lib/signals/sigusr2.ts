/**
 * SIGUSR2, the reload signal. Its default action kills the process, and
 * nutcracker ignores it, so nutmeg hooks it from the first line of
 * `main.ts`; what it does is set with {@link onSigusr2} (the command line
 * logs it at INFO until reload exists).
 *
 * @module
 */

type Handler = () => void;

let handler: Handler | null = null;
let hooked = false;

function dispatch(): void {
  handler?.();
}

/**
 * Makes SIGUSR2 run `fn` instead of killing the process, replacing any
 * handler set before. Returns the function that puts the previous handler
 * back. The signal stays hooked (ignored when no handler is set) for the
 * rest of the process's life: a SIGUSR2 must never kill nutmeg.
 *
 * @example
 * ```ts ignore
 * import { onSigusr2 } from "./lib/signals/sigusr2.ts";
 * const restore = onSigusr2(() => console.error("reload requested"));
 * restore();
 * ```
 */
export function onSigusr2(fn: Handler | null): () => void {
  hookSigusr2();
  const previous = handler;
  handler = fn;
  return () => {
    if (handler === fn) handler = previous;
  };
}

/** Hooks SIGUSR2 so it no longer kills the process (idempotent; nothing on Windows). */
export function hookSigusr2(): void {
  if (hooked || Deno.build.os === "windows") return;
  hooked = true;
  Deno.addSignalListener("SIGUSR2", dispatch);
}
