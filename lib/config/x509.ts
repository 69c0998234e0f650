/**
 * The structure of the certificates and private keys named by the TLS keys,
 * read from their DER (lib/config/der.ts): a certificate's subject and
 * public key, a private key's kind and public key, so that a configuration
 * load can say that a file is whole, of a kind Deno's TLS takes, and that a
 * key belongs to its certificate, without node:crypto (whose import starts
 * Deno's Node layer).
 *
 * The kinds are those Deno 2's TLS listener loads (tried with openssl-made
 * keys): RSA (PKCS#1 or PKCS#8), EC on P-256, P-384 and P-521 (SEC1 or
 * PKCS#8) and Ed25519. It refuses RSA-PSS, Ed448 and DSA keys, so they are
 * refused here too, at load, not at the listener's start.
 *
 * A key and a certificate match when their public keys are equal: an RSA
 * key holds its modulus and exponent; an EC key holds its public point when
 * openssl wrote it (it always does unless told `-no_public`); an Ed25519 key
 * in PKCS#8 v1 holds no public key, and then the match is left to Deno's TLS,
 * which checks it when the listener starts (`keys may not be consistent`).
 *
 * @module
 */
import {
  bitStringBytes,
  children,
  DerError,
  expect,
  hex,
  integerHex,
  oidText,
  readDer,
  TAG,
} from "./der.ts";
import type { Der } from "./der.ts";

const RSA = "1.2.840.113549.1.1.1";
const EC = "1.2.840.10045.2.1";
const ED25519 = "1.3.101.112";

/** Key algorithms by OID, with the names people know them by. */
const ALGORITHMS: Readonly<Record<string, string>> = {
  [RSA]: "RSA",
  [EC]: "EC",
  [ED25519]: "Ed25519",
  "1.2.840.113549.1.1.10": "RSA-PSS",
  "1.3.101.113": "Ed448",
  "1.3.101.110": "X25519",
  "1.3.101.111": "X448",
  "1.2.840.10040.4.1": "DSA",
};

/** EC curves Deno's TLS takes, by OID. */
const CURVES: Readonly<Record<string, string>> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

/** Short names of the subject attributes, as openssl prints them. */
const ATTRIBUTES: Readonly<Record<string, string>> = {
  "2.5.4.3": "CN",
  "2.5.4.5": "serialNumber",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "emailAddress",
  "0.9.2342.19200300.100.1.25": "DC",
};

/** A private key that is whole but of a kind Deno's TLS cannot use; the message names the kind, e.g. `an Ed448 key`. */
export class KeyKindError extends RangeError {
  /** `message`: the kind, e.g. `an Ed448 key`. */
  constructor(message: string) {
    super(message);
    this.name = "KeyKindError";
  }
}

/** The kinds of key Deno's TLS uses, for messages. */
export const USABLE_KEYS = "an RSA, EC (P-256, P-384 or P-521) or Ed25519 key";

/** What nutmeg needs of a certificate. */
export interface CertificateInfo {
  /** The subject, as `CN=name, O=org`. */
  readonly subject: string;
  /** The public key, as a text two equal keys share (see {@link PrivateKeyInfo.publicKey}). */
  readonly publicKey: string;
}

/** What nutmeg needs of a private key. */
export interface PrivateKeyInfo {
  /** `RSA`, `EC P-256`, `Ed25519`, ... */
  readonly kind: string;
  /** Its public key as {@link CertificateInfo.publicKey} writes it, or null when the key file holds none. */
  readonly publicKey: string | null;
}

/**
 * Reads a DER certificate (X.509 v1 to v3). Throws {@link DerError} when it
 * is not one.
 */
export function readCertificate(bytes: Uint8Array): CertificateInfo {
  const [tbs, signatureAlgorithm, signature, extra] = children(
    expect(readDer(bytes), TAG.SEQUENCE, "the certificate"),
  );
  if (extra !== undefined) {
    throw new DerError(`the certificate has extra parts at byte ${extra.at}`);
  }
  expect(signatureAlgorithm, TAG.SEQUENCE, "the signature algorithm");
  expect(signature, TAG.BIT_STRING, "the signature");
  const fields = children(expect(tbs, TAG.SEQUENCE, "the certificate body"));
  if (fields[0]?.tag === TAG.CONTEXT_0) fields.shift(); // version
  const [serial, algorithm, issuer, validity, subject, spki] = fields;
  expect(serial, TAG.INTEGER, "the serial number");
  expect(algorithm, TAG.SEQUENCE, "the signature algorithm");
  expect(issuer, TAG.SEQUENCE, "the issuer");
  expect(validity, TAG.SEQUENCE, "the validity");
  return {
    subject: nameText(expect(subject, TAG.SEQUENCE, "the subject")),
    publicKey: publicKeyText(expect(spki, TAG.SEQUENCE, "the public key")),
  };
}

/**
 * Reads a DER private key: `PRIVATE KEY` (PKCS#8), `RSA PRIVATE KEY`
 * (PKCS#1) or `EC PRIVATE KEY` (SEC1), as its PEM `label` says. Throws
 * {@link DerError} when it is not one, {@link KeyKindError} when it is of a
 * kind Deno's TLS cannot use.
 */
