/**
 * Loads a twemproxy YAML configuration into a deeply frozen {@link Config},
 * or throws one {@link ConfigError} that names the file, line, column, pool
 * and key, what is wrong and what is allowed.
 *
 * It accepts what nutcracker 0.5.0 accepts and rejects what it rejects, with
 * a few deliberate exceptions where nutcracker would misbehave (see
 * `listen.ts`, `server.ts`, `decimal.ts`). The YAML is read by nutmeg's own
 * reader (`yaml.ts`), which follows libyaml, nutcracker's parser; like
 * nutcracker it refuses YAML features it does not read: `---`/`...` markers,
 * directives, anchors, aliases, tags and flow collections (`[...]`, `{...}`),
 * and this file words those refusals. Nothing here opens a socket or
 * resolves a name.
 *
 * @module
 */
import { parseYaml, type YamlMap, type YamlMark, type YamlNode, YamlSyntaxError } from "./yaml.ts";
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
import { dirname } from "./dirname.ts";

const POOL_EXAMPLE =
  "a pool name line 'alpha:' with indented 'listen: 127.0.0.1:22121' and 'servers:' lines below it, then '- 127.0.0.1:6379:1' items";

/** A position and context for errors found while walking one file. */
class Reporter {
  /** The directory of the file, against which relative paths in values are read. */
  readonly dir: string;
  readonly #file: string;

  constructor(file: string) {
    this.#file = file;
    this.dir = dirname(file);
  }

