/**
 * Reads the YAML that twemproxy configurations are written in: text → a
 * tiny tree of mappings, lists and text scalars, each with its position, or
 * one {@link YamlSyntaxError} with the position of the offending character.
 *
 * Why not a YAML library: nutcracker reads its file with libyaml and refuses
 * everything beyond block mappings, block lists and scalars, so a full YAML
 * 1.2 implementation buys nothing, and importing npm:yaml cost every nutmeg
 * process Deno's Node compatibility layer (+13 MB RSS at rest) and ~170 ms
 * of a 10,000-server start-up. This reader follows libyaml 0.2.5's scanner
 * (the one nutcracker 0.5.0 links) where it matters for such files:
 * - block mappings (`key: value`, quoted keys, `? key` / `: value`), block
 *   lists (`- item`, also at the indentation of their key), compact nesting
 *   (`- - x`, `- key: value`);
 * - plain scalars (ended by `': '` or `' #'`, continued on more-indented
 *   lines and folded), single-quoted (`''`) and double-quoted scalars (every
 *   YAML 1.1 escape, folding, `\` line continuation), literal `|` and folded
 *   `>` block scalars with chomping and indentation indicators;
 * - comments, blank lines, CRLF and CR line ends, a leading BOM;
 * - tabs: refused where libyaml refuses them (in indentation, after `-`,
 *   `?` and an explicit `:`), allowed after `key:` and inside values;
 * - a simple key fits on one line and in 1024 characters.
 *
 * It refuses, with a {@link YamlErrorCode} the loader words itself: anchors
 * `&`, aliases `*`, tags `!`, flow collections `[` `{`, `---`/`...` markers
 * and `%` directives, all of which nutcracker refuses. Scalars are text: no
 * numbers, booleans or nulls (an empty value is the empty string). Duplicate
 * keys are kept, in order, for the loader to report.
 *
 * @module
 */

/** A position in the text: a UTF-16 offset, and the 1-based line and column it is on. */
export interface YamlMark {
  /** Index into the text (after CRLF/CR were read as LF; a BOM counts). */
  readonly offset: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 units (a BOM does not count). */
  readonly column: number;
}

/** A text value: plain, quoted or block. An empty value (`key:`) is `""`, at the position after the indicator. */
export interface YamlScalar extends YamlMark {
  /** The kind of node. */
  readonly kind: "scalar";
  /** The text, with quotes, escapes and line folding resolved. */
  readonly value: string;
}

/** A block mapping; its position is its first key's. */
export interface YamlMap extends YamlMark {
  /** The kind of node. */
  readonly kind: "map";
  /** The entries in file order, duplicates included. */
  readonly pairs: readonly YamlPair[];
}

/** One `key: value` entry of a {@link YamlMap}. */
export interface YamlPair {
  /** The key (a scalar, unless written with `? `). */
  readonly key: YamlNode;
  /** The value (an empty scalar when none is written). */
  readonly value: YamlNode;
}

/** A block list; its position is its first `-`. */
export interface YamlList extends YamlMark {
  /** The kind of node. */
  readonly kind: "list";
  /** The items in file order. */
  readonly items: readonly YamlNode[];
}

/** A node of the tree. */
export type YamlNode = YamlScalar | YamlMap | YamlList;

/**
 * What a {@link YamlSyntaxError} is about: `syntax` for text that is not the
 * YAML nutmeg reads, the others for YAML that nutcracker refuses.
 */
export type YamlErrorCode =
  | "syntax"
  | "anchor"
  | "alias"
  | "tag"
  | "flow-list"
  | "flow-map"
  | "document-start"
  | "document-end"
  | "documents"
  | "directive";

/** Text that {@link parseYaml} cannot read, with the position of the offending character. */
export class YamlSyntaxError extends SyntaxError {
  /** What kind of problem. */
  readonly code: YamlErrorCode;
  /** Where. */
  readonly mark: YamlMark;
  /** What is wrong, for `syntax`; else the offending token (`&a`, `!!str`, `[`, `---`, ...). */
  readonly reason: string;
  /** The keys of the mappings the error is in, outermost first (a key that is not a scalar is `""`). */
  readonly path: readonly string[];

