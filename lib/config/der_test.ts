import assert from "node:assert/strict";
import {
  bitStringBytes,
  children,
  DerError,
  expect,
  integerHex,
  oidText,
  readDer,
  TAG,
} from "./der.ts";

/** Bytes from hex with spaces, e.g. `30 00`. */
const hex = (text: string) =>
  Uint8Array.from(text.split(/\s+/).filter((h) => h !== ""), (h) => parseInt(h, 16));

Deno.test("readDer() reads one element and children() the elements inside it", () => {
  // SEQUENCE { INTEGER 0x00ff, OID 1.2.840.113549.1.1.1, BIT STRING 00 aa }
  const der = readDer(hex("30 13  02 02 00 ff  06 09 2a 86 48 86 f7 0d 01 01 01  03 02 00 aa"));
  const [n, oid, bits] = children(expect(der, TAG.SEQUENCE, "the sequence"));
  assert.equal(integerHex(expect(n, TAG.INTEGER, "n")), "ff", "leading zero bytes dropped");
  assert.equal(oidText(expect(oid, TAG.OID, "oid")), "1.2.840.113549.1.1.1");
  assert.deepEqual(bitStringBytes(expect(bits, TAG.BIT_STRING, "bits")), hex("aa"));
  assert.equal(bits?.at, 17, "offsets count from the outermost bytes");
});

Deno.test("readDer() reads long-form lengths", () => {
  const long = new Uint8Array(4 + 300);
  long.set(hex("04 82 01 2c"));
  assert.equal(readDer(long).contents.length, 300);
});

Deno.test("readDer() refuses what is not one whole DER element, saying where", () => {
  const cases: [string, RegExp][] = [
    ["30", /cut short at byte 0/],
    ["30 05 02 01", /of 5 bytes at byte 0 runs past the end/],
    ["30 00 00", /1 bytes follow the element at byte 2/],
    ["30 80 00 00", /indefinite length/],
    ["1f 01 00", /multi-byte tag/],
    ["04 85 01 01 01 01 01", /5-byte length/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => readDer(hex(input)),
      (e: unknown) => e instanceof DerError && message.test(e.message),
      input,
    );
  }
  assert.throws(() => children(readDer(hex("30 02 02 05"))), /of 5 bytes at byte 2/);
  assert.throws(
    () => expect(readDer(hex("05 00")), TAG.SEQUENCE, "the key"),
    /the key at byte 0 has tag 0x5, not 0x30/,
  );
  assert.throws(() => expect(undefined, TAG.SEQUENCE, "the key"), /the key is missing/);
  assert.throws(() => bitStringBytes(readDer(hex("03 02 04 f0"))), /not whole bytes/);
  assert.throws(() => oidText(readDer(hex("06 01 86"))), /cut short/);
});
