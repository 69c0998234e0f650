/**
 * The command table in the form the request path uses: the facts of
 * `commands.ts` (generated from redis-server) joined with the serving
 * policy of `policy.ts` (written by hand), specs looked up by the command
 * name's bytes (case-insensitively, no string decoding), and key positions
 * found the way Redis's key specs describe them.
 *
 * Key spec notation in the table (specs separated by `;`):
 * - `1`: the key at index 1;
 * - `1..-1`, `1..-1/2`, `1..1`: from index 1 to the last argument (-1), or
 *   to index 1 + 1, with a step;
 * - `2#0+1`: the number of keys is at index 2 + 0, the keys start at 2 + 1
 *   (EVAL, ZUNIONSTORE's sources, ...);
 * - `STORE>6`: the key after the keyword STORE, searched from index 6 on (a
 *   negative start searches backwards from the end);
 * - `sort-store`: SORT's STORE option, found as Redis's sortGetKeys does.
 *
 * @module
 */
import { COMMANDS } from "./commands.ts";
import { type MergerName, POLICY, type ServeKind } from "./policy.ts";

/** How the proxy serves a command: a {@link ServeKind}, or `container` for CLIENT, OBJECT ... */
export type CommandKind = ServeKind | "container";

/** Where a command's keys are: one of Redis's key specs. */
export interface KeySpec {
  /** How the first key is found: at an index, after a keyword, or SORT's way. */
  readonly begin: "index" | "keyword" | "sort-store";
  /** Index of the first key (begin = index). */
  readonly index: number;
  /** Lower-case keyword bytes (begin = keyword). */
  readonly keyword: Uint8Array | null;
  /** Where the keyword search starts; negative = from the end, backwards. */
  readonly startFrom: number;
  /** How the keys run from the first: a range or a count argument. */
  readonly find: "range" | "keynum";
  /** Range: last key relative to the first (>= 0) or to the end (< 0). */
  readonly last: number;
  /** Distance between keys. */
  readonly step: number;
  /** Range with last = -1: only 1/limit of the remaining arguments are keys. */
  readonly limit: number;
  /** Keynum: index of the count, relative to the first key position. */
  readonly keynumIdx: number;
  /** Keynum: index of the first key, relative to the first key position. */
  readonly firstKey: number;
}

/** One command or subcommand, as the proxy serves it. */
export interface CommandSpec {
  /** Lower-case full name: `get`, or `client|setname` for a subcommand. */
  readonly name: string;
  /** The name's last part (the subcommand name), lower-case, as bytes. */
  readonly nameBytes: Uint8Array;
  /** Redis arity: the exact argument count, or at least -arity when negative. */
  readonly arity: number;
  /** How the proxy serves it (`policy.ts`); `container` for a command with subcommands. */
  readonly kind: CommandKind;
  /** For split and broadcast commands: how the replies merge (`policy.ts`), else null. */
  readonly merge: MergerName | null;
  /** The keyword of an option naming a database (COPY's `db`), as lower-case bytes, else null. */
  readonly dbOption: Uint8Array | null;
  /** For refused commands: why, when the policy says (else null). */
  readonly why: string | null;
  readonly keys: readonly KeySpec[];
  /** Redis command flags (`readonly`, `fast`, `no_auth`, ...). */
  readonly flags: readonly string[];
  /** Legacy key positions for COMMAND INFO: first, last, step. */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** ACL categories for COMMAND INFO. */
  readonly acl: readonly string[];
  readonly group: string;
  readonly since: string;
  readonly summary: string;
  readonly complexity: string;
  /** May run before AUTH (Redis's `no_auth` flag). */
  readonly noAuth: boolean;
  /** Subcommands of a container command (CLIENT, OBJECT...), else null. */
  readonly subcommands: CommandMap | null;
  /** The container of a subcommand, else null. */
  readonly parent: CommandSpec | null;
  /** Whether the proxy serves it (or, for a container, any subcommand of it). */
  readonly supported: boolean;
}

const ASCII = new TextEncoder();

/** Hashes bytes folded to lower case (FNV-1a). */
function hashLower(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let c = buf[i];
    if (c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

/** Whether `buf[start, end)` equals the lower-case ASCII `name`, ignoring case. */
export function equalsIgnoreCase(
  buf: Uint8Array,
  start: number,
  end: number,
  name: Uint8Array,
): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let c = buf[start + i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== name[i]) return false;
  }
  return true;
}

/** Command specs by name, looked up on bytes. */
export class CommandMap {
  #byHash = new Map<number, CommandSpec[]>();
  #all: CommandSpec[] = [];

  /** Adds a spec under its `nameBytes`. */
  add(spec: CommandSpec): void {
    const h = hashLower(spec.nameBytes, 0, spec.nameBytes.length);
    const list = this.#byHash.get(h);
    if (list === undefined) this.#byHash.set(h, [spec]);
    else list.push(spec);
    this.#all.push(spec);
  }

