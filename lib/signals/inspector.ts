/**
 * Keeps Deno's inspector port shut. Since Deno 2.9.2 (denoland/deno#35738) a
 * SIGUSR1 sent to a `deno run` process starts the V8 inspector on
 * 127.0.0.1:9229, where anyone who can connect runs code inside the proxy
 * (which holds the pools' passwords). There is no flag or variable to turn
 * it off, and a listener added with `Deno.addSignalListener` does not stop
 * it. Until Deno installs its own SIGUSR1 handler (500 ms after start) the
 * signal's default action kills the process instead.
 *
 * What works: add a JS listener for SIGUSR1 first (so the handler is in
 * place at once and Deno's later registration finds the signal already
 * hooked and installs nothing), then set SIGUSR1 to SIG_IGN with libc's
 * `signal()` through FFI. The kernel then discards SIGUSR1: no handler runs,
 * no inspector starts, the process is not killed. Child processes inherit
 * the disposition. This needs `--allow-ffi` (the `start` task, `-A` and the
 * compiled binary have it); without it the listener still keeps SIGUSR1 from
 * killing nutmeg, and {@link shutInspectorSignal} says why the port is not
 * shut so the command line can warn.
 *
 * @module
 */

/** What {@link shutInspectorSignal} achieved. */
export type InspectorGuard =
  | { readonly shut: true; readonly how: string }
  | { readonly shut: false; readonly why: string };

/** SIGUSR1's number where Deno runs (Linux, macOS, FreeBSD). */
function sigusr1Number(): number {
  return Deno.build.os === "linux" || Deno.build.os === "android" ? 10 : 30;
}

/** The C library that exports `signal()`. */
function libcPath(): string {
  switch (Deno.build.os) {
    case "darwin":
      return "/usr/lib/libSystem.B.dylib";
    case "freebsd":
      return "libc.so.7";
    default:
      return "libc.so.6";
  }
}

let result: InspectorGuard | null = null;

/**
 * Makes SIGUSR1 harmless for the rest of the process's life: afterwards it
 * neither opens the inspector nor kills the process. Call it first thing in
 * `main.ts`. Idempotent; returns what it could do (also later, from
 * {@link inspectorGuard}).
 *
 * @example
 * ```ts ignore
 * import { shutInspectorSignal } from "./lib/signals/inspector.ts";
 * const guard = shutInspectorSignal();
 * if (!guard.shut) console.error(guard.why);
 * ```
 */
export function shutInspectorSignal(): InspectorGuard {
  if (result !== null) return result;
  if (Deno.build.os === "windows") {
    result = { shut: true, how: "Windows has no SIGUSR1" };
    return result;
  }
  // Hook the signal before Deno's own inspector listener does (at 500 ms):
  // a stray SIGUSR1 no longer kills, and Deno will not install a handler of
  // its own over the SIG_IGN set below.
  Deno.addSignalListener("SIGUSR1", () => {});
  result = ignoreWithLibc();
  return result;
}

/** The outcome of {@link shutInspectorSignal}, or null before it ran. */
export function inspectorGuard(): InspectorGuard | null {
  return result;
}

function ignoreWithLibc(): InspectorGuard {
  const WHY = "SIGUSR1 would open Deno's inspector on 127.0.0.1:9229";
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return {
      shut: false,
      why: `${WHY}: run with --allow-ffi (as \`deno task start\` does) so nutmeg can ignore it`,
    };
  }
  let lib: Deno.DynamicLibrary<{ signal: { parameters: ["i32", "pointer"]; result: "pointer" } }>;
  try {
    lib = Deno.dlopen(libcPath(), {
      signal: { parameters: ["i32", "pointer"], result: "pointer" },
    });
  } catch (e) {
    return { shut: false, why: `${WHY}: cannot open ${libcPath()}: ${(e as Error).message}` };
  }
  try {
    const SIG_IGN = Deno.UnsafePointer.create(1n);
    const previous = lib.symbols.signal(sigusr1Number(), SIG_IGN);
    // SIG_ERR is (void *)-1.
    if (previous !== null && Deno.UnsafePointer.value(previous) === 0xffff_ffff_ffff_ffffn) {
      return { shut: false, why: `${WHY}: signal(SIGUSR1, SIG_IGN) failed` };
    }
    return { shut: true, how: "SIGUSR1 set to SIG_IGN" };
  } finally {
    lib.close();
  }
}
