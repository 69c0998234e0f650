/**
 * The command line: nutcracker's flags, usage text, `-t`, `-V`, `-D`, and
 * {@link runCli}, which runs the proxy.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./mod.ts";
 * console.assert(parseFlags(["--stats-port=22223"]).options.statsPort === 22223);
 * ```
 *
 * @module
 */
export { type CliIo, runCli, testConfLine } from "./cli.ts";
export {
  type CliFlags,
  DEFAULT_RUN_OPTIONS,
  type FlagDef,
  FLAGS,
  MBUF_SIZE_MAX,
  MBUF_SIZE_MIN,
  parseFlags,
  UsageError,
} from "./flags.ts";
export type { RunOptions } from "./options.ts";
export { usage } from "./usage.ts";
export { VERSION, VERSION_LINE } from "./version.ts";
export { removePidFile, writePidFile } from "./pid_file.ts";