  /** `reason`: what is wrong (or the token); `path`: the enclosing keys. */
  constructor(code: YamlErrorCode, mark: YamlMark, reason: string, path: readonly string[]) {
    super(`${mark.line}:${mark.column}: ${code === "syntax" ? reason : `${code} ${reason}`}`);
    this.name = "YamlSyntaxError";
    this.code = code;
    this.mark = mark;
    this.reason = reason;
    this.path = path;
  }
}

/**
 * Reads `text` into a tree, or null when it holds no node (only blank lines
 * and comments). Throws {@link YamlSyntaxError}.
 *
 * @example
 * ```ts
 * import { parseYaml } from "./yaml.ts";
 * const root = parseYaml("alpha:\n  servers:\n  - 10.0.0.1:6379:1 a # one\n");
 * console.assert(root?.kind === "map" && root.pairs[0]?.value.kind === "map");
 * ```
 */
export function parseYaml(text: string): YamlNode | null {
  return new Reader(text).document();
}

const EOF = -1;
const TAB = 0x09;
const LF = 0x0a;
const SPACE = 0x20;
const QUOTE2 = 0x22;
const HASH = 0x23;
const PERCENT = 0x25;
const AMP = 0x26;
const QUOTE1 = 0x27;
const STAR = 0x2a;
const PLUS = 0x2b;
const COMMA = 0x2c;
const DASH = 0x2d;
const DOT = 0x2e;
const COLON = 0x3a;
const GT = 0x3e;
const QMARK = 0x3f;
const AT = 0x40;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const BACKTICK = 0x60;
const LBRACE = 0x7b;
const PIPE = 0x7c;
const RBRACE = 0x7d;
const BANG = 0x21;

/**
 * The deepest nesting of collections read. nutcracker reads three levels
 * (pools, keys, servers); the limit keeps a hostile `- - - - ...` from
 * overflowing the stack.
 */
export const MAX_YAML_DEPTH = 64;

/** libyaml's limit on a simple key (`key:`), in characters. */
const MAX_SIMPLE_KEY = 1024;

/** The escapes of a double-quoted scalar that stand for one fixed character (YAML 1.1, as libyaml reads them). */
const ESCAPES: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\x85",
  _: "\xa0",
  L: "\u2028",
  P: "\u2029",
};

/** The lengths of the hexadecimal escapes. */
const HEX_ESCAPES: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

function isBlankz(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === EOF;
}

/** A scalar and whether `key:` follows it on its line (the cursor is then at the `:`). */
interface Scanned {
  readonly node: YamlScalar;
  readonly isKey: boolean;
  /** Whether the scalar spans lines (then it cannot be a key). */
  readonly multiline: boolean;
}

/** One pass over the text; the methods mirror the block structure. */
class Reader {
  readonly #text: string;
  #pos = 0;
  #line = 1;
  #lineStart = 0;
  /** Whether the top-level node has begun (a `---` after it starts a second document). */
  #started = false;
  /** The keys of the mappings being read, outermost first. */
  readonly #path: string[] = [];
  /** The indentation of the collections being read, outermost first. */
  readonly #open: number[] = [];
  /** The indentation of the collection that ended last. */
  #closed = -1;

  constructor(text: string) {
    this.#text = text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
    if (this.#text.charCodeAt(0) === 0xfeff) this.#pos = this.#lineStart = 1;
  }

  document(): YamlNode | null {
    if (!this.#skipSpace(false)) return null;
    this.#started = true;
    const root = this.#node(-1, false);
    if (this.#skipSpace(true)) {
      throw this.#badIndent(this.#column());
    }
    return root;
  }

  // ---- positions and errors

  #at(i: number): number {
    return i < this.#text.length ? this.#text.charCodeAt(i) : EOF;
  }

  /** The 0-based column of the cursor. */
  #column(): number {
    return this.#pos - this.#lineStart;
  }

  #mark(offset = this.#pos): YamlMark {
    return { offset, line: this.#line, column: offset - this.#lineStart + 1 };
  }