  /** The spec named `buf[start, end)` (any case), or null. */
  lookup(buf: Uint8Array, start: number, end: number): CommandSpec | null {
    if (end - start > 64) return null;
    const list = this.#byHash.get(hashLower(buf, start, end));
    if (list === undefined) return null;
    for (const spec of list) if (equalsIgnoreCase(buf, start, end, spec.nameBytes)) return spec;
    return null;
  }

  /** The spec named `name` (lower case), or null. */
  get(name: string): CommandSpec | null {
    const b = ASCII.encode(name);
    return this.lookup(b, 0, b.length);
  }

  /** Every spec, in table order. */
  get all(): readonly CommandSpec[] {
    return this.#all;
  }
}

/** Parses one key spec of the table's notation. */
export function parseKeySpec(text: string): KeySpec {
  const base = {
    begin: "index" as KeySpec["begin"],
    index: 0,
    keyword: null as Uint8Array | null,
    startFrom: 0,
    find: "range" as KeySpec["find"],
    last: 0,
    step: 1,
    limit: 0,
    keynumIdx: 0,
    firstKey: 0,
  };
  if (text === "sort-store") return { ...base, begin: "sort-store" };
  const m = /^(?:(\d+)|([A-Z]+)>(-?\d+))(?:\.\.(-?\d+)|#(\d+)\+(\d+))?(?:\/(\d+))?(?::(\d+))?$/
    .exec(text);
  if (m === null) throw new SyntaxError(`Cannot parse key spec: "${text}"`);
  const spec = { ...base };
  if (m[1] !== undefined) spec.index = Number(m[1]);
  else {
    spec.begin = "keyword";
    spec.keyword = ASCII.encode(m[2]!.toLowerCase());
    spec.startFrom = Number(m[3]);
  }
  if (m[4] !== undefined) spec.last = Number(m[4]);
  if (m[5] !== undefined) {
    spec.find = "keynum";
    spec.keynumIdx = Number(m[5]);
    spec.firstKey = Number(m[6]);
  }
  if (m[7] !== undefined) spec.step = Number(m[7]);
  if (m[8] !== undefined) spec.limit = Number(m[8]);
  return spec;
}

/**
 * Checks the policy against the facts: every name is a command, a
 * forwarded command has one key at a fixed index, split and broadcast
 * commands name a merger. Throws a TypeError naming the row and the fix.
 */
export function checkPolicy(
  names: ReadonlySet<string>,
  keysOf: (name: string) => string,
): void {
  for (const [name, p] of Object.entries(POLICY)) {
    const where = `policy.ts: '${name}'`;
    if (!names.has(name)) throw new TypeError(`${where} is not a command of commands.ts`);
    if (p.kind === "forward" && !/^\d+$/.test(keysOf(name))) {
      throw new TypeError(`${where} is forward but its keys are '${keysOf(name)}': use together`);
    }
    if ((p.kind === "split" || p.kind === "broadcast") !== (p.merge !== undefined)) {
      throw new TypeError(`${where}: split and broadcast commands (only) name a merger`);
    }
  }
}

function buildTable(): CommandMap {
  const top = new CommandMap();
  const parents = new Map<string, CommandSpec & { supported: boolean }>();
  const containers = new Set<string>();
  for (const [name] of COMMANDS) {
    const bar = name.indexOf("|");
    if (bar >= 0) containers.add(name.slice(0, bar));
  }
  checkPolicy(
    new Set(COMMANDS.map((r) => r[0])),
    (name) => COMMANDS.find((r) => r[0] === name)?.[2] ?? "",
  );
  for (const row of COMMANDS) {
    const [name, arity, keys, flags, fls, acl, group, since, summary, complexity] = row;
    const policy = Object.hasOwn(POLICY, name) ? POLICY[name] : undefined;
    const kind: CommandKind = containers.has(name) ? "container" : policy?.kind ?? "unsupported";
    const bar = name.indexOf("|");
    const parent = bar < 0 ? null : parents.get(name.slice(0, bar)) ?? null;
    if (bar >= 0 && parent === null) throw new Error(`${name}: no container row`);
    const [first, last, step] = fls.split(" ").map(Number);
    const flagList = flags === "" ? [] : flags.split(" ");
    const spec: CommandSpec & { supported: boolean } = {
      name,
      nameBytes: ASCII.encode(bar < 0 ? name : name.slice(bar + 1)),
      arity,
      kind,
      merge: policy?.merge ?? null,
      dbOption: policy?.dbOption === undefined ? null : ASCII.encode(policy.dbOption),
      why: policy?.why ?? null,
      keys: keys === "" ? [] : keys.split(";").map(parseKeySpec),
      flags: flagList,
      firstKey: first ?? 0,
      lastKey: last ?? 0,
      keyStep: step ?? 0,
      acl: acl === "" ? [] : acl.split(" "),
      group,
      since,
      summary,
      complexity,
      noAuth: flagList.includes("no_auth"),
      subcommands: kind === "container" ? new CommandMap() : null,
      parent,
      supported: kind !== "unsupported" && kind !== "container",
    };
    if (parent === null) {
      top.add(spec);
      if (kind === "container") parents.set(name, spec);
    } else {
      parent.subcommands!.add(spec);
      if (spec.supported) parent.supported = true;
    }
  }
  // A container that answers without a subcommand (COMMAND) is served.
  const command = parents.get("command");
  if (command !== undefined) command.supported = true;
  return top;
}

/** Every top-level command; subcommands hang off their container. */
export const COMMAND_TABLE: CommandMap = buildTable();

/** Whether `argc` arguments (command name included) satisfy `arity`. */
export function arityOk(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}

/** Reads argument `i` of a request: its bytes are `buf()[start(i), end(i))`. */
export interface ArgReader {
  readonly argc: number;
  /** The buffer holding the arguments. */
  readonly argBuf: Uint8Array;
  /**
   * Whether `argBuf` holds the request as RESP (a multibulk, not an inline
   * command): each argument's `$<len>\r` header comes right after the
   * previous argument's data and two bytes, in Redis's canonical form.
   */
  readonly resp: boolean;
  argStart(i: number): number;
  argEnd(i: number): number;
}

/**
 * Parses a non-negative integer argument as Redis's string2ll would, or
 * returns -1 (not a number, negative, or absurdly large).
 */
export function argCount(args: ArgReader, i: number): number {
  const buf = args.argBuf;
  const s = args.argStart(i);
  const e = args.argEnd(i);
  if (e <= s || e - s > 10) return -1;
  if (e - s > 1 && buf[s] === 48) return -1;
  let n = 0;
  for (let p = s; p < e; p++) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

const SORT_SKIP: readonly (readonly [Uint8Array, number])[] = [
  [ASCII.encode("limit"), 2],
  [ASCII.encode("get"), 1],
  [ASCII.encode("by"), 1],
];
const STORE = ASCII.encode("store");

/**
 * Finds the key argument indexes of a request per `spec.keys` into `out`
 * (grown as needed). Returns the number of keys, or -1 when the arguments
 * do not fit the specs (a bad count argument: Redis will reject the command).
 */
export function findKeys(spec: CommandSpec, args: ArgReader, out: { keys: Int32Array }): number {
  const argc = args.argc;
  const buf = args.argBuf;
  let n = 0;
  const push = (i: number): void => {
    if (n === out.keys.length) {
      const grown = new Int32Array(out.keys.length * 2 + 8);
      grown.set(out.keys);
      out.keys = grown;
    }
    out.keys[n++] = i;
  };
  for (const ks of spec.keys) {
    let first = 0;
    if (ks.begin === "index") first = ks.index;
    else if (ks.begin === "sort-store") {
      let store = -1;
      for (let i = 2; i < argc; i++) {
        let skipped = false;
        for (const [word, skip] of SORT_SKIP) {
          if (equalsIgnoreCase(buf, args.argStart(i), args.argEnd(i), word)) {
            i += skip;
            skipped = true;
            break;
          }
        }
        if (
          !skipped && i + 1 < argc &&
          equalsIgnoreCase(buf, args.argStart(i), args.argEnd(i), STORE)
        ) {
          store = i + 1; // like sortGetKeys, the key itself is scanned next
        }
      }
      if (store >= 0) push(store);
      continue;
    } else {
      const from = ks.startFrom > 0 ? ks.startFrom : argc + ks.startFrom;
      const to = ks.startFrom > 0 ? argc - 1 : 1;
      for (let i = from; i !== to; i = from <= to ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (equalsIgnoreCase(buf, args.argStart(i), args.argEnd(i), ks.keyword!)) {
          first = i + 1;
          break;
        }
      }
      if (first === 0) continue;
    }
    let last: number;
    if (ks.find === "range") {
      if (ks.last >= 0) last = first + ks.last;
      else {
        if (ks.limit === 0) last = argc + ks.last;
        else last = first + (Math.floor((argc - first) / ks.limit) + ks.last);
        // A list running to the end may be empty (PFMERGE dest).
        if (first >= argc || last < first) continue;
      }
    } else {
      if (first + ks.keynumIdx >= argc) return -1;
      const count = argCount(args, first + ks.keynumIdx);
      if (count < 0) return -1;
      first += ks.firstKey;
      last = first + count - 1;
      if (count === 0) continue;
    }
    if (last >= argc || last < first || first >= argc) return -1;
    for (let i = first; i <= last; i += ks.step) push(i);
  }
  return n;
}