export function readPrivateKeyDer(label: string, bytes: Uint8Array): PrivateKeyInfo {
  const top = expect(readDer(bytes), TAG.SEQUENCE, "the private key");
  if (label === "RSA PRIVATE KEY") return rsaKey(top);
  if (label === "EC PRIVATE KEY") return ecKey(top, null);
  const [version, algorithm, key, ...rest] = children(top);
  expect(version, TAG.INTEGER, "the version");
  const [oid, params] = children(expect(algorithm, TAG.SEQUENCE, "the key algorithm"));
  const id = oidText(expect(oid, TAG.OID, "the key algorithm"));
  const inner = expect(key, TAG.OCTET_STRING, "the key");
  switch (id) {
    case RSA:
      return rsaKey(expect(readDer(inner.contents), TAG.SEQUENCE, "the RSA key"));
    case EC:
      return ecKey(
        expect(readDer(inner.contents), TAG.SEQUENCE, "the EC key"),
        oidText(expect(params, TAG.OID, "the EC curve")),
      );
    case ED25519: {
      const seed = expect(readDer(inner.contents), TAG.OCTET_STRING, "the Ed25519 key");
      if (seed.contents.length !== 32) throw new DerError("the Ed25519 key is not 32 bytes");
      // PKCS#8 v2 may carry the public key as [1]; openssl writes v1, without it.
      const pub = rest.find((d) => d.tag === 0x81);
      return {
        kind: "Ed25519",
        publicKey: pub === undefined ? null : edText(pub.contents.subarray(1)),
      };
    }
    default:
      throw new KeyKindError(
        ALGORITHMS[id] === undefined ? `a key of type ${id}` : `${article(ALGORITHMS[id])} key`,
      );
  }
}

function rsaKey(der: Der): PrivateKeyInfo {
  const [version, n, e, d] = children(der);
  expect(version, TAG.INTEGER, "the RSA key version");
  expect(d, TAG.INTEGER, "the RSA private exponent");
  return {
    kind: "RSA",
    publicKey: rsaText(
      expect(n, TAG.INTEGER, "the RSA modulus"),
      expect(e, TAG.INTEGER, "the RSA exponent"),
    ),
  };
}

/** A SEC1 ECPrivateKey; `curve` is the PKCS#8 algorithm's, or null to read it from the key. */
function ecKey(der: Der, curve: string | null): PrivateKeyInfo {
  const [version, key, ...rest] = children(der);
  expect(version, TAG.INTEGER, "the EC key version");
  expect(key, TAG.OCTET_STRING, "the EC private key");
  const params = rest.find((d) => d.tag === TAG.CONTEXT_0);
  const named = params === undefined
    ? curve
    : oidText(expect(children(params)[0], TAG.OID, "the EC curve"));
  if (named === null) throw new DerError("the EC key names no curve");
  const name = ecCurve(named);
  const pub = rest.find((d) => d.tag === TAG.CONTEXT_1);
  const point = pub === undefined
    ? null
    : bitStringBytes(expect(children(pub)[0], TAG.BIT_STRING, "the EC public key"));
  return { kind: `EC ${name}`, publicKey: point === null ? null : ecText(name, point) };
}

function ecCurve(oid: string): string {
  const name = CURVES[oid];
  if (name === undefined) {
    throw new KeyKindError(`an EC key on the curve ${oid}`);
  }
  return name;
}

/** The public key of a SubjectPublicKeyInfo, as {@link rsaText}, {@link ecText} or {@link edText} write it. */
function publicKeyText(spki: Der): string {
  const [algorithm, key] = children(spki);
  const [oid, params] = children(expect(algorithm, TAG.SEQUENCE, "the public key algorithm"));
  const id = oidText(expect(oid, TAG.OID, "the public key algorithm"));
  const bytes = bitStringBytes(expect(key, TAG.BIT_STRING, "the public key"));
  switch (id) {
    case RSA: {
      const [n, e] = children(expect(readDer(bytes), TAG.SEQUENCE, "the RSA public key"));
      return rsaText(
        expect(n, TAG.INTEGER, "the RSA modulus"),
        expect(e, TAG.INTEGER, "the RSA exponent"),
      );
    }
    case EC: {
      const curve = oidText(expect(params, TAG.OID, "the EC curve"));
      return ecText(CURVES[curve] ?? curve, bytes);
    }
    case ED25519:
      return edText(bytes);
    default:
      return `${ALGORITHMS[id] ?? id} ${hex(bytes)}`;
  }
}

function rsaText(n: Der, e: Der): string {
  return `RSA ${integerHex(n)} ${integerHex(e)}`;
}

function ecText(curve: string, point: Uint8Array): string {
  return `EC ${curve} ${hex(point)}`;
}

function edText(key: Uint8Array): string {
  return `Ed25519 ${hex(key)}`;
}

/** A Name as `CN=name, O=org` (in the certificate's order). */
function nameText(name: Der): string {
  const parts: string[] = [];
  for (const rdn of children(name)) {
    for (const pair of children(expect(rdn, TAG.SET, "a subject part"))) {
      const [type, value] = children(expect(pair, TAG.SEQUENCE, "a subject attribute"));
      const id = oidText(expect(type, TAG.OID, "a subject attribute"));
      if (value === undefined) throw new DerError("a subject attribute has no value");
      parts.push(`${ATTRIBUTES[id] ?? id}=${stringText(value)}`);
    }
  }
  return parts.join(", ");
}

/** A directory string's text: BMPString is UTF-16, the others are read as UTF-8. */
function stringText(der: Der): string {
  if (der.tag === 0x1e) return new TextDecoder("utf-16be").decode(der.contents);
  return new TextDecoder().decode(der.contents);
}

/** `name` with its article: `an RSA-PSS`, `a DSA`. */
function article(name: string): string {
  return `${/^[AEIOR]|^X4/.test(name) ? "an" : "a"} ${name}`;
}
