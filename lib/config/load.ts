/**
 * Loads a twemproxy YAML configuration into a deeply frozen {@link Config},
 * or throws one {@link ConfigError} that names the file, line, column, pool
 * and key, what is wrong and what is allowed.
 *
 * It accepts what nutcracker 0.5.0 accepts and rejects what it rejects, with
 * a few deliberate exceptions where nutcracker would misbehave (see
 * `listen.ts`, `server.ts`, `decimal.ts`). Like nutcracker it refuses YAML
 * features it does not read: `---`/`...` markers, directives, anchors,
 * aliases, tags and flow collections (`[...]`, `{...}`). Nothing here opens
 * a socket or resolves a name.
 *
 * @module
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  type YAMLMap,
} from "yaml";
import type { Config, PoolConfig } from "./types.ts";
import { ConfigError, quote, ValueError } from "./errors.ts";
import {
  type ListKeyDef,
  POOL_KEY_NAMES,
  POOL_KEYS,
  POOL_RULES,
  type PoolSettings,
} from "./keys.ts";
import { closest } from "./suggest.ts";
import { listenKey } from "./listen.ts";
import { dirname } from "node:path";

const POOL_EXAMPLE =
  "a pool name line 'alpha:' with indented 'listen: 127.0.0.1:22121' and 'servers:' lines below it, then '- 127.0.0.1:6379:1' items";

/** A position and context for errors found while walking one file. */
class Reporter {
  /** The directory of the file, against which relative paths in values are read. */
  readonly dir: string;
  readonly #file: string;
  readonly #lines: LineCounter;
  readonly #text: string;

  constructor(file: string, lines: LineCounter, text: string) {
    this.#file = file;
    this.dir = dirname(file);
    this.#lines = lines;
    this.#text = text;
  }

  /** Where `marker` last occurs at or before `offset` (anchors and tags precede their node), else `offset`. */
  before(offset: number | undefined, marker: string): number | undefined {
    if (offset === undefined) return undefined;
    let found = this.#text.lastIndexOf(marker, offset);
    if (found < 0) return offset;
    while (found > 0 && this.#text[found - 1] === marker) found--; // `!!str` starts at its first `!`
    return found;
  }

  /** The error at source offset `offset` (or the file start). */
  error(
    offset: number | undefined,
    pool: string | null,
    key: string | null,
    reason: string,
    hint: string,
  ): ConfigError {
    const { line, col } = this.#lines.linePos(offset ?? 0);
    return new ConfigError({
      file: this.#file,
      line,
      column: col,
      pool,
      key,
      reason,
      hint,
    });
  }

  /** The 1-based line of `offset`. */
  line(offset: number | undefined): number {
    return this.#lines.linePos(offset ?? 0).line;
  }
}

/**
 * Parses configuration `text` read from `file` (the name is used in messages
 * and kept in {@link Config.file}). Throws {@link ConfigError}.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./load.ts";
 * const config = parseConfig("alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n", "x.yml");
 * console.assert(config.pools[0]?.servers[0]?.name === "127.0.0.1:6379");
 * ```
 */
export function parseConfig(text: string, file: string): Config {
  checkBounds(text, file);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    schema: "failsafe",
    uniqueKeys: false,
    prettyErrors: false,
    lineCounter: lines,
  });
  const report = new Reporter(file, lines, text);

  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    if (syntax.code === "MULTIPLE_DOCS") {
      throw report.error(
        syntax.pos[0],
        null,
        null,
        "the file holds more than one YAML document",
        "keep a single mapping of pool names; remove '---' and '...' lines",
      );
    }
    throw report.error(
      syntax.pos[0],
      null,
      null,
      `YAML syntax error: ${syntax.message}`,
      "indent with spaces, and quote values that contain ': ' or ' #' or start with [ { & * ! | > % @ `",
    );
  }
  checkMarkers(text, report);
  if (doc.contents !== null) checkPlainYaml(doc.contents, report);

  const root = doc.contents;
  if (root === null || (isScalar(root) && scalarText(root) === "")) {
    throw report.error(
      0,
      null,
      null,
      "the file defines no pools",
      `define at least one pool: ${POOL_EXAMPLE}`,
    );
  }
  if (!isMap(root)) {
    throw report.error(
      root.range?.[0],
      null,
      null,
      "the top level must be a mapping of pool names to pool settings",
      `write ${POOL_EXAMPLE}`,
    );
  }

  const pools: PoolConfig[] = [];
  const names = new Map<string, number>();
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const name = keyNode !== null && isScalar(keyNode) ? scalarText(keyNode) : "";
    const at = keyNode?.range?.[0] ?? (pair.value as Node | null)?.range?.[0];
    if (keyNode === null || !isScalar(keyNode) || name === "") {
      throw report.error(
        at,
        null,
        null,
        "a pool has no name",
        "start each pool with its name and a colon, e.g. alpha:",
      );
    }
    const firstLine = names.get(name);
    if (firstLine !== undefined) {
      throw report.error(
        at,
        name,
        null,
        `the pool name is used twice (first on line ${firstLine})`,
        "give each pool a distinct name",
      );
    }
    names.set(name, report.line(at));
    pools.push(readPool(name, report.line(at), at, pair.value as Node | null, report));
  }

  checkListenClash(pools, root, report);
  return deepFreeze({ file, pools });
}

