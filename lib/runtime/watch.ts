/**
 * `--watch`: reload when the configuration file changes. It watches the
 * file's directory, not the file, because editors and deployment tools
 * replace a file by renaming a new one over it (and Kubernetes swaps a
 * symlinked directory), which ends a watch on the old file. Any event there
 * is debounced and reported; the runtime then reads the file and reloads
 * only when its sha256 differs from the one in force, so unrelated files in
 * the directory cost one read and nothing else.
 *
 * @module
 */

/** How long events must stop before the change is reported (an editor writes in steps). */
export const WATCH_DEBOUNCE_MS = 100;

/** Watches the directory of one file. */
export class ConfigWatcher {
  readonly #dir: string;
  readonly #onChange: () => void;
  #watcher: Deno.FsWatcher | null = null;
  #loop: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Calls `onChange` (debounced) after anything changes in the directory of `file`. */
  constructor(file: string, onChange: () => void) {
    const slash = file.lastIndexOf("/");
    this.#dir = slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
    this.#onChange = onChange;
  }

  /** Starts watching (throws when the directory cannot be watched). */
  start(): void {
    if (this.#watcher !== null) return;
    this.#watcher = Deno.watchFs(this.#dir, { recursive: false });
    this.#loop = this.#run(this.#watcher);
  }

  async #run(watcher: Deno.FsWatcher): Promise<void> {
    try {
      for await (const _event of watcher) {
        if (this.#timer !== null) clearTimeout(this.#timer);
        this.#timer = setTimeout(() => {
          this.#timer = null;
          this.#onChange();
        }, WATCH_DEBOUNCE_MS);
      }
    } catch {
      // closed
    }
  }

  /** Stops watching. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    try {
      this.#watcher?.close();
    } catch {
      // closed
    }
    this.#watcher = null;
    await this.#loop;
  }
}
