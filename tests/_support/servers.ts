/**
 * Test support: real redis-server and memcached processes on free loopback
 * ports, started and stopped by the tests (`await using`), and raw socket
 * clients that speak bytes.
 *
 * @module
 */

import { freePort, waitForPort } from "./ports.ts";

export { freePort, waitForPort };

/** A backend process started for a test. */
export interface Backend extends AsyncDisposable {
  readonly port: number;
  readonly process: Deno.ChildProcess;
  /** Stops the process (SIGKILL) and waits for it. */
  stop(): Promise<void>;
  /** Sends a signal (SIGSTOP/SIGCONT for fault tests). */
  signal(sig: Deno.Signal): void;
  /**
   * SIGSTOP, then waits until the kernel shows the process stopped (Linux:
   * `State: T` in /proc), so no byte sent afterwards can still be answered.
   */
  pause(): Promise<void>;
}

/** Sends SIGSTOP to `process` and waits (at most 2 s) until it is stopped. */
async function pauseProcess(process: Deno.ChildProcess): Promise<void> {
  process.kill("SIGSTOP");
  if (Deno.build.os !== "linux") return;
  const until = Date.now() + 2000;
  while (Date.now() < until) {
    const status = await Deno.readTextFile(`/proc/${process.pid}/status`);
    if (/^State:\s+T/m.test(status)) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${process.pid} did not stop within 2 s of SIGSTOP`);
}

/** The server could not bind its port (another process took it). */
class PortTakenError extends Error {}

/** Starts a server on `port`, or on fresh free ports until one binds when `port` was not given. */
async function spawnOnFreePort(
  make: (port: number) => Promise<Backend>,
  port: number | undefined,
): Promise<Backend> {
  if (port !== undefined) return await make(port);
  for (let attempt = 0;; attempt++) {
    try {
      return await make(freePort());
    } catch (err) {
      if (!(err instanceof PortTakenError) || attempt >= 4) throw err;
    }
  }
}

async function spawn(cmd: string, args: string[], port: number): Promise<Backend> {
  const process = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      process.kill("SIGKILL");
    } catch {
      // already gone
    }
    await process.status;
  };
  let exited = false;
  process.status.then(() => exited = true);
  try {
    await waitForPort(port);
    // A port taken by another test's process between freePort() and the
    // bind makes our server exit at once while the port still answers.
    await new Promise((r) => setTimeout(r, 50));
    if (exited) throw new PortTakenError(`${cmd} could not bind port ${port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    process,
    stop,
    signal: (sig) => process.kill(sig),
    pause: () => pauseProcess(process),
    [Symbol.asyncDispose]: stop,
  };
}

/**
 * redis-server's arguments for 127.0.0.1:`port` (0: no plain port, for a
 * TLS-only server), with no persistence (tests and the benchmark).
 */
export function redisArgs(port: number, extra: readonly string[] = []): string[] {
  return [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--protected-mode",
    "no",
    ...extra,
  ];
}

/** memcached's arguments for 127.0.0.1:`port`, TCP only (tests and the benchmark). */
export function memcachedArgs(port: number, extra: readonly string[] = []): string[] {
  // memcached refuses to run as root unless told which user to become.
  const user = Deno.uid() === 0 ? ["-u", "root"] : [];
  return [...user, "-p", String(port), "-l", "127.0.0.1", "-U", "0", ...extra];
}

/** Starts redis-server (or the binary `command`) on a free loopback port, with no persistence. */
export function startRedis(
  port?: number,
  extra: string[] = [],
  command = "redis-server",
): Promise<Backend> {
  return spawnOnFreePort((port) => spawn(command, redisArgs(port, extra), port), port);
}

/** Starts memcached (or the binary `command`) on a free loopback port. */
export function startMemcached(
  port?: number,
  extra: string[] = [],
  command = "memcached",
): Promise<Backend> {
  return spawnOnFreePort((port) => spawn(command, memcachedArgs(port, extra), port), port);
}

/** Several backends stopped together. */
export class Backends implements AsyncDisposable {
  readonly list: Backend[];
  constructor(list: Backend[]) {
    this.list = list;
  }
  /** Ports in order. */
  get ports(): number[] {
    return this.list.map((b) => b.port);
  }
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.list.map((b) => b.stop()));
  }
}

/** Starts `n` redis-servers. */
export async function startRedises(n: number): Promise<Backends> {
  return new Backends(await Promise.all(Array.from({ length: n }, () => startRedis())));
}

