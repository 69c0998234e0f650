/**
 * End-to-end: backend connection settings — preconnect, server_connections,
 * tcpkeepalive — and surviving the loss of file descriptors.
 */
import assert from "node:assert/strict";
import { freePort, RawClient, startRedises, waitForPort } from "./_support/servers.ts";
import { serverLines, startProxy } from "./_support/proxy.ts";
import { SEVERAL_WORKERS } from "./_support/test_workers.ts";
import { cmd, decodeAll, replies, type Reply, ReplyError } from "./_support/resp.ts";

async function call(c: RawClient, ...args: (string | number)[]): Promise<Reply> {
  await c.send(cmd(...args));
  return decodeAll(await c.readUntil(replies(1)))[0]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Client connections the backend at `port` has open (CLIENT LIST, minus our own). */
async function backendClients(port: number): Promise<number> {
  await using d = await RawClient.connect(port);
  const list = await call(d, "CLIENT", "LIST") as string;
  return list.trim().split("\n").length - 1;
}

Deno.test("preconnect opens every server connection before any request", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  preconnect: true\n  server_connections: 2\n` +
      `  servers:\n${serverLines(backends.ports)}\n`,
  );
  await sleep(200);
  // Each worker opens its own: workers x server_connections per server.
  const want = 2 * proxy.workers;
  for (const s of (await proxy.stats()).pools[0]!.servers) {
    assert.equal(s.stats.server_connections, want);
  }
  for (const port of backends.ports) assert.equal(await backendClients(port), want);
});

Deno.test("without preconnect no server connection is opened until a request needs it", async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n${serverLines(backends.ports)}\n`,
  );
  await sleep(100);
  assert.equal(await backendClients(backends.ports[0]!), 0);
  await using c = await RawClient.connect(proxy.port);
  assert.equal(await call(c, "SET", "a", "1"), "OK");
  assert.equal(await backendClients(backends.ports[0]!), 1);
});

Deno.test({
  name: "server_connections spreads requests over that many connections per server",
  // With several workers each opens up to server_connections of its own,
  // as many as the clients the kernel happened to hand it need: the count
  // of one event loop.
  ignore: SEVERAL_WORKERS,
}, async () => {
  await using backends = await startRedises(1);
  await using proxy = await startProxy(
    `alpha:\n  listen: AUTO\n  redis: true\n  server_connections: 3\n` +
      `  servers:\n${serverLines(backends.ports)}\n`,
  );
  const clients = await Promise.all(Array.from({ length: 6 }, () => RawClient.connect(proxy.port)));
  try {
    await Promise.all(clients.map(async (c, i) => {
      for (let j = 0; j < 5; j++) assert.equal(await call(c, "SET", `k${i}:${j}`, "v"), "OK");
    }));
    assert.equal(await backendClients(backends.ports[0]!), 3);
    assert.equal(proxy.proxy.pools[0]!.servers[0]!.stats.server_connections, 3);
  } finally {
    for (const c of clients) await c.close();
  }
});

