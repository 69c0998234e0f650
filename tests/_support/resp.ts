/**
 * Test support: a small, independent RESP encoder and reply decoder, so
 * end-to-end tests check the proxy against their own reading of the bytes.
 *
 * @module
 */

import { concat } from "./bytes.ts";

export { concat };

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * A decoded reply. RESP3's types come back in their nearest RESP2 form: a
 * map as the flat array of keys and values, a set or push as an array, a
 * double as a number, a big number as its text, a verbatim string as its
 * text without the format, a blob error as an error; an attribute is
 * skipped.
 */
export type Reply = string | number | boolean | null | Uint8Array | ReplyError | Reply[];

/** An error reply (`-ERR ...`). */
export class ReplyError {
  constructor(readonly message: string) {}
}

/** Encodes a command as a RESP array of bulk strings. */
export function cmd(...args: (string | Uint8Array | number)[]): Uint8Array {
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = a instanceof Uint8Array ? a : enc.encode(String(a));
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  return concat(parts);
}

function line(b: Uint8Array, pos: number): [string, number] | null {
  for (let i = pos; i + 1 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10) return [dec.decode(b.subarray(pos, i)), i + 2];
  }
  return null;
}

/** Decodes one reply at `pos`: [reply, end] or null when incomplete. Bulk strings come back as text. */
export function decode(b: Uint8Array, pos = 0): [Reply, number] | null {
  if (pos >= b.length) return null;
  const l = line(b, pos + 1);
  if (l === null) return null;
  const [text, next] = l;
  switch (b[pos]) {
    case 43: // +
      return [text, next];
    case 45: // -
      return [new ReplyError(text), next];
    case 58: // :
    case 44: // , double
      return [Number(text), next];
    case 40: // ( big number
      return [text, next];
    case 95: // _ null
      return [null, next];
    case 35: // # boolean
      return [text === "t", next];
    case 36: // $
    case 61: // = verbatim
    case 33: { // ! blob error
      const n = Number(text);
      if (n < 0) return [null, next];
      if (b.length < next + n + 2) return null;
      const data = dec.decode(b.subarray(next, next + n));
      const value = b[pos] === 33 ? new ReplyError(data) : b[pos] === 61 ? data.slice(4) : data;
      return [value, next + n + 2];
    }
    case 124: { // | attribute: skipped, the value follows
      let p = next;
      for (let i = 0; i < 2 * Number(text); i++) {
        const r = decode(b, p);
        if (r === null) return null;
        p = r[1];
      }
      return decode(b, p);
    }
    case 42: // *
    case 126: // ~ set
    case 62: // > push
    case 37: { // % map
      let n = Number(text);
      if (n < 0) return [null, next];
      if (b[pos] === 37) n *= 2;
      const items: Reply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = decode(b, p);
        if (r === null) return null;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    default:
      throw new Error(`bad reply byte ${b[pos]} at ${pos}: ${JSON.stringify(dec.decode(b))}`);
  }
}

/** A `readUntil` condition: `count` whole replies. */
export function replies(count: number): (b: Uint8Array) => number {
  return (b) => {
    let pos = 0;
    for (let i = 0; i < count; i++) {
      const r = decode(b, pos);
      if (r === null) return 0;
      pos = r[1];
    }
    return pos;
  };
}

/** Decodes every reply in `b`. */
export function decodeAll(b: Uint8Array): Reply[] {
  const out: Reply[] = [];
  let pos = 0;
  while (pos < b.length) {
    const r = decode(b, pos);
    if (r === null) throw new Error("incomplete reply");
    out.push(r[0]);
    pos = r[1];
  }
  return out;
}
