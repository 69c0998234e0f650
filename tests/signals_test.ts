/**
 * End-to-end: what signals do to a nutmeg process. SIGUSR1 must neither
 * open Deno's inspector port (denoland/deno#35738) nor kill the process,
 * SIGUSR2 reloads (never kills), and every other signal a process manager or
 * terminal may send leaves nutmeg running wherever it leaves nutcracker
 * running (checked against the real nutcracker here).
 */
import assert from "node:assert/strict";
import { RawClient, startRedis, waitForPort } from "./_support/servers.ts";
import { listeningPorts, startNutmeg, until } from "./_support/nutmeg_process.ts";
import { freePort } from "./_support/servers.ts";

const linux = Deno.build.os === "linux";

function redisConf(port: number): string {
  return `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n    - 127.0.0.1:${port}:1\n`;
}

/** SET then GET through the proxy on `port`: the proxy still serves. */
async function serves(port: number, key: string): Promise<void> {
  await using c = await RawClient.connect(port);
  await c.send(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$2\r\nok\r\n`);
  assert.equal(await c.readLine(), "+OK");
  await c.send(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`);
  assert.equal(await c.readUntilText("ok\r\n"), "$2\r\nok\r\n");
}

/** Whether /proc says `pid` ignores signal number `signo`. */
async function ignores(pid: number, signo: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const mask = BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(status)![1]}`);
  return ((mask >> BigInt(signo - 1)) & 1n) === 1n;
}

Deno.test({
  name: "SIGUSR1 opens no port and kills nothing, from the first log line on",
  ignore: !linux,
  async fn() {
    await using redis = await startRedis();
    const spawned = Date.now();
    await using nm = await startNutmeg(redisConf(redis.port), { noWait: true });
    // As soon as nutmeg has logged anything, and through Deno's 500 ms
    // grace period (after which Deno's own SIGUSR1 listener is armed).
    assert.ok(await until(async () => (await nm.log()).includes("started on pid"), 15_000));
    let sent = 0;
    while (Date.now() - spawned < 900 || sent < 5) {
      nm.child.kill("SIGUSR1");
      sent++;
      await new Promise((r) => setTimeout(r, 25));
      assert.ok(nm.running(), `SIGUSR1 number ${sent} killed nutmeg`);
    }
    await waitForPort(nm.port);
    await waitForPort(nm.statsPort); // opened once the pools are ready
    const before = await listeningPorts(nm.pid);
    assert.deepEqual(before, [nm.port, nm.statsPort].sort((a, b) => a - b));
    nm.child.kill("SIGUSR1");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(nm.running());
    assert.deepEqual(await listeningPorts(nm.pid), before, "a SIGUSR1 opened a port");
    assert.ok(await ignores(nm.pid, 10), "SIGUSR1 is not SIG_IGN");
    await serves(nm.port, "usr1");
    assert.doesNotMatch(await nm.log(), /inspector|Debugger/i);
  },
});

Deno.test({
  name: "SIGUSR2 reloads (logged at NOTICE), never kills, and the proxy keeps serving",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using redis = await startRedis();
    await using nm = await startNutmeg(redisConf(redis.port), { flags: ["-v", "6"] });
    nm.child.kill("SIGUSR2");
    assert.ok(
      await until(async () =>
        (await nm.log()).includes("signal SIGUSR2 received, reloading the configuration")
      ),
      await nm.log(),
    );
    nm.child.kill("SIGUSR2");
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(nm.running());
    await serves(nm.port, "usr2");
  },
});

/** Signals a process manager or a terminal may send, other than those nutmeg acts on. */
const OTHER_SIGNALS: readonly Deno.Signal[] = [
  "SIGPIPE",
  "SIGWINCH",
  "SIGCHLD",
  "SIGCONT",
  "SIGURG",
  "SIGALRM",
  "SIGVTALRM",
  "SIGPROF",
  "SIGIO",
  "SIGSYS",
  "SIGUSR1",
  "SIGUSR2",
];

/** Whether nutcracker is still running 300 ms after `signal`. */
async function nutcrackerSurvives(signal: Deno.Signal, backend: number): Promise<boolean> {
  const dir = await Deno.makeTempDir({ prefix: "nutcracker-sig-" });
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/nc.yml`,
    redisConf(backend).replace("listen: AUTO", `listen: 127.0.0.1:${port}`),
  );
  const child = new Deno.Command("nutcracker", {
    args: ["-c", `${dir}/nc.yml`, "-s", String(freePort()), "-a", "127.0.0.1", "-o", "/dev/null"],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let ended = false;
  const status = child.status.finally(() => (ended = true));
  try {
    await waitForPort(port);
    child.kill(signal);
    await new Promise((r) => setTimeout(r, 300));
    return !ended;
  } finally {
    if (!ended) child.kill("SIGKILL");
    await status;
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "no signal kills nutmeg that leaves nutcracker running",
  ignore: !linux,
  async fn() {
    await using redis = await startRedis();
    const survivable: Deno.Signal[] = [];
    for (const s of OTHER_SIGNALS) if (await nutcrackerSurvives(s, redis.port)) survivable.push(s);
    // nutcracker ignores these (it dies on SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGSYS).
    for (const s of ["SIGPIPE", "SIGWINCH", "SIGCHLD", "SIGCONT", "SIGURG", "SIGUSR1", "SIGUSR2"]) {
      assert.ok(survivable.includes(s as Deno.Signal), `nutcracker died on ${s}`);
    }
    await using nm = await startNutmeg(redisConf(redis.port));
    for (const s of survivable) {
      nm.child.kill(s);
      await new Promise((r) => setTimeout(r, 150));
      assert.ok(nm.running(), `${s} killed nutmeg (nutcracker survives it)`);
      await serves(nm.port, `sig-${s}`);
    }
  },
});
