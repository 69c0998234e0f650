/**
 * The memcached ASCII commands nutmeg understands: the single source of
 * truth for their names, their shape and how many arguments memcached
 * 1.6.18 accepts for each (outside these bounds memcached answers `ERROR`).
 *
 * Commands are matched on bytes, case-sensitively (`GET` is unknown, as in
 * memcached). Anything not in the table is answered `ERROR`. The meta
 * commands (`mg`, `ms`, `md`, `ma`, `mn`, `me`) check their own tokens, as
 * memcached does, so their bounds here are open.
 *
 * @module
 */

/** What a command looks like and how the proxy treats it. */
export const Kind = {
  /** `set|add|replace|append|prepend <key> <flags> <exptime> <bytes> [noreply]` + data block. */
  Storage: 0,
  /** `cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]` + data block. */
  Cas: 1,
  /** `get|gets <key>+`: split over servers, replies merged. */
  Retrieval: 2,
  /** `gat|gats <exptime> <key>+`: split over servers, replies merged. */
  RetrievalTouch: 3,
  /** `delete <key> [0] [noreply]`. */
  Delete: 4,
  /** `incr|decr <key> <delta> [noreply]`. */
  Arithmetic: 5,
  /** `touch <key> <exptime> [noreply]`. */
  Touch: 6,
  /** `verbosity <level> [noreply]`: sent to every server. */
  Verbosity: 7,
  /** `flush_all [delay] [noreply]`: sent to every server. */
  FlushAll: 8,
  /** `version`: answered by the proxy. */
  Version: 9,
  /** `stats`: answered by the proxy from its own counters. */
  Stats: 10,
  /** `quit`: close once every reply owed is written. */
  Quit: 11,
  /** `mg <key> <flags>*`: meta get. */
  MetaGet: 12,
  /** `ms <key> <datalen> <flags>*` + data block: meta set. */
  MetaSet: 13,
  /** `md <key> <flags>*`: meta delete. */
  MetaDelete: 14,
  /** `ma <key> <flags>*`: meta arithmetic. */
  MetaArithmetic: 15,
  /** `mn`: meta no-op, answered `MN` by the proxy once every earlier reply is out. */
  MetaNoop: 16,
  /** `me <key> [b]`: meta debug. */
  MetaDebug: 17,
} as const;
/** One of {@link Kind}. */
export type Kind = typeof Kind[keyof typeof Kind];

/** One row of the command table. */
export interface CommandSpec {
  /** The command name as sent, lower case. */
  readonly name: string;
  /** The name's bytes, for matching and for rebuilding requests. */
  readonly bytes: Uint8Array;
  readonly kind: Kind;
  /** Fewest arguments (tokens after the name) memcached accepts. */
  readonly minArgs: number;
  /** Most arguments memcached accepts (`Infinity` for key lists). */
  readonly maxArgs: number;
}

function spec(name: string, kind: Kind, minArgs: number, maxArgs: number): CommandSpec {
  return { name, bytes: new TextEncoder().encode(name), kind, minArgs, maxArgs };
}

/**
 * The table. Argument bounds are memcached 1.6.18's `WANT_TOKENS` checks in
 * `process_command_ascii` (its counts include the name and a terminator).
 */
export const COMMANDS: readonly CommandSpec[] = [
  spec("get", Kind.Retrieval, 1, Infinity),
  spec("gets", Kind.Retrieval, 1, Infinity),
  spec("gat", Kind.RetrievalTouch, 1, Infinity),
  spec("gats", Kind.RetrievalTouch, 1, Infinity),
  spec("set", Kind.Storage, 4, 5),
  spec("add", Kind.Storage, 4, 5),
  spec("replace", Kind.Storage, 4, 5),
  spec("append", Kind.Storage, 4, 5),
  spec("prepend", Kind.Storage, 4, 5),
  spec("cas", Kind.Cas, 5, 6),
  spec("delete", Kind.Delete, 1, 3),
  spec("incr", Kind.Arithmetic, 2, 3),
  spec("decr", Kind.Arithmetic, 2, 3),
  spec("touch", Kind.Touch, 2, 3),
  spec("verbosity", Kind.Verbosity, 1, 2),
  spec("flush_all", Kind.FlushAll, 0, 2),
  spec("version", Kind.Version, 0, Infinity),
  spec("stats", Kind.Stats, 0, Infinity),
  spec("quit", Kind.Quit, 0, Infinity),
  spec("mg", Kind.MetaGet, 0, Infinity),
  spec("ms", Kind.MetaSet, 0, Infinity),
  spec("md", Kind.MetaDelete, 0, Infinity),
  spec("ma", Kind.MetaArithmetic, 0, Infinity),
  spec("mn", Kind.MetaNoop, 0, Infinity),
  spec("me", Kind.MetaDebug, 0, Infinity),
];

/** Longest command name in the table. */
const MAX_NAME = COMMANDS.reduce((n, c) => Math.max(n, c.bytes.length), 0);

/** Candidates indexed by `length * 256 + first byte`. */
const BY_SHAPE = new Map<number, CommandSpec[]>();
for (const c of COMMANDS) {
  const shape = c.bytes.length * 256 + c.bytes[0]!;
  const list = BY_SHAPE.get(shape);
  if (list === undefined) BY_SHAPE.set(shape, [c]);
  else list.push(c);
}

/**
 * The command named by `buf[start, end)`, or null when unknown.
 *
 * @example
 * ```ts
 * import { findCommand } from "./commands.ts";
 * const buf = new TextEncoder().encode("gets k");
 * console.assert(findCommand(buf, 0, 4)?.name === "gets");
 * console.assert(findCommand(buf, 0, 3)?.name === "get");
 * ```
 */
export function findCommand(buf: Uint8Array, start: number, end: number): CommandSpec | null {
  const len = end - start;
  if (len < 2 || len > MAX_NAME) return null;
  const list = BY_SHAPE.get(len * 256 + buf[start]!);
  if (list === undefined) return null;
  outer: for (let i = 0; i < list.length; i++) {
    const name = list[i]!.bytes;
    for (let j = 1; j < len; j++) {
      if (buf[start + j] !== name[j]) continue outer;
    }
    return list[i]!;
  }
  return null;
}