/** Starts `n` memcacheds. */
export async function startMemcacheds(n: number): Promise<Backends> {
  return new Backends(await Promise.all(Array.from({ length: n }, () => startMemcached())));
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A raw socket client: write bytes, read until a condition holds. */
export class RawClient implements AsyncDisposable {
  readonly conn: Deno.Conn;
  #buf = new Uint8Array(0);
  /** Backing store of #buf (which is a view on it). */
  #store = new Uint8Array(0);
  #eof = false;
  #wake: (() => void) | null = null;
  #pump: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#pump = this.#run();
  }

  /** Connects to 127.0.0.1:`port` (or a unix socket path). */
  static async connect(target: number | string): Promise<RawClient> {
    const conn = typeof target === "number"
      ? await Deno.connect({ hostname: "127.0.0.1", port: target })
      : await Deno.connect({ transport: "unix", path: target });
    return new RawClient(conn);
  }

  async #run(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.conn.read(chunk);
        if (n === null) break;
        // Grow geometrically so large replies cost linear time.
        const len = this.#buf.length;
        if (this.#store.length < len + n) {
          const store = new Uint8Array(Math.max(2 * this.#store.length, len + n, 65536));
          store.set(this.#buf);
          this.#store = store;
        } else if (this.#buf.byteOffset !== 0) {
          this.#store.copyWithin(0, this.#buf.byteOffset, this.#buf.byteOffset + len);
        }
        this.#store.set(chunk.subarray(0, n), len);
        this.#buf = this.#store.subarray(0, len + n);
        this.#wake?.();
      }
    } catch {
      // reset or closed by us
    }
    this.#eof = true;
    this.#wake?.();
  }

  /** Writes a string or bytes. */
  async send(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? enc.encode(data) : data;
    let off = 0;
    while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
  }

  /** Bytes received and not yet taken. */
  get buffered(): Uint8Array {
    return this.#buf;
  }

  /** Whether the peer closed the connection. */
  get eof(): boolean {
    return this.#eof;
  }

  /** Waits for more bytes or EOF, at most `ms`. */
  async #wait(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.#wake = null;
  }

  /** Reads until `done(bytes)` returns a length to take (> 0); throws at EOF or after `ms`. */
  async readUntil(done: (b: Uint8Array) => number, ms = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + ms;
    while (true) {
      const n = done(this.#buf);
      if (n > 0) {
        const out = this.#buf.slice(0, n);
        // Keep the rest as a view; the next read compacts it to the front.
        this.#buf = this.#buf.subarray(n);
        return out;
      }
      if (this.#eof) throw new Error(`EOF after ${JSON.stringify(dec.decode(this.#buf))}`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Timed out waiting; have ${JSON.stringify(dec.decode(this.#buf))}`);
      }
      await this.#wait(left);
    }
  }

  /** Reads exactly `length` bytes and returns them as text. */
  async readText(length: number, ms = 5000): Promise<string> {
    return dec.decode(await this.readUntil((b) => b.length >= length ? length : 0, ms));
  }

  /** Reads up to and including the first `suffix`; returns the text. */
  async readUntilText(suffix: string, ms = 5000): Promise<string> {
    const tail = enc.encode(suffix);
    return dec.decode(
      await this.readUntil((b) => {
        outer: for (let i = 0; i + tail.length <= b.length; i++) {
          for (let j = 0; j < tail.length; j++) if (b[i + j] !== tail[j]) continue outer;
          return i + tail.length;
        }
        return 0;
      }, ms),
    );
  }

  /** Reads one CRLF-terminated line (without CRLF). */
  async readLine(ms = 5000): Promise<string> {
    const line = await this.readUntil((b) => {
      for (let i = 0; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i + 2;
      return 0;
    }, ms);
    return dec.decode(line.subarray(0, line.length - 2));
  }

  /** Resolves true when the peer closes within `ms`. */
  async closedWithin(ms = 2000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#eof && Date.now() < deadline) await this.#wait(deadline - Date.now());
    return this.#eof;
  }

  /** Closes the socket and waits for the reader to stop. */
  async close(): Promise<void> {
    try {
      this.conn.close();
    } catch {
      // closed
    }
    await this.#pump;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** TLS files for a backend: its certificate and key, and the CA its clients must chain to. */
export interface BackendTls {
  readonly cert: string;
  readonly key: string;
  /** Set: clients must show a certificate signed by this CA. */
  readonly clientCa?: string;
}

/** Starts redis-server speaking only TLS on a free loopback port (`--tls-port`, plain port off). */
export function startRedisTls(tls: BackendTls, extra: string[] = []): Promise<Backend> {
  return spawnOnFreePort((port) =>
    spawn(
      "redis-server",
      redisArgs(0, [
        "--tls-port",
        String(port),
        "--tls-cert-file",
        tls.cert,
        "--tls-key-file",
        tls.key,
        ...(tls.clientCa === undefined
          ? ["--tls-auth-clients", "no"]
          : ["--tls-ca-cert-file", tls.clientCa, "--tls-auth-clients", "yes"]),
        ...extra,
      ]),
      port,
    ), undefined);
}

/** Starts memcached speaking only TLS (`-Z`) on a free loopback port. */
export function startMemcachedTls(tls: BackendTls): Promise<Backend> {
  const ssl = [`ssl_chain_cert=${tls.cert}`, `ssl_key=${tls.key}`];
  if (tls.clientCa !== undefined) ssl.push(`ssl_ca_cert=${tls.clientCa}`, "ssl_verify_mode=2");
  return spawnOnFreePort(
    (port) => spawn("memcached", memcachedArgs(port, ["-Z", "-o", ssl.join(",")]), port),
    undefined,
  );
}

/**
 * Starts a Redis Sentinel (`redis-server <conf> --sentinel`) on `port` (a
 * free one when not given) watching each of `masters` (name -> port on
 * 127.0.0.1) with quorum 2 and a 1 s down-after. Its configuration file,
 * which a sentinel rewrites, lives in a temporary directory removed at stop.
 */
export async function startSentinel(
  masters: Readonly<Record<string, number>>,
  port?: number,
  extra: readonly string[] = [],
): Promise<Backend> {
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-sentinel-" });
  try {
    const backend = await spawnOnFreePort((port) => {
      const conf = `${dir}/sentinel-${port}.conf`;
      const lines = [`port ${port}`, "bind 127.0.0.1", "protected-mode no", ...extra];
      for (const [name, masterPort] of Object.entries(masters)) {
        lines.push(
          `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
        );
      }
      Deno.writeTextFileSync(conf, lines.join("\n") + "\n");
      return spawn("redis-server", [conf, "--sentinel"], port);
    }, port);
    const stop = async () => {
      await backend.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
    return { ...backend, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw err;
  }
}
