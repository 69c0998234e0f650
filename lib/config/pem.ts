/**
 * PEM files named by the TLS keys (`tls_cert`, `server_tls_ca`, ...): read
 * and checked while the configuration loads, so a missing file, a file that
 * holds no certificate, a key that does not parse, or a key that does not
 * belong to its certificate is a configuration error that names the file
 * and the key (and `-t` reports it), not a failure at the first connection.
 *
 * The checks use node:crypto's X.509 and key parsers, which read the same
 * PEM forms Deno's TLS accepts (PKCS#8, PKCS#1 RSA and SEC1 EC keys).
 * A relative path is read from the directory of the configuration file, so
 * a configuration and its certificates can move together.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isAbsolute, join } from "node:path";
import type { PemFile } from "./types.ts";
import { ValueError } from "./errors.ts";

const CERT_BEGIN = "-----BEGIN CERTIFICATE-----";

function readPem(path: string, dir: string, what: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(isAbsolute(path) ? path : join(dir, path));
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

/** The certificates of a PEM text, one PEM block each (throws on any that does not parse). */
function certificates(path: string, text: string, what: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new ValueError(
      `the ${what} file '${path}' holds no certificate`,
      `give a PEM file with '${CERT_BEGIN}' blocks`,
    );
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
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

/** Reads a private key, as `tls_key` and `server_tls_key` name. Throws {@link ValueError}. */
export function readPrivateKey(path: string, dir = "."): PemFile {
  const pem = readPem(path, dir, "private key");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    const encrypted = pem.includes("ENCRYPTED");
    throw new ValueError(
      `the private key file '${path}' holds no ${encrypted ? "unencrypted " : ""}private key`,
      "give an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----, RSA or EC)",
    );
  }
  try {
    createPrivateKey(pem);
  } catch (e) {
    throw new ValueError(
      `the private key in '${path}' does not parse (${reason(e)})`,
      "give an unencrypted PEM private key (PKCS#8, RSA or EC) as written by openssl",
    );
  }
  return { path, pem };
}

/**
 * Null when `key` belongs to the first certificate of `cert`, else why
 * not, as a {@link ValueError}.
 */
export function checkKeyPair(cert: PemFile, key: PemFile): ValueError | null {
  const [leaf] = certificates(cert.path, cert.pem, "certificate");
  if (leaf === undefined) return null;
  if (leaf.checkPrivateKey(createPrivateKey(key.pem))) return null;
  return new ValueError(
    `the private key '${key.path}' does not belong to the certificate '${cert.path}' (${leaf.subject})`,
    "give the key the certificate was made for",
  );
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
