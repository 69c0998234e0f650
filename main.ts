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
 * @module
 */
import { runCli } from "./lib/cli/cli.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
