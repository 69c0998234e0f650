import assert from "node:assert/strict";
import { KeyKindError, readCertificate, readPrivateKeyDer } from "./x509.ts";
import { DerError } from "./der.ts";

const DIR = new URL("../../conf/examples/tls/", import.meta.url).pathname;

/** The DER of the first PEM block of a file. */
function der(file: string): { label: string; bytes: Uint8Array } {
  const m = /-----BEGIN ([A-Z ]+)-----([\s\S]*?)-----END/.exec(Deno.readTextFileSync(DIR + file));
  assert.ok(m !== null, file);
  const b64 = (m[2] ?? "").replace(/\s+/g, "");
  return { label: m[1] ?? "", bytes: Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)) };
}

Deno.test("readCertificate() gives the subject and public key, readPrivateKeyDer() the key's", () => {
  const server = readCertificate(der("server.crt").bytes);
  assert.equal(server.subject, "CN=nutmeg example server");
  assert.match(server.publicKey, /^RSA [0-9a-f]{512} 010001$/);
  const key = der("server.key");
  assert.deepEqual(readPrivateKeyDer(key.label, key.bytes), {
    kind: "RSA",
    publicKey: server.publicKey,
  });
  const client = der("client.key");
  assert.notEqual(readPrivateKeyDer(client.label, client.bytes).publicKey, server.publicKey);
});

Deno.test("readCertificate()/readPrivateKeyDer() refuse a key for a certificate and a cut file", () => {
  const key = der("server.key").bytes;
  assert.throws(() => readCertificate(key), DerError);
  const cert = der("server.crt").bytes;
  assert.throws(() => readCertificate(cert.subarray(0, cert.length - 1)), /runs past the end/);
  assert.throws(() => readPrivateKeyDer("PRIVATE KEY", cert), DerError);
});

Deno.test("readPrivateKeyDer() names a kind Deno's TLS cannot use", () => {
  // PKCS#8 { 0, { 1.3.101.113 (Ed448) }, OCTET STRING { OCTET STRING (57 bytes) } }
  const ed448 = new Uint8Array([
    0x30,
    0x47,
    0x02,
    0x01,
    0x00,
    0x30,
    0x05,
    0x06,
    0x03,
    0x2b,
    0x65,
    0x71,
    0x04,
    0x3b,
    0x04,
    0x39,
    ...new Uint8Array(57),
  ]);
  assert.throws(() => readPrivateKeyDer("PRIVATE KEY", ed448), (e: unknown) => {
    assert.ok(e instanceof KeyKindError);
    assert.equal(e.message, "an Ed448 key");
    return true;
  });
});
