/**
 * Test support: a small, non-incremental RESP2/RESP3 decoder for tools and
 * tests: turns one
 * complete reply into plain JavaScript values. The proxy itself never
 * decodes replies (see `response_parser.ts` for the framing it does).
 *
 * @module
 */
import { latin1 } from "./bytes.ts";

/** A simple string reply (`+OK`). */
export interface RespSimple {
  readonly simple: string;
}
/** An error reply (`-ERR ...` or a RESP3 blob error). */
export interface RespError {
  readonly error: string;
}
/** A RESP3 double, big number or verbatim string, kept as text. */
export interface RespText {
  readonly type: "double" | "bignum" | "verbatim";
  readonly text: string;
}
/** A RESP3 map, set or push, as a flat list of values (attributes are skipped). */
export interface RespAggregate {
  readonly type: "map" | "set" | "push";
  readonly items: RespValue[];
}
/**
 * A decoded reply: bulk strings become `string` (latin1, so every byte
 * survives), integers `number`, nulls `null`, arrays `RespValue[]`.
 */
export type RespValue =
  | null
  | number
  | boolean
  | string
  | RespSimple
  | RespError
  | RespText
  | RespAggregate
  | RespValue[];

/**
 * Decodes one reply at `buf[pos]`. Returns the value and the offset past it,
 * or null when the reply is not complete yet. Throws SyntaxError on garbage.
 */
export function decode(
  buf: Uint8Array,
  pos = 0,
): { value: RespValue; end: number } | null {
  const line = (): string | null => {
    const cr = buf.indexOf(13, pos);
    if (cr < 0 || cr + 1 >= buf.length) return null;
    if (buf[cr + 1] !== 10) throw new SyntaxError(`Cannot decode: no LF after CR at ${cr}`);
    const s = latin1(buf.subarray(pos + 1, cr));
    pos = cr + 2;
    return s;
  };
  const start = pos;
  if (pos >= buf.length) return null;
  const type = String.fromCharCode(buf[pos]);
  const text = line();
  if (text === null) return null;
  const many = (n: number): RespValue[] | null => {
    const items: RespValue[] = [];
    for (let i = 0; i < n; i++) {
      const r = decode(buf, pos);
      if (r === null) return null;
      items.push(r.value);
      pos = r.end;
    }
    return items;
  };
  const blob = (n: number): string | null => {
    if (buf.length < pos + n + 2) return null;
    const s = latin1(buf.subarray(pos, pos + n));
    pos += n + 2;
    return s;
  };
  let value: RespValue;
  switch (type) {
    case "+":
      value = { simple: text };
      break;
    case "-":
      value = { error: text };
      break;
    case ":":
      value = Number(text);
      break;
    case "_":
      value = null;
      break;
    case "#":
      value = text === "t";
      break;
    case ",":
      value = { type: "double", text };
      break;
    case "(":
      value = { type: "bignum", text };
      break;
    case "$":
    case "!":
    case "=": {
      const n = Number(text);
      if (n < 0) {
        value = null;
        break;
      }
      const s = blob(n);
      if (s === null) return null;
      value = type === "$" ? s : type === "!" ? { error: s } : { type: "verbatim", text: s };
      break;
    }
    case "*":
    case "~":
    case ">":
    case "%":
    case "|": {
      const n = Number(text);
      if (n < 0) {
        value = null;
        break;
      }
      const items = many(type === "%" || type === "|" ? 2 * n : n);
      if (items === null) return null;
      if (type === "|") {
        // An attribute annotates the value that follows: return that value.
        const next = decode(buf, pos);
        if (next === null) return null;
        return next;
      }
      value = type === "*"
        ? items
        : { type: type === "~" ? "set" : type === ">" ? "push" : "map", items };
      break;
    }
    default:
      throw new SyntaxError(`Cannot decode: unknown type byte ${buf[start]} at ${start}`);
  }
  return { value, end: pos };
}

/** Decodes exactly one complete reply; throws if it is incomplete or followed by more bytes. */
export function decodeAll(buf: Uint8Array): RespValue {
  const r = decode(buf, 0);
  if (r === null) throw new SyntaxError("Cannot decode: incomplete reply");
  if (r.end !== buf.length) {
    throw new SyntaxError(`Cannot decode: ${buf.length - r.end} bytes left`);
  }
  return r.value;
}