/**
 * Reads and parses the configuration file at `file`. Throws
 * {@link ConfigError}, also when the file cannot be read or is not UTF-8.
 */
export async function loadConfig(file: string): Promise<Config> {
  return (await loadConfigBytes(file)).config;
}

/**
 * Like {@link loadConfig}, and also gives the bytes read (a reload reports
 * their sha256), so the configuration and its digest come from one read.
 */
export async function loadConfigBytes(
  file: string,
): Promise<{ readonly config: Config; readonly bytes: Uint8Array }> {
  // An oversized file is refused before it is read (a device or a pipe is read, then checked).
  const size = await Deno.stat(file).then((info) => info.isFile ? info.size : 0, () => 0);
  if (size > MAX_CONFIG_BYTES) checkBounds("", file, size);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigError({
      file,
      line: null,
      column: null,
      pool: null,
      key: null,
      reason: `cannot read the configuration file: ${why}`,
      hint: "check the path given with -c",
    });
  }
  if (bytes.length > MAX_CONFIG_BYTES) checkBounds("", file, bytes.length);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError({
      file,
      line: null,
      column: null,
      pool: null,
      key: null,
      reason: "the file is not valid UTF-8 text",
      hint: "save it as UTF-8",
    });
  }
  return { config: parseConfig(text, file), bytes };
}

/**
 * The largest configuration file nutmeg reads: twice a 200,000-server pool
 * with long names. The YAML parser costs about 150 ms and 40 MB per MiB, so
 * this keeps `-t` on any file within a few seconds and a few hundred MB.
 */
export const MAX_CONFIG_BYTES = 16 << 20;

/** The longest line nutmeg reads (no setting needs more; a longer one is an attack or an accident). */
export const MAX_LINE_CHARS = 64 << 10;

/** Rejects text over {@link MAX_CONFIG_BYTES} or with a line over {@link MAX_LINE_CHARS}, before parsing. */
function checkBounds(text: string, file: string, size = text.length): void {
  const fail = (line: number | null, reason: string, hint: string): never => {
    throw new ConfigError({
      file,
      line,
      column: line === null ? null : 1,
      pool: null,
      key: null,
      reason,
      hint,
    });
  };
  if (size > MAX_CONFIG_BYTES) {
    fail(
      null,
      `the file is ${size} bytes long, over the ${MAX_CONFIG_BYTES} bytes nutmeg reads`,
      "a configuration needs far less; check that -c names the right file",
    );
  }
  let line = 1;
  for (let start = 0; start < text.length; line++) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    if (end - start > MAX_LINE_CHARS) {
      fail(
        line,
        `the line is ${end - start} characters long, over the ${MAX_LINE_CHARS} nutmeg reads`,
        `no setting needs that much; the line starts ${quote(text.slice(start, start + 80))}`,
      );
    }
    start = end + 1;
  }
}

/** Rejects `---`, `...` and `%` directive lines, which nutcracker refuses. */
function checkMarkers(text: string, report: Reporter): void {
  let offset = 0;
  for (const line of text.split("\n")) {
    const marker = /^(---|\.\.\.)(\s|$)/.exec(line)?.[1] ?? (line.startsWith("%") ? "%" : null);
    if (marker !== null) {
      const what = marker === "%" ? "a YAML directive" : `the document marker ${quote(marker)}`;
      throw report.error(
        offset,
        null,
        null,
        `${what} is not allowed (nutcracker refuses it)`,
        "remove the line; the file is one plain mapping of pools",
      );
    }
    offset += line.length + 1;
  }
}