  #newline(): void {
    this.#pos++;
    this.#line++;
    this.#lineStart = this.#pos;
  }

  #error(code: YamlErrorCode, reason: string, mark = this.#mark()): YamlSyntaxError {
    return new YamlSyntaxError(code, mark, reason, [...this.#path]);
  }

  /** The token at the cursor, up to a blank (for messages). */
  #token(): string {
    let end = this.#pos;
    while (!isBlankz(this.#at(end)) && end - this.#pos < 200) end++;
    return this.#text.slice(this.#pos, end);
  }

  #badIndent(column: number): YamlSyntaxError {
    const fits = new Set(this.#open);
    if (this.#closed >= 0) fits.add(this.#closed);
    const spaces = (n: number) => `${n} space${n === 1 ? "" : "s"}`;
    const expected = [...fits].filter((n) => n !== column).sort((a, b) => a - b);
    return this.#error(
      "syntax",
      `the line is indented by ${spaces(column)}, which lines up with no key or item above it` +
        (expected.length > 0 ? ` (those are indented by ${expected.join(" or ")})` : ""),
    );
  }

  // ---- whitespace, comments, line starts

  /**
   * Skips spaces, comments and line ends up to the next content; false at
   * the end of the text. Tabs are skipped only mid-line when `tabs` (libyaml
   * refuses them in indentation and right after `-`, `?` and an explicit `:`).
   */
  #skipSpace(tabs: boolean): boolean {
    if (this.#pos === this.#lineStart) {
      tabs = false;
      this.#lineStartChecks();
    }
    for (;;) {
      const c = this.#blanksAndComment(tabs);
      if (c !== LF) return c !== EOF;
      this.#newline();
      tabs = false;
      this.#lineStartChecks();
    }
  }

  #tabError(): YamlSyntaxError {
    const before = this.#text.slice(this.#lineStart, this.#pos);
    return this.#error(
      "syntax",
      before.trim() === ""
        ? "Tabs are not allowed as indentation (found a tab at the start of the line)"
        : `a tab after ${
          quote1(before.trim().slice(-1))
        } is not allowed (libyaml refuses it); use a space`,
    );
  }

  /** Refuses `---`, `...` and `%` at the start of a line. */
  #lineStartChecks(): void {
    const c = this.#at(this.#pos);
    if (c === PERCENT) throw this.#error("directive", this.#token());
    if (this.#isMarker(this.#pos)) {
      const code = c === DOT ? "document-end" : this.#started ? "documents" : "document-start";
      throw this.#error(code, c === DOT ? "..." : "---");
    }
  }

  #isMarker(i: number): boolean {
    if (i !== this.#lineStart) return false;
    const c = this.#at(i);
    return (c === DASH || c === DOT) && this.#at(i + 1) === c && this.#at(i + 2) === c &&
      isBlankz(this.#at(i + 3));
  }

  /** Skips blanks to the end of the line (a comment included); true when the line then ends. */
  #restOfLineEmpty(tabs: boolean): boolean {
    const c = this.#blanksAndComment(tabs);
    return c === LF || c === EOF;
  }

  /**
   * Skips spaces (and tabs where `tabs`), then a comment up to the line end;
   * returns the character reached. A tab where none may stand is an error.
   */
  #blanksAndComment(tabs: boolean): number {
    let c = this.#at(this.#pos);
    while (c === SPACE || (tabs && c === TAB)) c = this.#at(++this.#pos);
    if (c === TAB) throw this.#tabError();
    if (c === HASH) {
      const end = this.#text.indexOf("\n", this.#pos);
      this.#pos = end < 0 ? this.#text.length : end;
      c = this.#at(this.#pos);
    }
    return c;
  }

  // ---- nodes

  /**
   * Reads the node at the cursor (on a line start or after an indicator),
   * inside a block indented by `parent` (-1 at the top). `afterKey`: the
   * cursor follows `key:` on its line, where only a scalar may stand.
   */
  #node(parent: number, afterKey: boolean): YamlNode {
    const c = this.#at(this.#pos);
    const next = this.#at(this.#pos + 1);
    if ((c === DASH || c === QMARK || c === COLON) && isBlankz(next)) {
      if (afterKey) {
        const what = c === DASH
          ? "a '- ' list cannot start on the line of its key; put each item on its own line below it"
          : c === QMARK
          ? "a '? ' key cannot follow 'key:' on the same line"
          : "': ' cannot follow 'key:' on the same line";
        throw this.#error("syntax", what);
      }
      if (c === DASH) return this.#list(this.#column(), false);
      return this.#map(this.#column(), null);
    }
    if (c === PIPE || c === GT) return this.#blockScalar(parent);
    const start = this.#column();
    const scanned = this.#scalar(parent);
    if (!scanned.isKey) return scanned.node;
    if (afterKey) {
      throw this.#error(
        "syntax",
        "': ' inside a value: a value cannot itself be 'key: value' (quote it if the ': ' belongs to it)",
      );
    }
    this.#simpleKey(scanned.node, scanned.multiline);
    return this.#map(start, scanned.node);
  }

  /** Refuses what cannot start a scalar; then reads a quoted or plain scalar. */
  #scalar(parent: number): Scanned {
    const c = this.#at(this.#pos);
    switch (c) {
      case AMP:
        throw this.#error("anchor", this.#token());
      case STAR:
        throw this.#error("alias", this.#token());
      case BANG:
        throw this.#error("tag", this.#token());
      case LBRACKET:
        throw this.#error("flow-list", "[");
      case LBRACE:
        throw this.#error("flow-map", "{");
      case COMMA:
      case RBRACKET:
      case RBRACE:
      case PERCENT:
      case AT:
      case BACKTICK:
        throw this.#error(
          "syntax",
          `a plain value cannot start with ${quote1(String.fromCharCode(c))}; quote the value`,
        );
      case QUOTE1:
      case QUOTE2:
        return this.#quoted(c === QUOTE1);
    }
    return this.#plain(parent);
  }

  /** Whether `:` and a blank (or the line end) follow at the cursor. */
  #atValueIndicator(): boolean {
    return this.#at(this.#pos) === COLON && isBlankz(this.#at(this.#pos + 1));
  }

  /** Checks a scalar that `:` follows as a simple key: on one line, at most 1024 characters. */
  #simpleKey(node: YamlScalar, multiline: boolean): void {
    if (multiline) {
      throw this.#error(
        "syntax",
        "a key and its ':' must be on one line; is the ':' of the key on this line missing?",
        node,
      );
    }
    if (this.#pos - node.offset > MAX_SIMPLE_KEY) {
      throw this.#error(
        "syntax",
        `a key is ${
          this.#pos - node.offset
        } characters long, over the ${MAX_SIMPLE_KEY} libyaml allows`,
        node,
      );
    }
  }

  /** A plain scalar, as libyaml scans it in block context. */
  #plain(parent: number): Scanned {
    const text = this.#text;
    const indent = parent + 1;
    const offset = this.#pos;
    const line = this.#line;
    const column = this.#pos - this.#lineStart + 1;
    let value = "";
    let fold = "";
    let segStart = -1;
    let segEnd = this.#pos;
    let multiline = false;
    let endLine = line;
    for (;;) {
      if (this.#isMarker(this.#pos)) break;
      let c = this.#at(this.#pos);
      if (c === HASH) break;
      const runStart = this.#pos;
      while (!isBlankz(c)) {
        if (c === COLON && isBlankz(this.#at(this.#pos + 1))) break;
        c = this.#at(++this.#pos);
      }
      if (this.#pos > runStart) {
        if (segStart < 0) {
          value += fold;
          fold = "";
          segStart = runStart;
          if (this.#line !== line) multiline = true;
        }
        segEnd = this.#pos;
        endLine = this.#line;
      }
      if (c !== SPACE && c !== TAB && c !== LF) break;
      // Blanks and line ends: inside a line they stay (the segment is sliced), across lines they fold.
      let breaks = 0;
      for (;;) {
        if (c === SPACE || c === TAB) {
          if (breaks > 0 && c === TAB && this.#column() < indent) {
            throw this.#error(
              "syntax",
              "Tabs are not allowed as indentation (found a tab at the start of the line)",
            );
          }
          c = this.#at(++this.#pos);
        } else if (c === LF) {
          if (breaks === 0 && segStart >= 0) {
            value += text.slice(segStart, segEnd);
            segStart = -1;
          }
          breaks++;
          this.#newline();
          c = this.#at(this.#pos);
        } else break;
      }
      if (breaks > 0) fold = breaks === 1 ? " " : "\n".repeat(breaks - 1);
      if (breaks > 0 && this.#column() < indent) break;
    }
    if (segStart >= 0) value += text.slice(segStart, segEnd);
    const node: YamlScalar = { kind: "scalar", value, offset, line, column };
    // A ':' on a later line is not this scalar's: it is the value indicator of a `? key`.
    const isKey = this.#line === endLine && this.#atValueIndicator();
    return { node, isKey, multiline };
  }

  /** A single- or double-quoted scalar, then what may follow it on its line. */
  #quoted(single: boolean): Scanned {
    const text = this.#text;
    const close = single ? QUOTE1 : QUOTE2;
    const start = this.#mark();
    this.#pos++;
    let value = "";
    for (;;) {
      if (this.#isMarker(this.#pos)) {
        throw this.#error(
          "syntax",
          `a document marker inside the quoted value that starts on line ${start.line}`,
        );
      }
      let c = this.#at(this.#pos);
      if (c === EOF) {
        throw this.#error(
          "syntax",
          "the quoted value is not closed: the file ends before its closing quote",
          start,
        );
      }
      // Non-blank characters.
      let run = this.#pos;
      let leadingBlanks = false;
      while (!isBlankz(c)) {
        if (single && c === QUOTE1 && this.#at(this.#pos + 1) === QUOTE1) {
          value += text.slice(run, this.#pos + 1);
          this.#pos += 2;
          run = this.#pos;
        } else if (c === close) {
          break;
        } else if (!single && c === BACKSLASH) {
          value += text.slice(run, this.#pos);
          const e = this.#at(this.#pos + 1);
          if (e === LF) {
            this.#pos++;
            this.#newline();
            run = this.#pos;
            leadingBlanks = true;
            break;
          }
          value += this.#escape();
          run = this.#pos;
        } else {
          this.#pos++;
        }
        c = this.#at(this.#pos);
      }
      value += text.slice(run, this.#pos);
      c = this.#at(this.#pos);
      if (c === close) break;
      // Blanks and line ends.
      const blanks = this.#pos;
      let breaks = 0;
      for (;;) {
        if (c === SPACE || c === TAB) c = this.#at(++this.#pos);
        else if (c === LF) {
          breaks++;
          this.#newline();
          c = this.#at(this.#pos);
        } else break;
      }
      if (leadingBlanks) {
        value += "\n".repeat(breaks);
      } else if (breaks > 0) {
        value += breaks === 1 ? " " : "\n".repeat(breaks - 1);
      } else {
        value += text.slice(blanks, this.#pos);
      }
    }
    this.#pos++; // the closing quote
    const node: YamlScalar = { kind: "scalar", value, ...start };
    let c = this.#at(this.#pos);
    while (c === SPACE || c === TAB) c = this.#at(++this.#pos);
    const isKey = this.#atValueIndicator();
    if (!isKey && c !== HASH && c !== LF && c !== EOF) {
      throw this.#error("syntax", "unexpected text after the closing quote");
    }
    return { node, isKey, multiline: this.#line !== start.line };
  }

  /** The escape at the cursor (a backslash) in a double-quoted scalar; moves past it. */
  #escape(): string {
    const name = this.#text[this.#pos + 1] ?? "";
    const fixed = ESCAPES[name];
    if (fixed !== undefined) {
      this.#pos += 2;
      return fixed;
    }
    const length = HEX_ESCAPES[name];
    if (length === undefined) {
      throw this.#error(
        "syntax",
        `unknown escape ${
          quote1(`\\${name}`)
        } in a double-quoted value (use '\\\\' for a backslash)`,
      );
    }
    const digits = this.#text.slice(this.#pos + 2, this.#pos + 2 + length);
    if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length !== length) {
      throw this.#error("syntax", `the escape '\\${name}' needs ${length} hexadecimal digits`);
    }
    const code = parseInt(digits, 16);
    if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) {
      throw this.#error("syntax", `the escape '\\${name}${digits}' is not a Unicode character`);
    }
    this.#pos += 2 + length;
    return String.fromCodePoint(code);
  }

  /** A `|` or `>` block scalar, as libyaml scans it, in a block indented by `parent`. */
  #blockScalar(parent: number): YamlScalar {
    const text = this.#text;
    const start = this.#mark();
    const literal = this.#at(this.#pos) === PIPE;
    this.#pos++;
    let chomping = 0;
    let increment = 0;
    for (let i = 0; i < 2; i++) {
      const c = this.#at(this.#pos);
      if ((c === PLUS || c === DASH) && chomping === 0) {
        chomping = c === PLUS ? 1 : -1;
        this.#pos++;
      } else if (c >= 0x30 && c <= 0x39 && increment === 0) {
        if (c === 0x30) {
          throw this.#error("syntax", "a block scalar's indentation indicator cannot be 0");
        }
        increment = c - 0x30;
        this.#pos++;
      }
    }
    if (!this.#restOfLineEmpty(true)) {
      throw this.#error(
        "syntax",
        "unexpected text after the block scalar indicator; the value starts on the next line",
      );
    }
    if (this.#at(this.#pos) === LF) this.#newline();
    let indent = increment > 0 ? (parent >= 0 ? parent + increment : increment) : 0;
    let value = "";
    let leadingBreak = "";
    let leadingBlank = false;
    const breaks = (): string => {
      // Indentation spaces and empty lines; sets `indent` from the first non-empty line if unknown.
      let found = "";
      let maxIndent = 0;
      for (;;) {
        let c = this.#at(this.#pos);
        while ((indent === 0 || this.#column() < indent) && c === SPACE) c = this.#at(++this.#pos);
        if (this.#column() > maxIndent) maxIndent = this.#column();
        if ((indent === 0 || this.#column() < indent) && c === TAB) {
          throw this.#error(
            "syntax",
            "Tabs are not allowed as indentation (found a tab in the indentation of a block scalar)",
          );
        }
        if (c !== LF) break;
        found += "\n";
        this.#newline();
      }
      if (indent === 0) indent = Math.max(maxIndent, parent + 1, 1);
      return found;
    };
    let trailing = breaks();
    while (this.#column() === indent && this.#at(this.#pos) !== EOF) {
      const trailingBlank = this.#at(this.#pos) === SPACE || this.#at(this.#pos) === TAB;
      if (!literal && leadingBreak === "\n" && !leadingBlank && !trailingBlank) {
        if (trailing === "") value += " ";
      } else value += leadingBreak;
      leadingBreak = "";
      value += trailing;
      leadingBlank = trailingBlank;
      const end = text.indexOf("\n", this.#pos);
      value += text.slice(this.#pos, end < 0 ? text.length : end);
      if (end < 0) {
        this.#pos = text.length;
        trailing = "";
        break;
      }
      this.#pos = end;
      this.#newline();
      leadingBreak = "\n";
      trailing = breaks();
    }
    if (chomping !== -1) value += leadingBreak;
    if (chomping === 1) value += trailing;
    // Give back the indentation of the line that ends the scalar: the caller reads it from its start.
    if (this.#at(this.#pos) !== EOF) this.#pos = this.#lineStart;
    return { kind: "scalar", value, ...start };
  }

  /** The value after a key's `:` (at the cursor) in a mapping indented by `indent`. */
  #value(indent: number, simple: boolean): YamlNode {
    this.#pos++;
    if (!this.#restOfLineEmpty(simple)) return this.#node(indent, simple);
    const empty: YamlScalar = { kind: "scalar", value: "", ...this.#mark() };
    if (!this.#skipSpace(false)) return empty;
    const column = this.#column();
    if (column > indent) return this.#node(indent, false);
    if (column === indent && this.#at(this.#pos) === DASH && isBlankz(this.#at(this.#pos + 1))) {
      return this.#list(indent, true);
    }
    return empty;
  }

  /**
   * A block mapping whose keys are at column `indent`; the cursor is at the
   * first key's `:` (`first` is that key), or at a `? ` or `: ` indicator.
   */
  #map(indent: number, first: YamlScalar | null): YamlMap {
    const pairs: YamlPair[] = [];
    const mark = first ?? this.#mark();
    this.#enter(indent, mark);
    let key: YamlNode | null = first;
    for (;;) {
      const c = this.#at(this.#pos);
      let value: YamlNode;
      if (key !== null) {
        value = this.#valueOf(key, indent, true);
      } else if (c === QMARK && isBlankz(this.#at(this.#pos + 1))) {
        key = this.#explicitKey(indent);
        if (
          this.#column() === indent && this.#pos !== this.#text.length && this.#atValueIndicator()
        ) {
          value = this.#valueOf(key, indent, false);
        } else {
          value = {
            kind: "scalar",
            value: "",
            offset: key.offset,
            line: key.line,
            column: key.column,
          };
        }
      } else if (c === COLON && isBlankz(this.#at(this.#pos + 1))) {
        key = { kind: "scalar", value: "", ...this.#mark() };
        value = this.#valueOf(key, indent, false);
      } else if (c === DASH && isBlankz(this.#at(this.#pos + 1))) {
        throw this.#error("syntax", "a '- ' list item where a key of the mapping is expected");
      } else if (c === PIPE || c === GT) {
        throw this.#error("syntax", "a block scalar where a key of the mapping is expected");
      } else {
        const scanned = this.#scalar(indent);
        if (!scanned.isKey) {
          throw this.#error(
            "syntax",
            "a key without ': ' where the mapping needs 'key: value' (or a line indented too far)",
            scanned.node,
          );
        }
        this.#simpleKey(scanned.node, scanned.multiline);
        key = scanned.node;
        continue;
      }
      pairs.push({ key, value });
      key = null;
      if (!this.#skipSpace(true)) break;
      const column = this.#column();
      if (column < indent) break;
      if (column > indent) throw this.#badIndent(column);
    }
    this.#open.pop();
    this.#closed = indent;
    return { kind: "map", pairs, offset: mark.offset, line: mark.line, column: mark.column };
  }

  /** Opens a collection at column `indent`. */
  #enter(indent: number, mark: YamlMark): void {
    this.#open.push(indent);
    if (this.#open.length > MAX_YAML_DEPTH) {
      throw this.#error(
        "syntax",
        `collections are nested over ${MAX_YAML_DEPTH} levels deep`,
        mark,
      );
    }
  }

  /** The value of `key` (the cursor at its `:`), read with the key on the path. */
  #valueOf(key: YamlNode, indent: number, simple: boolean): YamlNode {
    this.#path.push(key.kind === "scalar" ? key.value : "");
    const value = this.#value(indent, simple);
    this.#path.pop();
    return value;
  }

  /** The key after `? ` (at the cursor); leaves the cursor at the next content. */
  #explicitKey(indent: number): YamlNode {
    this.#pos++;
    let key: YamlNode;
    if (!this.#restOfLineEmpty(false)) key = this.#node(indent, false);
    else {
      key = { kind: "scalar", value: "", ...this.#mark() };
      if (this.#skipSpace(false) && this.#column() > indent) key = this.#node(indent, false);
    }
    this.#skipSpace(true);
    return key;
  }

  /**
   * A block list whose `-` are at column `indent` (the cursor at the first);
   * `indentless`: at the indentation of its key (`servers:\n- a`).
   */
  #list(indent: number, indentless: boolean): YamlList {
    const items: YamlNode[] = [];
    const mark = this.#mark();
    this.#enter(indent, mark);
    for (;;) {
      this.#pos++; // the '-'
      let item: YamlNode;
      if (!this.#restOfLineEmpty(false)) item = this.#node(indent, false);
      else {
        item = { kind: "scalar", value: "", ...this.#mark() };
        if (this.#skipSpace(false) && this.#column() > indent) item = this.#node(indent, false);
      }
      items.push(item);
      if (!this.#skipSpace(true)) break;
      const column = this.#column();
      if (column < indent) break;
      if (column > indent) throw this.#badIndent(column);
      if (this.#at(this.#pos) !== DASH || !isBlankz(this.#at(this.#pos + 1))) {
        if (indentless) break;
        throw this.#error("syntax", "a line where a '- ' item of the list is expected");
      }
    }
    this.#open.pop();
    this.#closed = indent;
    return { kind: "list", items, ...mark };
  }
}

/** `text` in single quotes (short tokens only: messages never echo values). */
function quote1(text: string): string {
  return `'${text}'`;
}
