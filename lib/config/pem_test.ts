import assert from "node:assert/strict";
import { checkKeyPair, readCaBundle, readCertChain, readPrivateKey } from "./pem.ts";
import { ValueError } from "./errors.ts";

const DIR = new URL("../../conf/examples/tls/", import.meta.url).pathname;

Deno.test("readCertChain()/readPrivateKey() read PEM files, relative to a directory", () => {
  const cert = readCertChain("server.crt", DIR);
  assert.equal(cert.path, "server.crt");
  assert.match(cert.pem, /BEGIN CERTIFICATE/);
  assert.match(readPrivateKey(`${DIR}/server.key`).pem, /PRIVATE KEY/);
  assert.match(readCaBundle("ca.crt", DIR).pem, /BEGIN CERTIFICATE/);
});

Deno.test("pem readers refuse missing files, files of the wrong kind and garbage", () => {
  assert.throws(() => readCertChain("nope.crt", DIR), (e: unknown) => {
    assert.ok(e instanceof ValueError);
    assert.match(e.reason, /cannot read the certificate file 'nope\.crt': no such file/);
    assert.match(e.hint, /configuration file's directory/);
    return true;
  });
  assert.throws(() => readCertChain("server.key", DIR), /holds no certificate/);
  assert.throws(() => readPrivateKey("server.crt", DIR), /holds no private key/);
  const tmp = Deno.makeTempFileSync();
  try {
    Deno.writeTextFileSync(tmp, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assert.throws(() => readPrivateKey(tmp), /does not parse/);
    Deno.writeTextFileSync(tmp, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assert.throws(
      () => readCaBundle(tmp),
      /certificate 1 in the CA certificate file .* does not parse/,
    );
    Deno.writeTextFileSync(tmp, "-----BEGIN CERTIFICATE-----\nAA*A\n-----END CERTIFICATE-----\n");
    assert.throws(() => readCertChain(tmp), /does not parse \(its base64 is broken\)/);
    Deno.writeTextFileSync(
      tmp,
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
    );
    assert.throws(() => readPrivateKey(tmp), (e: unknown) => {
      assert.ok(e instanceof ValueError);
      assert.match(e.reason, /holds no unencrypted private key/);
      assert.match(e.hint, /decrypt it with: openssl pkey -in /);
      return true;
    });
    Deno.writeTextFileSync(
      tmp,
      "-----BEGIN DSA PRIVATE KEY-----\nAAAA\n-----END DSA PRIVATE KEY-----\n",
    );
    assert.throws(() => readPrivateKey(tmp), /is a 'DSA PRIVATE KEY', which Deno's TLS cannot use/);
  } finally {
    Deno.removeSync(tmp);
  }
});

Deno.test("checkKeyPair() tells a key that belongs to its certificate from one that does not", () => {
  const cert = readCertChain("server.crt", DIR);
  assert.equal(checkKeyPair(cert, readPrivateKey("server.key", DIR)), null);
  const bad = checkKeyPair(cert, readPrivateKey("client.key", DIR));
  assert.ok(bad instanceof ValueError);
  assert.match(bad.reason, /'client\.key' does not belong to the certificate 'server\.crt'/);
});