/**
 * Rejects anchors, aliases, tags and flow collections, which nutcracker
 * refuses. `path` is the pool name then the key, as far as they are known.
 */
function checkPlainYaml(node: unknown, report: Reporter, path: readonly string[] = []): void {
  const pool = path[0] ?? null;
  const key = path[1] ?? null;
  if (isPair(node)) {
    checkPlainYaml(node.key, report, path);
    const name = isScalar(node.key) ? scalarText(node.key) : "";
    checkPlainYaml(node.value, report, path.length < 2 ? [...path, name] : path);
    return;
  }
  if (isAlias(node)) {
    throw report.error(
      node.range?.[0],
      pool,
      key,
      `the alias '*${node.source}' is not allowed (nutcracker refuses anchors and aliases)`,
      "write the value out in full",
    );
  }
  if (!isScalar(node) && !isMap(node) && !isSeq(node)) return;
  const at = node.range?.[0];
  if (node.anchor !== undefined) {
    throw report.error(
      report.before(at, `&${node.anchor}`),
      pool,
      key,
      `the anchor '&${node.anchor}' is not allowed (nutcracker refuses anchors and aliases)`,
      "remove it and write values out in full",
    );
  }
  if (node.tag !== undefined) {
    throw report.error(
      report.before(at, "!"),
      pool,
      key,
      `the tag ${
        quote(
          node.tag.replace("tag:yaml.org,2002:", "!!"),
        )
      } is not allowed (nutcracker refuses tags)`,
      "remove it; every value is read as text",
    );
  }
  if (isScalar(node)) return;
  if (node.flow === true) {
    const kind = isMap(node) ? "a flow mapping {...}" : "a flow list [...]";
    throw report.error(
      at,
      pool,
      key,
      `${kind} is not allowed (nutcracker refuses flow style)`,
      "write a list as lines starting with '- ', and quote values that start with [ or {",
    );
  }
  for (const item of node.items) checkPlainYaml(item, report, path);
}

function scalarText(node: Scalar): string {
  const v: unknown = node.value;
  return typeof v === "string" ? v : v === null || v === undefined ? "" : String(v);
}

interface Seen {
  readonly keyOffset: number | undefined;
  readonly line: number;
}

function readPool(
  name: string,
  line: number,
  at: number | undefined,
  value: Node | null,
  report: Reporter,
): PoolConfig {
  if (value === null || (isScalar(value) && scalarText(value) === "")) {
    throw report.error(
      at,
      name,
      null,
      "the pool has no settings",
      "indent its keys under the pool name, e.g. '  listen: 127.0.0.1:22121'",
    );
  }
  if (!isMap(value)) {
    throw report.error(
      value.range?.[0],
      name,
      null,
      `the pool must be a mapping of keys, not ${isSeq(value) ? "a list" : "a single value"}`,
      "indent its keys under the pool name, e.g. '  listen: 127.0.0.1:22121'",
    );
  }

  const seen = new Map<string, Seen>();
  const set: Partial<Record<keyof PoolSettings, unknown>> = {};
  let listenSpec = "";
  for (const pair of (value as YAMLMap<Node | null, Node | null>).items) {
    const keyNode = pair.key;
    const keyAt = keyNode?.range?.[0] ?? pair.value?.range?.[0] ?? at;
    if (keyNode === null || !isScalar(keyNode) || scalarText(keyNode) === "") {
      throw report.error(
        keyAt,
        name,
        null,
        "a key is empty or not plain text",
        `use one of ${POOL_KEY_NAMES.join(", ")}`,
      );
    }
    const key = scalarText(keyNode);
    const def = POOL_KEYS.find((k) => k.key === key);
    if (def === undefined) {
      const guess = closest(key, POOL_KEY_NAMES);
      throw report.error(
        keyAt,
        name,
        key,
        `unknown key ${quote(key)}`,
        guess !== null
          ? `did you mean ${quote(guess)}?`
          : `the keys are ${POOL_KEY_NAMES.join(", ")}`,
      );
    }
    const first = seen.get(key);
    if (first !== undefined) {
      throw report.error(
        keyAt,
        name,
        key,
        `the key appears twice in the pool (first on line ${first.line})`,
        "keep only one",
      );
    }
    seen.set(key, { keyOffset: keyAt, line: report.line(keyAt) });

    const node = pair.value;
    const valueAt = node?.range?.[0] ?? keyAt;
    const fail = (e: unknown, offset: number | undefined): never => {
      if (e instanceof ValueError) throw report.error(offset, name, key, e.reason, e.hint);
      throw e;
    };

    if (def.shape === "list") {
      set[def.field] = readList(def as ListKeyDef<unknown>, node, valueAt, name, report, fail);
      continue;
    }

    if (node !== null && !isScalar(node)) {
      throw report.error(
        valueAt,
        name,
        key,
        `${key} must be a single value, not ${isSeq(node) ? "a list" : "a mapping"}`,
        `use ${def.allowed}`,
      );
    }
    const text = node === null ? "" : scalarText(node);
    if (text === "") {
      throw report.error(
        valueAt,
        name,
        key,
        "the value is empty",
        `use ${def.allowed}, or remove the key`,
      );
    }
    try {
      set[def.field] = def.parse(text, report.dir);
    } catch (e) {
      fail(e, valueAt);
    }
    if (key === "listen") listenSpec = text;
  }

  for (const def of POOL_KEYS) {
    if (set[def.field] !== undefined || seen.has(def.key)) continue;
    if (def.required) {
      const example = def.shape === "list"
        ? "'servers:' followed by lines like '    - 127.0.0.1:6379:1'"
        : "'listen: 127.0.0.1:22121'";
      throw report.error(
        at,
        name,
        def.key,
        `the pool has no ${def.key} key`,
        `add ${def.allowed}, e.g. ${example}`,
      );
    }
    set[def.field] = def.default;
  }
  // Every field is now set, from the file or from its default in POOL_KEYS.
  const settings = set as PoolSettings;
  for (const rule of POOL_RULES) {
    const error = rule.check(settings);
    if (error !== null) {
      throw report.error(
        seen.get(rule.key)?.keyOffset ?? at,
        name,
        rule.key,
        error.reason,
        error.hint,
      );
    }
  }
  return { name, line, listenSpec, ...settings };
}

