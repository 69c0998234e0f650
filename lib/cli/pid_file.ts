/**
 * The `-p` pid file: this process's id, written at start and removed at exit.
 *
 * @module
 */

/**
 * Writes `pid` (no newline, as nutcracker) to `path`, mode 0644. Throws an
 * Error naming the file when it cannot.
 */
export async function writePidFile(path: string, pid: number = Deno.pid): Promise<void> {
  try {
    await Deno.writeTextFile(path, String(pid), { mode: 0o644 });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot write pid file '${path}': ${why}`);
  }
}

/** Removes the pid file; returns the reason if it could not, or null. Never throws. */
export async function removePidFile(path: string): Promise<string | null> {
  try {
    await Deno.remove(path);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
