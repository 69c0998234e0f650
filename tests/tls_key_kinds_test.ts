/**
 * The TLS keys of a configuration are checked at load by nutmeg's own
 * reading of their PEM and DER (lib/config/pem.ts, x509.ts): each kind of
 * key openssl makes is accepted or refused as Deno's TLS listener accepts or
 * refuses it, and a key is matched to its certificate as the listener
 * matches it.
 */
import assert from "node:assert/strict";
import { makeSelfSigned, runOpenssl } from "./_support/certs.ts";
import { checkKeyPair, readCertChain, readPrivateKey } from "../lib/config/pem.ts";
import { ValueError } from "../lib/config/errors.ts";

/** `openssl genpkey` arguments of each kind. */
const KINDS: Readonly<Record<string, readonly string[]>> = {
  rsa: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  p256: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
  p384: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp384r1"],
  p521: ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp521r1"],
  ed25519: ["-algorithm", "ED25519"],
  ed448: ["-algorithm", "ED448"],
  pss: ["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
};

/** What Deno's TLS says of a certificate and key: null when it listens, else its error. */
function denoVerdict(certFile: string, keyFile: string): string | null {
  try {
    const cert = Deno.readTextFileSync(certFile);
    const key = Deno.readTextFileSync(keyFile);
    Deno.listenTls({ hostname: "127.0.0.1", port: 0, cert, key }).close();
    return null;
  } catch (e) {
    return String(e);
  }
}

/** What nutmeg's load says: null when it accepts, else the reason. */
function ourVerdict(certFile: string, keyFile: string): string | null {
  try {
    const error = checkKeyPair(readCertChain(certFile), readPrivateKey(keyFile));
    return error === null ? null : error.reason;
  } catch (e) {
    if (e instanceof ValueError) return e.reason;
    throw e;
  }
}

Deno.test("TLS keys: each kind openssl makes is taken or refused at load as Deno's TLS takes or refuses it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-keys-" });
  try {
    const made = await Promise.all(
      Object.entries(KINDS).map(async ([name, args]) =>
        [name, await makeSelfSigned(dir, name, args)] as const
      ),
    );
    const files = new Map<string, { cert: string; key: string }>(made);
    // The same keys in their older forms: PKCS#1 RSA, SEC1 EC with and without the public point.
    const p256 = files.get("p256")!;
    const rsa = files.get("rsa")!;
    await runOpenssl(dir, ["pkey", "-in", rsa.key, "-traditional", "-out", `${dir}/rsa1.key`]);
    await runOpenssl(dir, ["ec", "-in", p256.key, "-out", `${dir}/sec1.key`]);
    await runOpenssl(dir, ["ec", "-in", p256.key, "-no_public", "-out", `${dir}/sec1-nopub.key`]);
    files.set("rsa1", { cert: rsa.cert, key: `${dir}/rsa1.key` });
    files.set("sec1", { cert: p256.cert, key: `${dir}/sec1.key` });
    files.set("sec1-nopub", { cert: p256.cert, key: `${dir}/sec1-nopub.key` });

    for (const [name, { cert, key }] of files) {
      const deno = denoVerdict(cert, key);
      const ours = ourVerdict(cert, key);
      assert.equal(ours === null, deno === null, `${name}: nutmeg says ${ours}, Deno says ${deno}`);
      if (ours !== null) assert.match(ours, /is an? [\w-]+ key, which Deno's TLS cannot use/, name);
    }
    // Every usable key with every other usable kind's certificate.
    const usable = [...files].filter(([, f]) => denoVerdict(f.cert, f.key) === null);
    for (const [a, { cert }] of usable) {
      for (const [b, { key }] of usable) {
        if (cert === files.get(b)!.cert) continue; // its own certificate
        const deno = denoVerdict(cert, key);
        const ours = ourVerdict(cert, key);
        const where = `${b}'s key with ${a}'s certificate: nutmeg says ${ours}, Deno says ${deno}`;
        assert.notEqual(deno, null, where);
        assert.match(ours ?? "", /does not belong to the certificate .*\(CN=/, where);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
