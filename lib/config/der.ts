/**
 * A reader of ASN.1 DER, the binary form inside PEM certificates and keys:
 * just enough to check that a certificate or a private key is whole and to
 * find its public key and subject (lib/config/x509.ts). nutmeg reads them
 * itself rather than with node:crypto, because importing a `node:` module
 * starts Deno's Node layer, a few MB at rest for every configuration.
 *
 * Only the forms X.509 and PKCS#8 use are read: one-byte tags and definite
 * lengths of up to four bytes. Anything else is a {@link DerError}.
 *
 * @module
 */

/** DER tags nutmeg reads. */
export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** `[0]`, constructed (explicit or implicit context tag). */
  CONTEXT_0: 0xa0,
  /** `[1]`, constructed. */
  CONTEXT_1: 0xa1,
} as const;

/** DER that does not parse; the message says what and at which byte. */
export class DerError extends SyntaxError {
  /** `message`: what is wrong, e.g. `length runs past the end at byte 4`. */
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** One DER element: its tag and its contents (a view into the bytes read). */
export interface Der {
  readonly tag: number;
  readonly contents: Uint8Array;
  /** The offset of the element in the outermost bytes read, for messages. */
  readonly at: number;
  /** The offset of its contents there. */
  readonly contentsAt: number;
}

/** Reads the element at `offset` of `bytes`; `base` is `bytes`' own offset, for messages. */
function readAt(bytes: Uint8Array, offset: number, base: number): { der: Der; end: number } {
  const at = base + offset;
  if (offset + 2 > bytes.length) throw new DerError(`an element is cut short at byte ${at}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError(`a multi-byte tag at byte ${at}`);
  let length = bytes[offset + 1]!;
  let start = offset + 2;
  if (length === 0x80) throw new DerError(`an indefinite length at byte ${at} (not DER)`);
  if (length > 0x80) {
    const n = length & 0x7f;
    if (n > 4) throw new DerError(`a ${n}-byte length at byte ${at}`);
    if (start + n > bytes.length) throw new DerError(`a length is cut short at byte ${at}`);
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[start + i]!;
    start += n;
  }
  const end = start + length;
  if (end > bytes.length) {
    throw new DerError(`an element of ${length} bytes at byte ${at} runs past the end`);
  }
  return { der: { tag, contents: bytes.subarray(start, end), at, contentsAt: base + start }, end };
}

/**
 * Reads `bytes` as exactly one element (nothing may follow it).
 *
 * @example
 * ```ts
 * import { readDer, TAG } from "./der.ts";
 * const der = readDer(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x05]));
 * console.assert(der.tag === TAG.SEQUENCE && der.contents.length === 3);
 * ```
 */
export function readDer(bytes: Uint8Array): Der {
  const { der, end } = readAt(bytes, 0, 0);
  if (end !== bytes.length) {
    throw new DerError(`${bytes.length - end} bytes follow the element at byte ${end}`);
  }
  return der;
}

/** The elements inside a constructed element (a SEQUENCE, a SET, a context tag). */
export function children(der: Der): Der[] {
  const out: Der[] = [];
  let offset = 0;
  while (offset < der.contents.length) {
    const { der: child, end } = readAt(der.contents, offset, der.contentsAt);
    out.push(child);
    offset = end;
  }
  return out;
}

/** `der` when its tag is `tag`, else a {@link DerError} naming `what` was expected. */
export function expect(der: Der | undefined, tag: number, what: string): Der {
  if (der === undefined) throw new DerError(`${what} is missing`);
  if (der.tag !== tag) {
    throw new DerError(
      `${what} at byte ${der.at} has tag 0x${der.tag.toString(16)}, not 0x${tag.toString(16)}`,
    );
  }
  return der;
}

/** The dotted text of an OBJECT IDENTIFIER, e.g. `1.2.840.113549.1.1.1`. */
export function oidText(der: Der): string {
  const b = der.contents;
  if (b.length === 0) throw new DerError(`an empty object identifier at byte ${der.at}`);
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < b.length; i++) {
    value = value * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) !== 0) continue;
    if (parts.length > 0) parts.push(value);
    else if (value < 80) parts.push(Math.floor(value / 40), value % 40);
    else parts.push(2, value - 80);
    value = 0;
  }
  if ((b[b.length - 1]! & 0x80) !== 0) {
    throw new DerError(`an object identifier is cut short at byte ${der.at}`);
  }
  return parts.join(".");
}

/** The bytes of a BIT STRING (whole bytes only, as keys are). */
export function bitStringBytes(der: Der): Uint8Array {
  if (der.contents.length === 0 || der.contents[0] !== 0) {
    throw new DerError(`a bit string at byte ${der.at} is not whole bytes`);
  }
  return der.contents.subarray(1);
}

/** An INTEGER's bytes as hex without leading zero bytes, for comparing two. */
export function integerHex(der: Der): string {
  let i = 0;
  while (i < der.contents.length - 1 && der.contents[i] === 0) i++;
  return hex(der.contents.subarray(i));
}

/** Lowercase hex of `bytes`. */
export function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
