/**
 * The errors of configuration loading: {@link ConfigError}, the one error
 * `parseConfig` / `loadConfig` throw, and {@link ValueError}, what a value
 * parser throws before its position is known.
 *
 * @module
 */

/** Where a {@link ConfigError} happened and what it is about. */
export interface ConfigErrorInit {
  /** The configuration file path, as given. */
  readonly file: string;
  /** 1-based line, or null when the error concerns the file as a whole. */
  readonly line: number | null;
  /** 1-based column, or null with `line`. */
  readonly column: number | null;
  /** Pool name, or null. */
  readonly pool: string | null;
  /** Pool key (`listen`, `servers`, ...), or null. */
  readonly key: string | null;
  /** What is wrong, e.g. `unknown hash 'fnv2'`. */
  readonly reason: string;
  /** What is allowed or how to fix it, e.g. `use one of md5, crc16`. Empty when there is nothing to add. */
  readonly hint: string;
}

/**
 * An invalid configuration file. The message reads
 * `file:line:column: pool 'P': key 'K': reason; hint`, leaving out the
 * parts that do not apply.
 *
 * @example
 * ```ts
 * import { ConfigError } from "./errors.ts";
 * const e = new ConfigError({
 *   file: "x.yml", line: 7, column: 9, pool: "alpha", key: "hash",
 *   reason: "unknown hash 'fnv2'", hint: "use one of md5, crc32",
 * });
 * console.assert(e.message === "x.yml:7:9: pool 'alpha': key 'hash': unknown hash 'fnv2'; use one of md5, crc32");
 * ```
 */
export class ConfigError extends SyntaxError {
  /** The configuration file path, as given. */
  readonly file: string;
  /** 1-based line, or null when the error concerns the file as a whole. */
  readonly line: number | null;
  /** 1-based column, or null. */
  readonly column: number | null;
  /** Pool name, or null. */
  readonly pool: string | null;
  /** Pool key, or null. */
  readonly key: string | null;
  /** What is wrong. */
  readonly reason: string;
  /** What is allowed or how to fix it (may be empty). */
  readonly hint: string;

  /** Builds the error and its message from `init`. */
  constructor(init: ConfigErrorInit) {
    super(formatConfigError(init));
    this.name = "ConfigError";
    this.file = init.file;
    this.line = init.line;
    this.column = init.column;
    this.pool = init.pool;
    this.key = init.key;
    this.reason = init.reason;
    this.hint = init.hint;
  }
}

function formatConfigError(e: ConfigErrorInit): string {
  let where = e.file;
  if (e.line !== null) where += `:${e.line}:${e.column ?? 1}`;
  const parts = [where];
  if (e.pool !== null) parts.push(`pool ${quote(e.pool)}`);
  if (e.key !== null) parts.push(`key ${quote(e.key)}`);
  parts.push(e.hint === "" ? e.reason : `${e.reason}; ${e.hint}`);
  return oneLine(parts.join(": "));
}

/** Escapes control characters (a value read from a block scalar may hold newlines) so a message is one line. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => {
    if (c === "\n") return "\\n";
    if (c === "\t") return "\\t";
    if (c === "\r") return "\\r";
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** The longest part of a value a message quotes, in UTF-8 bytes. */
export const QUOTE_MAX_BYTES = 60;

/**
 * `text` in single quotes for a message, cut to its first
 * {@link QUOTE_MAX_BYTES} bytes (at a character boundary) and `...` when
 * longer: a hostile 50 MB value must not make a 50 MB message.
 *
 * @example
 * ```ts
 * import { quote } from "./errors.ts";
 * console.assert(quote("fnv2") === "'fnv2'");
 * console.assert(quote("x".repeat(100)) === `'${"x".repeat(60)}...'`);
 * ```
 */
export function quote(text: string): string {
  // Fast path: at most 3 bytes per UTF-16 unit, so this many units always fit.
  if (text.length <= QUOTE_MAX_BYTES / 3) return `'${text}'`;
  let bytes = 0;
  let end = 0;
  for (const ch of text.slice(0, QUOTE_MAX_BYTES + 1)) {
    const cp = ch.codePointAt(0)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size > QUOTE_MAX_BYTES) return `'${text.slice(0, end)}...'`;
    bytes += size;
    end += ch.length;
  }
  return end < text.length ? `'${text.slice(0, end)}...'` : `'${text}'`;
}

/**
 * A bad value, thrown by the value parsers (listen, server lines, numbers).
 * The loader turns it into a {@link ConfigError} with the value's position.
 */
export class ValueError extends Error {
  /** What is wrong. */
  readonly reason: string;
  /** What is allowed or how to fix it. */
  readonly hint: string;

  /** `reason`: what is wrong; `hint`: what is allowed. */
  constructor(reason: string, hint: string) {
    super(hint === "" ? reason : `${reason}; ${hint}`);
    this.name = "ValueError";
    this.reason = reason;
    this.hint = hint;
  }
}
