/**
 * Test support: throwaway TLS certificates made with openssl in a temporary
 * directory (removed by `await using`): a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate signed by it, and a second,
 * unrelated CA with its own server and client certificates for the "wrong
 * CA" cases. X.509 v3 throughout (rustls refuses v1 certificates).
 *
 * @module
 */

/** File paths of one CA and the certificates it signed. */
export interface CertSet {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** A directory of certificates. */
export interface TestCerts extends AsyncDisposable {
  readonly dir: string;
  /** The CA the tests trust. */
  readonly good: CertSet;
  /** Another CA, trusted by nobody. */
  readonly other: CertSet;
  /** Reads one of the files. */
  read(path: string): string;
}

async function openssl(dir: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function makeSet(dir: string, prefix: string): Promise<CertSet> {
  const days = "3";
  const p = (name: string) => `${dir}/${prefix}-${name}`;
  await openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    days,
    "-subj",
    `/CN=nutmeg test ${prefix} CA`,
  ]);
  Deno.writeTextFileSync(
    p("server.ext"),
    "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  Deno.writeTextFileSync(
    p("client.ext"),
    "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
  );
  for (const who of ["server", "client"]) {
    await openssl(dir, [
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      p(`${who}.key`),
      "-out",
      p(`${who}.csr`),
      "-subj",
      `/CN=nutmeg test ${prefix} ${who}`,
    ]);
    await openssl(dir, [
      "x509",
      "-req",
      "-in",
      p(`${who}.csr`),
      "-CA",
      p("ca.crt"),
      "-CAkey",
      p("ca.key"),
      "-CAcreateserial",
      "-out",
      p(`${who}.crt`),
      "-days",
      days,
      "-extfile",
      p(`${who}.ext`),
    ]);
  }
  return {
    ca: p("ca.crt"),
    serverCert: p("server.crt"),
    serverKey: p("server.key"),
    clientCert: p("client.crt"),
    clientKey: p("client.key"),
  };
}

/** Makes the certificates (about a second of openssl work). */
export async function makeCerts(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-certs-" });
  try {
    const [good, other] = await Promise.all([makeSet(dir, "good"), makeSet(dir, "other")]);
    return {
      dir,
      good,
      other,
      read: (path) => Deno.readTextFileSync(path),
      [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (err) {
    await Deno.remove(dir, { recursive: true });
    throw err;
  }
}

/** A key made with `openssl genpkey <args>` and a certificate for it, as files `<name>.key` and `<name>.crt` in `dir`. */
export async function makeSelfSigned(
  dir: string,
  name: string,
  genpkey: readonly string[],
): Promise<{ readonly cert: string; readonly key: string }> {
  const key = `${dir}/${name}.key`;
  const cert = `${dir}/${name}.crt`;
  await openssl(dir, ["genpkey", ...genpkey, "-out", key]);
  await openssl(dir, [
    "req",
    "-new",
    "-x509",
    "-key",
    key,
    "-out",
    cert,
    "-days",
    "3",
    "-subj",
    `/CN=${name}/O=nutmeg test`,
  ]);
  return { cert, key };
}

/** Runs `openssl <args>` in `dir`; throws with its stderr when it fails. */
export async function runOpenssl(dir: string, args: readonly string[]): Promise<void> {
  await openssl(dir, [...args]);
}
