/**
 * nutmeg: a Redis and memcached proxy, a drop-in replacement for twemproxy
 * (nutcracker). Same flags, same YAML configuration:
 *
 * ```sh
 * deno run -A main.ts -c conf/nutcracker.yml -v 6
 * deno run -A main.ts -t -c conf/nutcracker.yml   # check a configuration
 * deno run -A main.ts -h                          # all flags
 * ```
 *
 * The signal guards run before the rest of the program is even loaded, so
 * that SIGUSR1 (Deno's inspector) and SIGUSR2 are harmless from the start.
 *
 * @module
 */
import { shutInspectorSignal } from "./lib/signals/inspector.ts";
import { hookSigusr2 } from "./lib/signals/sigusr2.ts";

if (import.meta.main) {
  shutInspectorSignal();
  hookSigusr2();
  const { runCli } = await import("./lib/cli/cli.ts");
  Deno.exit(await runCli(Deno.args));
}
