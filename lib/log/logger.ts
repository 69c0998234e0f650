/**
 * The logger: twemproxy's levels and line format, to stderr or a file
 * (`-o`), with `raise`/`lower` (SIGTTIN/SIGTTOU) and `reopen` (SIGHUP, for
 * log rotation). Writing never throws into the caller: a failed write is
 * counted in {@link Logger.errors} and dropped.
 *
 * @module
 */
import { clampLevel, LOG_LEVEL_DEFAULT, LOG_LEVEL_MAX, LOG_LEVEL_MIN, LogLevel } from "./levels.ts";
import { formatLogLine } from "./format.ts";

/** Options of a {@link Logger}. */
export interface LoggerOptions {
  /**
   * Log level 0..11 (clamped): messages at this level or below are written.
   * @default {5}
   */
  readonly level?: number;
  /**
   * Log file path (opened for appending, created with mode 0644), or null
   * for stderr.
   * @default {null}
   */
  readonly file?: string | null;
  /**
   * The clock for timestamps.
   * @default {() => new Date()}
   */
  readonly now?: () => Date;
  /**
   * Where lines go when there is no log file.
   * @default {Deno.stderr}
   */
  readonly stderr?: { writeSync(data: Uint8Array): number };
}

const encoder = new TextEncoder();

function openLog(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { write: true, append: true, create: true, mode: 0o644 });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot open log file '${path}': ${why}`);
  }
}

/**
 * Writes log lines at or below its level.
 *
 * @example
 * ```ts
 * import { Logger } from "./logger.ts";
 * const log = new Logger({ level: 6 });
 * if (log.enabled(7)) log.debug(`not formatted unless needed`);
 * console.assert(!log.enabled(7));
 * ```
 */
export class Logger {
  #level: number;
  #file: string | null = null;
  #handle: Deno.FsFile | null = null;
  #now: () => Date;
  #stderr: { writeSync(data: Uint8Array): number };
  #errors = 0;

  /** Opens the log file when `options.file` is set; throws if it cannot. */
  constructor(options: LoggerOptions = {}) {
    this.#level = clampLevel(options.level ?? LOG_LEVEL_DEFAULT);
    this.#now = options.now ?? (() => new Date());
    this.#stderr = options.stderr ?? Deno.stderr;
    if (options.file !== undefined && options.file !== null && options.file !== "") {
      this.#handle = openLog(options.file);
      this.#file = options.file;
    }
  }

  /** The current level, 0..11. */
  get level(): number {
    return this.#level;
  }

  /** Sets the level, clamped to 0..11. */
  set level(level: number) {
    this.#level = clampLevel(level);
  }

  /** The log file path, or null when logging to stderr. */
  get file(): string | null {
    return this.#file;
  }

  /** How many writes failed (and were dropped). */
  get errors(): number {
    return this.#errors;
  }

  /**
   * Switches to `options.level` and `options.file` (null = stderr), keeping
   * what is not given. Opens the new file before closing the old one, and
   * throws if it cannot be opened (the logger is then unchanged).
   */
  configure(options: Pick<LoggerOptions, "level" | "file">): void {
    if (options.file !== undefined) {
      const file = options.file === "" ? null : options.file;
      const handle = file === null ? null : openLog(file);
      this.#closeHandle();
      this.#handle = handle;
      this.#file = file;
    }
    if (options.level !== undefined) this.level = options.level;
  }

  /** True when a message at `level` would be written: check it before building costly messages. */
  enabled(level: number): boolean {
    return level <= this.#level;
  }

  /** Writes `message` if `level` is enabled. */
  log(level: number, message: string): void {
    if (level <= this.#level) this.#write(formatLogLine(this.#now(), message));
  }

  /** Writes `message` whatever the level (twemproxy's `loga`). */
  always(message: string): void {
    this.#write(formatLogLine(this.#now(), message));
  }

  /** Level 0. */
  emerg(message: string): void {
    this.log(LogLevel.EMERG, message);
  }
  /** Level 1 (twemproxy's `log_error` writes at this level). */
  alert(message: string): void {
    this.log(LogLevel.ALERT, message);
  }
  /** Level 2. */
  crit(message: string): void {
    this.log(LogLevel.CRIT, message);
  }
  /** Level 3. */
  error(message: string): void {
    this.log(LogLevel.ERR, message);
  }
  /** Level 4. */
  warn(message: string): void {
    this.log(LogLevel.WARN, message);
  }
  /** Level 5. */
  notice(message: string): void {
    this.log(LogLevel.NOTICE, message);
  }
  /** Level 6. */
  info(message: string): void {
    this.log(LogLevel.INFO, message);
  }
  /** Level 7. */
  debug(message: string): void {
    this.log(LogLevel.DEBUG, message);
  }
  /** Level 8. */
  verb(message: string): void {
    this.log(LogLevel.VERB, message);
  }
  /** Level 9. */
  vverb(message: string): void {
    this.log(LogLevel.VVERB, message);
  }
  /** Level 10. */
  vvverb(message: string): void {
    this.log(LogLevel.VVVERB, message);
  }
  /** Level 11. */
  pverb(message: string): void {
    this.log(LogLevel.PVERB, message);
  }

  /** One level more verbose, up to 11 (SIGTTIN); logs the new level. */
  raise(): void {
    if (this.#level < LOG_LEVEL_MAX) {
      this.#level++;
      this.always(`up log level to ${this.#level}`);
    }
  }

  /** One level less verbose, down to 0 (SIGTTOU); logs the new level. */
  lower(): void {
    if (this.#level > LOG_LEVEL_MIN) {
      this.#level--;
      this.always(`down log level to ${this.#level}`);
    }
  }

  /**
   * Closes and reopens the log file (SIGHUP), so a rotated file is let go.
   * No-op for stderr. If reopening fails, says so on stderr and logs to
   * stderr from then on; never throws.
   */
  reopen(): void {
    if (this.#file === null) return;
    this.#closeHandle();
    try {
      this.#handle = openLog(this.#file);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.#file = null;
      this.#write(
        formatLogLine(this.#now(), `reopening log file failed, logging to stderr: ${why}`),
      );
    }
  }

  /** Closes the log file, if any; later lines go to stderr. */
  close(): void {
    this.#closeHandle();
    this.#file = null;
  }

  #closeHandle(): void {
    const handle = this.#handle;
    this.#handle = null;
    if (handle === null) return;
    try {
      handle.close();
    } catch {
      this.#errors++;
    }
  }

  #write(line: string): void {
    const bytes = encoder.encode(line);
    try {
      const out = this.#handle ?? this.#stderr;
      let done = 0;
      while (done < bytes.length) done += out.writeSync(bytes.subarray(done));
    } catch {
      this.#errors++;
    }
  }
}