/** Reads the items of a list key (`servers:`, `sentinels:`) in the order the pool keeps them. */
function readList<T>(
  def: ListKeyDef<T>,
  node: Node | null,
  valueAt: number | undefined,
  pool: string,
  report: Reporter,
  fail: (e: unknown, offset: number | undefined) => never,
): T[] {
  const key = def.key;
  if (node === null || (isScalar(node) && scalarText(node) === "")) {
    throw report.error(
      valueAt,
      pool,
      key,
      `the ${def.item} list is empty`,
      `list at least one ${def.item} below it, one per line, e.g. '    - ${def.example}'`,
    );
  }
  if (!isSeq(node)) {
    throw report.error(
      valueAt,
      pool,
      key,
      `${key} must be a list`,
      `write each ${def.item} on its own line below ${key}:, starting with '- ', e.g. '    - ${def.example}'`,
    );
  }
  const items: T[] = [];
  const offsets: (number | undefined)[] = [];
  for (const item of node.items as unknown[]) {
    const itemAt = (item as Node | null)?.range?.[0] ?? valueAt;
    if (!isScalar(item)) {
      throw report.error(
        itemAt,
        pool,
        key,
        `a ${def.item} entry is not a single line of text`,
        `write ${def.allowed}`,
      );
    }
    const text = scalarText(item);
    if (text === "") {
      throw report.error(itemAt, pool, key, `a ${def.item} entry is empty`, `write ${def.allowed}`);
    }
    try {
      items.push(def.parseItem(text, report.line(itemAt)));
    } catch (e) {
      fail(e, itemAt);
    }
    offsets.push(itemAt);
  }
  const bad = def.check(items);
  if (bad !== null) fail(bad.error, offsets[bad.index]);
  return def.order(items);
}

function checkListenClash(pools: readonly PoolConfig[], root: YAMLMap, report: Reporter): void {
  const owners = new Map<string, PoolConfig>();
  for (const [i, pool] of pools.entries()) {
    const key = listenKey(pool.listen);
    const owner = owners.get(key);
    if (owner === undefined) {
      owners.set(key, pool);
      continue;
    }
    const poolNode = root.items[i]?.value;
    let at: number | undefined;
    if (isMap(poolNode)) {
      const listenPair = poolNode.items.find((p) => isScalar(p.key) && p.key.value === "listen");
      const v = listenPair?.value;
      at = isScalar(v) ? v.range?.[0] : undefined;
    }
    throw report.error(
      at,
      pool.name,
      "listen",
      `address ${quote(pool.listenSpec)} is already the listen address of pool ${
        quote(owner.name)
      } (line ${owner.line})`,
      "give each pool its own listen address",
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
