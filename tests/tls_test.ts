/**
 * End-to-end TLS: clients to the proxy (redis-cli --tls, a raw TLS socket,
 * client certificates), the proxy to redis-server --tls-port and memcached
 * -Z (CA, server name, mutual TLS), and what must go wrong cleanly: a wrong
 * CA, a missing client certificate, a plain-text client on a TLS port, bad
 * certificate files in the configuration (caught by -t).
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/load.ts";
import { ConfigError } from "../lib/config/errors.ts";
import { Engine } from "../lib/runtime/engine.ts";
import { makeCerts, type TestCerts } from "./_support/certs.ts";
import {
  freePort,
  RawClient,
  startMemcached,
  startMemcachedTls,
  startRedis,
  startRedisTls,
} from "./_support/servers.ts";
import { cmd, concat, replies } from "./_support/resp.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A proxy built from YAML (`listen: AUTO` -> a free port) that records its log lines. */
async function proxyWithLog(yaml: string) {
  const text = yaml.replace(/listen: AUTO/g, () => `listen: 127.0.0.1:${freePort()}`);
  const lines: string[] = [];
  const proxy = new Engine(parseConfig(text, "test.yml"), {
    log: (_level, message) => lines.push(message),
  });
  proxy.open();
  await proxy.ready();
  return {
    proxy,
    lines,
    port: (proxy.addr(proxy.pools[0]!.name) as Deno.NetAddr).port,
    /** Waits (bounded) until a log line matches. */
    async logged(re: RegExp, ms = 5000): Promise<string> {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const line = lines.find((l) => re.test(l));
        if (line !== undefined) return line;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no log line matches ${re}; have:\n${lines.join("\n")}`);
    },
    [Symbol.asyncDispose]: () => proxy.close(),
  };
}

/** A TLS client socket speaking bytes (the raw-socket client of the tests). */
async function tlsClient(
  port: number,
  certs: TestCerts,
  withCert?: { cert: string; key: string },
): Promise<Deno.TlsConn> {
  return await Deno.connectTls({
    hostname: "127.0.0.1",
    port,
    caCerts: [certs.read(certs.good.ca)],
    ...(withCert ? { cert: certs.read(withCert.cert), key: certs.read(withCert.key) } : {}),
  });
}

/** Writes `request` and reads until `done` says the reply is whole (or EOF). */
async function roundTrip(
  conn: Deno.Conn,
  request: string | Uint8Array,
  done: (text: string) => boolean,
): Promise<string> {
  const bytes = typeof request === "string" ? enc.encode(request) : request;
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  let text = "";
  const buf = new Uint8Array(65536);
  while (!done(text)) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

async function redisCli(args: string[]): Promise<string> {
  const out = await new Deno.Command("redis-cli", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

Deno.test("TLS clients: redis-cli --tls and a raw TLS socket through a TLS pool to plain redis", async () => {
  await using certs = await makeCerts();
  await using redis = await startRedis();
  await using p = await proxyWithLog(
    `tls:\n  listen: AUTO\n  redis: true\n  tls_cert: ${certs.good.serverCert}\n` +
      `  tls_key: ${certs.good.serverKey}\n  servers:\n    - 127.0.0.1:${redis.port}:1\n`,
  );
  const cli = ["--tls", "--cacert", certs.good.ca, "-h", "127.0.0.1", "-p", String(p.port)];
  assert.equal((await redisCli([...cli, "SET", "tls:k", "over tls"])).trim(), "OK");
  assert.equal((await redisCli([...cli, "GET", "tls:k"])).trim(), "over tls");
  // redis-cli hangs up without TLS close_notify: an EOF, not an error.
  await p.logged(/closed client/);
  assert.equal(p.proxy.pools[0]!.stats.client_err, 0, p.lines.join("\n"));
  const conn = await tlsClient(p.port, certs);
  try {
    // 200 pipelined requests in one write, replies in order.
    const many = Array.from({ length: 200 }, (_, i) => cmd("SET", `tls:${i}`, `v${i}`));
    const reply = await roundTrip(
      conn,
      concat([...many, cmd("GET", "tls:199")]),
      (t) => t.endsWith("$4\r\nv199\r\n"),
    );
    assert.equal(reply, "+OK\r\n".repeat(200) + "$4\r\nv199\r\n");
  } finally {
    conn.close();
  }
  // The backend saw plain text: check with a plain client.
  await using direct = await RawClient.connect(redis.port);
  await direct.send(cmd("GET", "tls:0"));
  assert.equal(await direct.readUntilText("\r\nv0\r\n"), "$2\r\nv0\r\n");
});

Deno.test("TLS clients: a plain-text client on a TLS port is closed and logged; TLS clients carry on", async () => {
  await using certs = await makeCerts();
  await using redis = await startRedis();
  await using p = await proxyWithLog(
    `tls:\n  listen: AUTO\n  redis: true\n  tls_cert: ${certs.good.serverCert}\n` +
      `  tls_key: ${certs.good.serverKey}\n  servers:\n    - 127.0.0.1:${redis.port}:1\n`,
  );
  {
    await using plain = await RawClient.connect(p.port);
    await plain.send(cmd("PING"));
    assert.ok(await plain.closedWithin(5000), "a plain-text client must be closed");
    assert.ok(!dec.decode(plain.buffered).includes("PONG"));
  }
  const line = await p.logged(/TLS handshake with client 127\.0\.0\.1:\d+ failed/);
  assert.match(line, /does not speak TLS/);
  assert.equal(p.proxy.pools[0]!.clients.size, 0);
  const conn = await tlsClient(p.port, certs);
  try {
    assert.equal(await roundTrip(conn, cmd("PING"), (t) => t.endsWith("\r\n")), "+PONG\r\n");
  } finally {
    conn.close();
  }
});

Deno.test("TLS to servers: redis-server --tls-port with CA, server name and mutual TLS; memcached -Z", async () => {
  await using certs = await makeCerts();
  const g = certs.good;
  await using redis = await startRedisTls({ cert: g.serverCert, key: g.serverKey });
  await using mtlsRedis = await startRedisTls({
    cert: g.serverCert,
    key: g.serverKey,
    clientCa: g.ca,
  });
  await using mc = await startMemcachedTls({ cert: g.serverCert, key: g.serverKey });
  await using p = await proxyWithLog(
    `r:\n  listen: AUTO\n  redis: true\n  server_tls: true\n  server_tls_ca: ${g.ca}\n` +
      `  servers:\n    - 127.0.0.1:${redis.port}:1\n` +
      `named:\n  listen: AUTO\n  redis: true\n  server_tls: true\n  server_tls_ca: ${g.ca}\n` +
      `  server_tls_name: localhost\n  servers:\n    - 127.0.0.1:${redis.port}:1\n` +
      `mutual:\n  listen: AUTO\n  redis: true\n  server_tls: true\n  server_tls_ca: ${g.ca}\n` +
      `  server_tls_cert: ${g.clientCert}\n  server_tls_key: ${g.clientKey}\n` +
      `  servers:\n    - 127.0.0.1:${mtlsRedis.port}:1\n` +
      `mc:\n  listen: AUTO\n  server_tls: true\n  server_tls_ca: ${g.ca}\n` +
      `  servers:\n    - 127.0.0.1:${mc.port}:1\n`,
  );
  const port = (name: string) => (p.proxy.addr(name) as Deno.NetAddr).port;
  for (const pool of ["r", "named", "mutual"]) {
    await using c = await RawClient.connect(port(pool));
    await c.send(concat([cmd("SET", `k:${pool}`, pool), cmd("GET", `k:${pool}`)]));
    assert.equal(
      dec.decode(await c.readUntil(replies(2))),
      `+OK\r\n$${pool.length}\r\n${pool}\r\n`,
      pool,
    );
  }
  await using m = await RawClient.connect(port("mc"));
  await m.send("set a 0 0 5\r\nhello\r\nget a\r\n");
  assert.equal(
    await m.readUntilText("END\r\n"),
    "STORED\r\nVALUE a 0 5\r\nhello\r\nEND\r\n",
  );
});

Deno.test("TLS to servers: a wrong CA, a wrong name and a missing client certificate fail with error replies and a log line", async () => {
  await using certs = await makeCerts();
  const g = certs.good;
  await using redis = await startRedisTls({ cert: g.serverCert, key: g.serverKey });
  await using mtlsRedis = await startRedisTls({
    cert: g.serverCert,
    key: g.serverKey,
    clientCa: g.ca,
  });
  await using p = await proxyWithLog(
    `wrongca:\n  listen: AUTO\n  redis: true\n  server_tls: true\n  server_tls_ca: ${certs.other.ca}\n` +
      `  servers:\n    - 127.0.0.1:${redis.port}:1 wrongca\n` +
      `wrongname:\n  listen: AUTO\n  redis: true\n  server_tls: true\n  server_tls_ca: ${g.ca}\n` +
      `  server_tls_name: other.example\n  servers:\n    - 127.0.0.1:${redis.port}:1 wrongname\n` +
      `nocert:\n  listen: AUTO\n  redis: true\n  server_tls: true\n  server_tls_ca: ${g.ca}\n` +
      `  servers:\n    - 127.0.0.1:${mtlsRedis.port}:1 nocert\n` +
      `plain:\n  listen: AUTO\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1 plain\n`,
  );
  const port = (name: string) => (p.proxy.addr(name) as Deno.NetAddr).port;
  const ask = async (pool: string) => {
    await using c = await RawClient.connect(port(pool));
    await c.send(cmd("GET", "k"));
    return await c.readLine();
  };
  assert.match(await ask("wrongca"), /^-ERR TLS handshake failed: .*UnknownIssuer/);
  await p.logged(
    /server 'wrongca' \(127\.0\.0\.1:\d+\) connection closed: TLS handshake failed: .*UnknownIssuer/,
  );
  assert.match(await ask("wrongname"), /^-ERR TLS handshake failed: .*not valid for name/);
  await p.logged(/server 'wrongname' \(127\.0\.0\.1:\d+\) connection closed: TLS handshake failed/);
  // TLS 1.3: the server refuses the missing certificate after the handshake.
  assert.match(await ask("nocert"), /^-ERR .*(CertificateRequired|reset|closed)/i);
  await p.logged(/server 'nocert' \(127\.0\.0\.1:\d+\) connection closed/);
  // Plain text to a TLS-only server: the reply does not parse, the request fails.
  assert.match(await ask("plain"), /^-ERR /);
});

Deno.test("TLS clients with tls_ca: a client certificate from the CA is served, none or another CA's is refused", async () => {
  await using certs = await makeCerts();
  await using redis = await startRedis();
  await using p = await proxyWithLog(
    `mutual:\n  listen: AUTO\n  redis: true\n  tls_cert: ${certs.good.serverCert}\n` +
      `  tls_key: ${certs.good.serverKey}\n  tls_ca: ${certs.good.ca}\n` +
      `  servers:\n    - 127.0.0.1:${redis.port}:1\n`,
  );
  const good = await tlsClient(p.port, certs, {
    cert: certs.good.clientCert,
    key: certs.good.clientKey,
  });
  try {
    assert.equal(await roundTrip(good, cmd("PING"), (t) => t.endsWith("\r\n")), "+PONG\r\n");
  } finally {
    good.close();
  }
  for (
    const [label, withCert] of [
      ["no certificate", undefined],
      ["another CA's certificate", { cert: certs.other.clientCert, key: certs.other.clientKey }],
    ] as const
  ) {
    const before = p.lines.length;
    let reply = "";
    try {
      const conn = await tlsClient(p.port, certs, withCert);
      try {
        reply = await roundTrip(conn, cmd("PING"), (t) => t.endsWith("\r\n"));
      } finally {
        conn.close();
      }
    } catch {
      // refused during the handshake
    }
    assert.equal(reply, "", label);
    const until = Date.now() + 5000;
    while (!p.lines.slice(before).some((l) => /TLS handshake with client/.test(l))) {
      assert.ok(Date.now() < until, `${label}: no log line; have ${p.lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.equal(p.proxy.pools[0]!.clients.size, 0);
});

Deno.test("TLS both ways, memcached: TLS client -> proxy -> memcached -Z with mutual TLS", async () => {
  await using certs = await makeCerts();
  const g = certs.good;
  await using mc = await startMemcachedTls({
    cert: g.serverCert,
    key: g.serverKey,
    clientCa: g.ca,
  });
  await using plainMc = await startMemcached();
  await using p = await proxyWithLog(
    `mc:\n  listen: AUTO\n  tls_cert: ${g.serverCert}\n  tls_key: ${g.serverKey}\n` +
      `  server_tls: true\n  server_tls_ca: ${g.ca}\n  server_tls_cert: ${g.clientCert}\n` +
      `  server_tls_key: ${g.clientKey}\n  servers:\n    - 127.0.0.1:${mc.port}:1\n`,
  );
  const conn = await tlsClient(p.port, certs);
  try {
    // One request per write: memcached 1.6.18 over TLS leaves bytes that
    // follow a large value in its TLS buffer unread until more arrive.
    const value = "x".repeat(100_000);
    const stored = await roundTrip(
      conn,
      `set big 0 0 ${value.length}\r\n${value}\r\n`,
      (t) => t.endsWith("\r\n"),
    );
    assert.equal(stored, "STORED\r\n");
    const reply = await roundTrip(conn, "get big\r\n", (t) => t.endsWith("END\r\n"));
    assert.equal(reply, `VALUE big 0 ${value.length}\r\n${value}\r\nEND\r\n`);
  } finally {
    conn.close();
  }
  // The plain memcached is untouched: it is only here to show the TLS one holds the key.
  await using direct = await RawClient.connect(plainMc.port);
  await direct.send("get big\r\n");
  assert.equal(await direct.readUntilText("END\r\n"), "END\r\n");
});

Deno.test("TLS configuration errors name the file and the key", async () => {
  await using certs = await makeCerts();
  const g = certs.good;
  const pool = (lines: string) =>
    `p:\n  listen: 127.0.0.1:1\n  redis: true\n${lines}  servers:\n    - 127.0.0.1:2:1\n`;
  const bad = (lines: string, ...parts: RegExp[]) => {
    let error: unknown;
    try {
      parseConfig(pool(lines), "t.yml");
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ConfigError, `no error for ${lines}`);
    for (const part of parts) assert.match(error.message, part);
  };
  const missing = `${certs.dir}/missing.pem`;
  bad(
    `  tls_cert: ${missing}\n  tls_key: ${g.serverKey}\n`,
    /^t\.yml:4:\d+: pool 'p': key 'tls_cert': cannot read the certificate file/,
    /missing\.pem': no such file/,
  );
  bad(
    `  tls_cert: ${g.serverKey}\n  tls_key: ${g.serverKey}\n`,
    /key 'tls_cert': the certificate file '.*good-server\.key' holds no certificate/,
  );
  bad(
    `  tls_cert: ${g.serverCert}\n  tls_key: ${g.serverCert}\n`,
    /key 'tls_key': the private key file '.*good-server\.crt' holds no private key/,
  );
  bad(
    `  tls_cert: ${g.serverCert}\n  tls_key: ${g.clientKey}\n`,
    /key 'tls_key': the private key '.*good-client\.key' does not belong to the certificate/,
  );
  bad(`  tls_cert: ${g.serverCert}\n`, /key 'tls_cert': tls_cert is set without tls_key/);
  bad(
    `  server_tls_ca: ${g.ca}\n`,
    /key 'server_tls_ca': server_tls_ca is set but server_tls is not true/,
  );
  bad(
    `  server_tls: true\n  server_tls_cert: ${g.clientCert}\n  server_tls_key: ${g.serverKey}\n`,
    /key 'server_tls_key': the private key .* does not belong/,
  );
  const garbled = `${certs.dir}/garbled.pem`;
  await Deno.writeTextFile(
    garbled,
    "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
  );
  bad(
    `  server_tls: true\n  server_tls_ca: ${garbled}\n`,
    /certificate 1 in the CA certificate file '.*garbled\.pem' does not parse/,
  );

  // -t reports the same error and says the file is invalid.
  const file = `${certs.dir}/bad.yml`;
  await Deno.writeTextFile(file, pool(`  tls_cert: ${g.serverCert}\n  tls_key: ${g.clientKey}\n`));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "-t", "-c", file],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = dec.decode(out.stderr);
  assert.equal(out.code, 1);
  assert.match(stderr, /key 'tls_key': the private key .* does not belong to the certificate/);
  assert.match(stderr, /syntax is invalid\n$/);
  // Relative paths are read from the configuration file's directory.
  const good = `${certs.dir}/good.yml`;
  await Deno.writeTextFile(
    good,
    pool(`  tls_cert: good-server.crt\n  tls_key: good-server.key\n  tls_ca: good-ca.crt\n`),
  );
  const ok = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "-t", "-c", good],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(ok.code, 0, dec.decode(ok.stderr));
});
