/**
 * PEM files named by the TLS keys (`tls_cert`, `server_tls_ca`, ...): read
 * and checked while the configuration loads, so a missing file, a file that
 * holds no certificate, a key that does not parse or is of a kind Deno's TLS
 * cannot use, or a key that does not belong to its certificate is a
 * configuration error that names the file and the key (and `-t` reports
 * it), not a failure at the first connection.
 *
 * The checks read the PEM framing, the base64 and the DER structure
 * themselves (lib/config/x509.ts), not with node:crypto: importing a `node:`
 * module starts Deno's Node layer, a few MB at rest for every configuration.
 * A relative path is read from the directory of the configuration file, so
 * a configuration and its certificates can move together.
 *
 * @module
 */
import type { PemFile } from "./types.ts";
import { ValueError } from "./errors.ts";
import { KeyKindError, readCertificate, readPrivateKeyDer, USABLE_KEYS } from "./x509.ts";
import type { CertificateInfo } from "./x509.ts";

const CERT_BEGIN = "-----BEGIN CERTIFICATE-----";

/** PEM blocks: label and base64 body (which may start with RFC 1421 headers). */
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** `path` read from `dir` unless absolute (`/x`, or `C:\x` / `\\host` on Windows). */
function resolve(path: string, dir: string): string {
  return /^([/\\]|[A-Za-z]:[/\\])/.test(path) ? path : `${dir.replace(/[/\\]+$/, "")}/${path}`;
}

function readPem(path: string, dir: string, what: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(resolve(path, dir));
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : e instanceof Error
      ? e.message
      : String(e);
    throw new ValueError(
      `cannot read the ${what} file '${path}': ${why}`,
      `give the path of a readable PEM file (a relative path is read from ${dir}, the configuration file's directory)`,
    );
  }
  return text;
}

/** The PEM blocks of `text`, in order. */
function blocks(text: string): { label: string; body: string }[] {
  return [...text.matchAll(BLOCK)].map((m) => ({ label: m[1] ?? "", body: m[2] ?? "" }));
}

/** The bytes of a PEM body; throws an Error saying why not. */
function base64(body: string): Uint8Array {
  if (body.includes(":")) throw new Error("it has PEM headers (an encrypted old-style key?)");
  const text = body.replace(/\s+/g, "");
  if (text.length === 0) throw new Error("it is empty");
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new Error("its base64 is broken");
  }
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The certificates of a PEM text, one PEM block each (throws on any that does not parse). */
function certificates(path: string, text: string, what: string): CertificateInfo[] {
  const found = blocks(text).filter((b) => b.label === "CERTIFICATE");
  if (found.length === 0) {
    throw new ValueError(
      `the ${what} file '${path}' holds no certificate`,
      `give a PEM file with '${CERT_BEGIN}' blocks`,
    );
  }
  return found.map((block, i) => {
    try {
      return readCertificate(base64(block.body));
    } catch (e) {
      throw new ValueError(
        `certificate ${i + 1} in the ${what} file '${path}' does not parse (${reason(e)})`,
        "give a PEM certificate as written by openssl",
      );
    }
  });
}

/**
 * Reads a certificate chain (the server's own certificate first), as
 * `tls_cert` and `server_tls_cert` name. Throws {@link ValueError}.
 */
export function readCertChain(path: string, dir = "."): PemFile {
  const pem = readPem(path, dir, "certificate");
  certificates(path, pem, "certificate");
  return { path, pem };
}

/** Reads CA certificates to trust, as `tls_ca` and `server_tls_ca` name. Throws {@link ValueError}. */
export function readCaBundle(path: string, dir = "."): PemFile {
  const pem = readPem(path, dir, "CA certificate");
  certificates(path, pem, "CA certificate");
  return { path, pem };
}

/** Private key PEM labels Deno's TLS reads: PKCS#8, PKCS#1 RSA, SEC1 EC. */
const KEY_LABELS: readonly string[] = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

const KEY_HINT = "give an unencrypted PEM private key (PKCS#8, RSA or EC) as written by openssl";

/** The first private key block of `pem`, read; throws {@link ValueError}. */
function privateKey(path: string, pem: string): ReturnType<typeof readPrivateKeyDer> {
  const block = blocks(pem).find((b) => b.label.endsWith("PRIVATE KEY"));
  if (
    block === undefined || block.label === "ENCRYPTED PRIVATE KEY" ||
    /^Proc-Type:.*ENCRYPTED/m.test(block.body)
  ) {
    const encrypted = pem.includes("ENCRYPTED");
    throw new ValueError(
      `the private key file '${path}' holds no ${encrypted ? "unencrypted " : ""}private key`,
      "give an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)" +
        (encrypted ? `; decrypt it with: openssl pkey -in ${path} -out ${path}.plain` : ""),
    );
  }
  if (!KEY_LABELS.includes(block.label)) {
    throw new ValueError(
      `the private key in '${path}' is a '${block.label}', which Deno's TLS cannot use`,
      KEY_HINT,
    );
  }
  try {
    return readPrivateKeyDer(block.label, base64(block.body));
  } catch (e) {
    if (e instanceof KeyKindError) {
      throw new ValueError(
        `the private key in '${path}' is ${e.message}, which Deno's TLS cannot use`,
        `give ${USABLE_KEYS}`,
      );
    }
    throw new ValueError(`the private key in '${path}' does not parse (${reason(e)})`, KEY_HINT);
  }
}

/** Reads a private key, as `tls_key` and `server_tls_key` name. Throws {@link ValueError}. */
export function readPrivateKey(path: string, dir = "."): PemFile {
  const pem = readPem(path, dir, "private key");
  privateKey(path, pem);
  return { path, pem };
}

/**
 * Null when `key` belongs to the first certificate of `cert`, else why
 * not, as a {@link ValueError}. A key file that holds no public key (an
 * Ed25519 key as openssl writes it, an EC key written with `-no_public`) is
 * only matched by kind and curve here; Deno's TLS refuses a mismatch when
 * the listener starts.
 */
export function checkKeyPair(cert: PemFile, key: PemFile): ValueError | null {
  const [leaf] = certificates(cert.path, cert.pem, "certificate");
  if (leaf === undefined) return null;
  const { kind, publicKey } = privateKey(key.path, key.pem);
  const same = publicKey === null
    ? leaf.publicKey.startsWith(`${kind} `)
    : publicKey === leaf.publicKey;
  if (same) return null;
  return new ValueError(
    `the private key '${key.path}' does not belong to the certificate '${cert.path}' (${leaf.subject})`,
    "give the key the certificate was made for",
  );
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
