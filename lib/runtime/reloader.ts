/**
 * A configuration reload as the runtime sees it, the same whether one event
 * loop serves or several workers do: read and check the whole file (the
 * checks and messages of `-t`), skip it under `--watch` when its content is
 * the one in force (or the one last refused, so a broken edit is reported
 * once), hand it to whoever applies it, and keep the facts the stats report
 * (reloads, reload_errors, the file's sha256 and load time). Reloads run one
 * at a time, in the order they were asked for.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { loadConfigBytes } from "../config/load.ts";
import type { ConfigStats } from "../stats/report.ts";
import { LOG_ERR, LOG_NOTICE, type LogFn } from "../log/levels.ts";
import { describeChanges } from "./changes.ts";

/** The sha256 of `bytes`, in hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The configuration facts the stats report, kept by the runtime. */
export interface MutableConfigStats {
  reloads: number;
  reload_errors: number;
  config_sha256: string;
  config_loaded_at: number;
}

/** What took effect, for the NOTICE line. */
export interface Applied {
  /** Said after "done", e.g. "" or " on 2 workers". */
  readonly where: string;
  /** The generation now in force. */
  readonly generation: number;
}

/** Who applies a checked configuration. */
export interface ReloadTarget {
  /** The configuration in force (to describe what changes). */
  readonly config: Config;
  /**
   * Applies `config` (its file's text is `bytes`). Throws (an Error, or
   * the text of the refusal) when it is refused; nothing has changed then.
   */
  apply(config: Config, bytes: Uint8Array): Promise<Applied>;
}

/** Options of a {@link Reloader}. */
export interface ReloaderOptions {
  /** The configuration file (-c). */
  readonly file: string;
  readonly log: LogFn;
  /** Reloads asked for before this settles wait for it (the start). */
  readonly after: Promise<unknown>;
  /** Called when the facts changed, so the stats show them. */
  readonly changed: () => void;
}

/** Runs reloads one at a time and keeps the facts the stats report. */
export class Reloader {
  /** Reloads, reload errors, sha256 and load time of the file in force. */
  readonly facts: MutableConfigStats = {
    reloads: 0,
    reload_errors: 0,
    config_sha256: "",
    config_loaded_at: Date.now(),
  };
  readonly #opts: ReloaderOptions;
  /** The sha256 of the last file refused (or the error when it could not be read). */
  #lastRefused = "";
  #queue: Promise<unknown>;

  /** A reloader for `options.file`; nothing runs before `options.after` settles. */
  constructor(options: ReloaderOptions) {
    this.#opts = options;
    this.#queue = options.after;
  }

  /** A copy of the facts. */
  get stats(): ConfigStats {
    return { ...this.facts };
  }

  /** Settles once every reload asked for so far has ended. */
  get settled(): Promise<unknown> {
    return this.#queue;
  }

  /** Records the sha256 of the first file, read at start. */
  async first(bytes: Uint8Array): Promise<void> {
    this.facts.config_sha256 = await sha256Hex(bytes);
  }

  /**
   * Reloads the file into `target`; resolves true when it took effect, false
   * when it was refused (nothing changed) or, with `onlyIfChanged`, when its
   * content is the one in force (or the one last refused). Never rejects.
   */
  reload(target: ReloadTarget, why: string, onlyIfChanged = false): Promise<boolean> {
    const run = this.#queue.then(() => this.#reload(target, why, onlyIfChanged));
    this.#queue = run;
    return run;
  }

  async #reload(target: ReloadTarget, why: string, onlyIfChanged: boolean): Promise<boolean> {
    const { file, log } = this.#opts;
    let loaded;
    let sha = "";
    try {
      loaded = await loadConfigBytes(file);
      sha = await sha256Hex(loaded.bytes);
    } catch (err) {
      if (onlyIfChanged) {
        // A half-written file or a rename in progress: only report each content once.
        const text = err instanceof Error ? err.message : String(err);
        if (text === this.#lastRefused) return false;
        this.#lastRefused = text;
      }
      return this.#refused(err);
    }
    if (onlyIfChanged && (sha === this.facts.config_sha256 || sha === this.#lastRefused)) {
      return false;
    }
    log(LOG_NOTICE, `reloading '${file}': ${why}`);
    const changes = describeChanges(target.config, loaded.config);
    let applied: Applied;
    try {
      applied = await target.apply(loaded.config, loaded.bytes);
    } catch (err) {
      this.#lastRefused = sha;
      return this.#refused(err);
    }
    this.#lastRefused = "";
    this.facts.reloads++;
    this.facts.config_sha256 = sha;
    this.facts.config_loaded_at = Date.now();
    this.#opts.changed();
    log(
      LOG_NOTICE,
      `reload of '${file}' done${applied.where}: generation ${applied.generation}, sha256 ${
        sha.slice(0, 12)
      }: ${changes.length === 0 ? "no changes" : changes.join("; ")}`,
    );
    return true;
  }

  #refused(err: unknown): false {
    this.facts.reload_errors++;
    this.#opts.changed();
    const text = err instanceof Error ? err.message : String(err);
    this.#opts.log(LOG_ERR, `reload of '${this.#opts.file}' refused, nothing changed: ${text}`);
    return false;
  }
}
