/**
 * The directory of the configuration file, against which relative paths in
 * its values (PEM files) are read: `dirname` as node:path has it, written out
 * so that loading a configuration does not import Deno's Node layer.
 *
 * @module
 */

/**
 * The directory part of `path`: everything before its last separator
 * (trailing separators ignored), `.` when there is none, the root for a file
 * in the root. The separator is `/`, and on Windows also `\`.
 *
 * @example
 * ```ts
 * import { dirname } from "./dirname.ts";
 * console.assert(dirname("conf/nutcracker.yml") === "conf");
 * console.assert(dirname("nutcracker.yml") === ".");
 * console.assert(dirname("/nutcracker.yml") === "/");
 * ```
 */
export function dirname(path: string, windows = Deno.build.os === "windows"): string {
  const isSep = (c: string | undefined) => c === "/" || (windows && c === "\\");
  let end = path.length;
  while (end > 1 && isSep(path[end - 1])) end--;
  let i = end - 1;
  while (i >= 0 && !isSep(path[i])) i--;
  if (i < 0) return ".";
  if (i === 0) return path[0]!;
  const dir = path.slice(0, i);
  // `C:\x.yml` is in `C:\`, not in `C:` (the current directory of drive C).
  return windows && /^[a-zA-Z]:$/.test(dir) ? dir + path[i] : dir;
}