Deno.test("tcpkeepalive turns on keepalive on server connections", async () => {
  await using backends = await startRedises(2);
  await using proxy = await startProxy(
    `on:\n  listen: AUTO\n  redis: true\n  tcpkeepalive: true\n  servers:\n${
      serverLines([backends.ports[0]!])
    }\n` +
      `off:\n  listen: AUTO\n  redis: true\n  servers:\n${serverLines([backends.ports[1]!])}\n`,
  );
  for (const name of ["on", "off"]) {
    await using c = await RawClient.connect(proxy.ports[name]!);
    assert.equal(await call(c, "SET", "a", "1"), "OK");
  }
  // `ss -o` shows a keepalive timer on sockets with SO_KEEPALIVE.
  const timers = async (port: number) => {
    const out = await new Deno.Command("ss", {
      args: ["-tno", "state", "established", `( dport = :${port} )`],
      stdout: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout);
  };
  assert.match(await timers(backends.ports[0]!), /timer:\(keepalive/);
  assert.doesNotMatch(await timers(backends.ports[1]!), /timer:\(keepalive/);
});

Deno.test("running out of file descriptors does not stop the proxy", async () => {
  await using backends = await startRedises(1);
  const port = freePort();
  const dir = await Deno.makeTempDir();
  const conf = `${dir}/nutmeg.yml`;
  await Deno.writeTextFile(
    conf,
    `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n${
      serverLines(backends.ports)
    }\n`,
  );
  // A proxy process allowed only 64 open files.
  const child = new Deno.Command("prlimit", {
    args: [
      "--nofile=64",
      Deno.execPath(),
      "run",
      "-A",
      new URL("../main.ts", import.meta.url).pathname,
      "-c",
      conf,
      "-s",
      String(freePort()),
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForPort(port, 10000);
    const held: Deno.Conn[] = [];
    for (let i = 0; i < 100; i++) held.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    await sleep(300);
    for (const c of held) c.close();
    await sleep(300);
    // Descriptors are free again: the proxy accepts and serves.
    await using c = await RawClient.connect(port);
    assert.equal(await call(c, "SET", "fd", "ok"), "OK");
    assert.equal(await call(c, "GET", "fd"), "ok");
  } finally {
    child.kill("SIGTERM");
    const status = await child.status;
    assert.equal(status.code, 0, "exits 0 on SIGTERM");
    await Deno.remove(dir, { recursive: true });
  }
});

const canEditHosts = (() => {
  try {
    return Deno.uid() === 0 && Deno.statSync("/etc/hosts").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "a server host name is resolved again on reconnect, so a DNS change is picked up",
  // Needs to edit /etc/hosts (restored afterwards); CI runs as root.
  ignore: !canEditHosts,
  fn: async () => {
    const name = `nutmeg-dns-test-${Deno.pid}`;
    const original = await Deno.readTextFile("/etc/hosts");
    const port = freePort();
    const setHost = (ip: string) =>
      Deno.writeTextFile("/etc/hosts", `${original}\n${ip} ${name}\n`);
    const redisOn = async (ip: string) => {
      const child = new Deno.Command("redis-server", {
        args: ["--port", String(port), "--bind", ip, "--save", "", "--appendonly", "no"],
        stdout: "null",
        stderr: "null",
      }).spawn();
      const until = Date.now() + 5000;
      while (true) {
        try {
          (await Deno.connect({ hostname: ip, port })).close();
          break;
        } catch (err) {
          if (Date.now() > until) throw err;
          await sleep(20);
        }
      }
      return child;
    };
    const a = await redisOn("127.0.0.2");
    const b = await redisOn("127.0.0.3");
    try {
      await setHost("127.0.0.2");
      await using proxy = await startProxy(
        `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n    - ${name}:${port}:1\n`,
      );
      await using c = await RawClient.connect(proxy.port);
      assert.equal(await call(c, "SET", "where", "a"), "OK");
      // Move the name, then break the connection: the reconnect must follow the name.
      await setHost("127.0.0.3");
      a.kill("SIGKILL");
      await a.status;
      // The old connection is gone: this request either fails with it or
      // already reaches the server the name points to now (which has no key).
      const first = await call(c, "GET", "where");
      assert.ok(first === null || first instanceof ReplyError, String(first));
      assert.equal(await call(c, "SET", "where", "b"), "OK");
      const check = await Deno.connect({ hostname: "127.0.0.3", port });
      const rc = await (async () => {
        await check.write(cmd("GET", "where"));
        const buf = new Uint8Array(64);
        const n = await check.read(buf);
        return new TextDecoder().decode(buf.subarray(0, n ?? 0));
      })();
      check.close();
      assert.equal(rc, "$1\r\nb\r\n");
    } finally {
      await Deno.writeTextFile("/etc/hosts", original);
      for (const p of [a, b]) {
        try {
          p.kill("SIGKILL");
        } catch {
          // gone
        }
        await p.status;
      }
    }
  },
});