  /** The error at `at` (or the file start). */
  error(
    at: YamlMark | undefined,
    pool: string | null,
    key: string | null,
    reason: string,
    hint: string,
  ): ConfigError {
    return new ConfigError({
      file: this.#file,
      line: at?.line ?? 1,
      column: at?.column ?? 1,
      pool,
      key,
      reason,
      hint,
    });
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
  const report = new Reporter(file);
  let root: YamlNode | null;
  try {
    root = parseYaml(text);
  } catch (e) {
    if (e instanceof YamlSyntaxError) throw yamlError(e, report);
    throw e;
  }

  if (root === null || isEmpty(root)) {
    throw report.error(
      undefined,
      null,
      null,
      "the file defines no pools",
      `define at least one pool: ${POOL_EXAMPLE}`,
    );
  }
  if (root.kind !== "map") {
    throw report.error(
      root,
      null,
      null,
      "the top level must be a mapping of pool names to pool settings",
      `write ${POOL_EXAMPLE}`,
    );
  }

  const pools: PoolConfig[] = [];
  const names = new Map<string, number>();
  for (const { key, value } of root.pairs) {
    const name = key.kind === "scalar" ? key.value : "";
    if (name === "") {
      throw report.error(
        key,
        null,
        null,
        "a pool has no name",
        "start each pool with its name and a colon, e.g. alpha:",
      );
    }
    const firstLine = names.get(name);
    if (firstLine !== undefined) {
      throw report.error(
        key,
        name,
        null,
        `the pool name is used twice (first on line ${firstLine})`,
        "give each pool a distinct name",
      );
    }
    names.set(name, key.line);
    pools.push(readPool(name, key, value, report));
  }

  checkListenClash(pools, root, report);
  return deepFreeze({ file, pools });
}

/** The {@link ConfigError} for what the YAML reader refused, in nutmeg's words. */
function yamlError(e: YamlSyntaxError, report: Reporter): ConfigError {
  const pool = e.path[0] ?? null;
  const key = e.path[1] ?? null;
  const token = quote(e.reason);
  const refuse = (reason: string, hint: string) => report.error(e.mark, pool, key, reason, hint);
  switch (e.code) {
    case "syntax":
      return report.error(
        e.mark,
        null,
        null,
        `YAML syntax error: ${e.reason}`,
        "indent with spaces, and quote values that contain ': ' or ' #' or start with [ { & * ! | > % @ `",
      );
    case "anchor":
      return refuse(
        `the anchor ${token} is not allowed (nutcracker refuses anchors and aliases)`,
        "remove it and write values out in full",
      );
    case "alias":
      return refuse(
        `the alias ${token} is not allowed (nutcracker refuses anchors and aliases)`,
        "write the value out in full",
      );
    case "tag":
      return refuse(
        `the tag ${token} is not allowed (nutcracker refuses tags)`,
        "remove it; every value is read as text",
      );
    case "flow-list":
    case "flow-map":
      return refuse(
        `${
          e.code === "flow-map" ? "a flow mapping {...}" : "a flow list [...]"
        } is not allowed (nutcracker refuses flow style)`,
        "write a list as lines starting with '- ', and quote values that start with [ or {",
      );
    case "documents":
      return report.error(
        e.mark,
        null,
        null,
        "the file holds more than one YAML document",
        "keep a single mapping of pool names; remove '---' and '...' lines",
      );
    case "document-start":
    case "document-end":
    case "directive":
      return report.error(
        e.mark,
        null,
        null,
        `${
          e.code === "directive" ? "a YAML directive" : `the document marker ${token}`
        } is not allowed (nutcracker refuses it)`,
        "remove the line; the file is one plain mapping of pools",
      );
  }
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
 * with long names. Reading and checking costs about 0.15 s and 20 MB per MiB
 * (`-t` on a 16.7 MB file of 219,537 servers: 2.3 s, 310 MB RSS), so this
 * keeps `-t` on any file within a few seconds and a few hundred MB.
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

/** Whether `node` is an empty value (`key:` or `key: ""`). */
function isEmpty(node: YamlNode): boolean {
  return node.kind === "scalar" && node.value === "";
}

/** Names the kind of a node that is not the one a key needs. */
function kindName(node: YamlNode): string {
  return node.kind === "list" ? "a list" : node.kind === "map" ? "a mapping" : "a single value";
}

function readPool(name: string, at: YamlMark, value: YamlNode, report: Reporter): PoolConfig {
  if (isEmpty(value)) {
    throw report.error(
      at,
      name,
      null,
      "the pool has no settings",
      "indent its keys under the pool name, e.g. '  listen: 127.0.0.1:22121'",
    );
  }
  if (value.kind !== "map") {
    throw report.error(
      value,
      name,
      null,
      `the pool must be a mapping of keys, not ${kindName(value)}`,
      "indent its keys under the pool name, e.g. '  listen: 127.0.0.1:22121'",
    );
  }

  /** Each key read so far, at its position. */
  const seen = new Map<string, YamlMark>();
  const set: Partial<Record<keyof PoolSettings, unknown>> = {};
  let listenSpec = "";
  for (const pair of value.pairs) {
    const keyNode = pair.key;
    if (keyNode.kind !== "scalar" || keyNode.value === "") {
      throw report.error(
        keyNode,
        name,
        null,
        "a key is empty or not plain text",
        `use one of ${POOL_KEY_NAMES.join(", ")}`,
      );
    }
    const key = keyNode.value;
    const def = POOL_KEYS.find((k) => k.key === key);
    if (def === undefined) {
      const guess = closest(key, POOL_KEY_NAMES);
      throw report.error(
        keyNode,
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
        keyNode,
        name,
        key,
        `the key appears twice in the pool (first on line ${first.line})`,
        "keep only one",
      );
    }
    seen.set(key, keyNode);

    const node = pair.value;
    const fail = (e: unknown, at: YamlMark): never => {
      if (e instanceof ValueError) throw report.error(at, name, key, e.reason, e.hint);
      throw e;
    };

    if (def.shape === "list") {
      set[def.field] = readList(def as ListKeyDef<unknown>, node, name, report, fail);
      continue;
    }

    if (node.kind !== "scalar") {
      throw report.error(
        node,
        name,
        key,
        `${key} must be a single value, not ${kindName(node)}`,
        `use ${def.allowed}`,
      );
    }
    const text = node.value;
    if (text === "") {
      throw report.error(
        node,
        name,
        key,
        "the value is empty",
        `use ${def.allowed}, or remove the key`,
      );
    }
    try {
      set[def.field] = def.parse(text, report.dir);
    } catch (e) {
      fail(e, node);
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
        seen.get(rule.key) ?? at,
        name,
        rule.key,
        error.reason,
        error.hint,
      );
    }
  }
  return { name, line: at.line, listenSpec, ...settings };
}

/** Reads the items of a list key (`servers:`, `sentinels:`) in the order the pool keeps them. */
function readList<T>(
  def: ListKeyDef<T>,
  node: YamlNode,
  pool: string,
  report: Reporter,
  fail: (e: unknown, at: YamlMark) => never,
): T[] {
  const key = def.key;
  if (isEmpty(node)) {
    throw report.error(
      node,
      pool,
      key,
      `the ${def.item} list is empty`,
      `list at least one ${def.item} below it, one per line, e.g. '    - ${def.example}'`,
    );
  }
  if (node.kind !== "list") {
    throw report.error(
      node,
      pool,
      key,
      `${key} must be a list`,
      `write each ${def.item} on its own line below ${key}:, starting with '- ', e.g. '    - ${def.example}'`,
    );
  }
  const items: T[] = [];
  for (const item of node.items) {
    if (item.kind !== "scalar") {
      throw report.error(
        item,
        pool,
        key,
        `a ${def.item} entry is not a single line of text`,
        `write ${def.allowed}`,
      );
    }
    if (item.value === "") {
      throw report.error(item, pool, key, `a ${def.item} entry is empty`, `write ${def.allowed}`);
    }
    try {
      items.push(def.parseItem(item.value, item.line));
    } catch (e) {
      fail(e, item);
    }
  }
  const bad = def.check(items);
  if (bad !== null) fail(bad.error, node.items[bad.index] ?? node);
  return def.order(items);
}

function checkListenClash(pools: readonly PoolConfig[], root: YamlMap, report: Reporter): void {
  const owners = new Map<string, PoolConfig>();
  for (const [i, pool] of pools.entries()) {
    const key = listenKey(pool.listen);
    const owner = owners.get(key);
    if (owner === undefined) {
      owners.set(key, pool);
      continue;
    }
    const poolNode = root.pairs[i]?.value;
    const at = poolNode?.kind === "map"
      ? poolNode.pairs.find((p) => p.key.kind === "scalar" && p.key.value === "listen")?.value
      : undefined;
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
