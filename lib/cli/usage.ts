/**
 * The `-h` text, in nutcracker's layout, generated from the flag table.
 *
 * @module
 */
import { FLAGS } from "./flags.ts";

const SYNOPSIS = [
  "[-?hVdDt] [-v verbosity level] [-o output file]",
  "[-c conf file] [-s stats port] [-a stats addr]",
  "[-i stats interval] [-p pid file] [-m mbuf size]",
];

/**
 * The usage text: synopsis, blank line, one line per option, blank line.
 *
 * @example
 * ```ts
 * import { usage } from "./usage.ts";
 * console.assert(usage().startsWith("Usage: nutmeg [-?hVdDt]"));
 * ```
 */
export function usage(program = "nutmeg"): string {
  const head = `Usage: ${program} `;
  const lines = SYNOPSIS.map((s, i) => (i === 0 ? head : " ".repeat(head.length)) + s);
  lines.push("", "Options:");
  for (const f of FLAGS) {
    const arg = f.kind === "switch" ? "" : f.kind === "number" ? "=N" : "=S";
    const letter = f.short === null ? "    " : `-${f.short}, `;
    lines.push(`  ${letter}--${f.long}${arg}`.padEnd(25) + `: ${f.help}`);
  }
  return lines.join("\n") + "\n\n";
}
