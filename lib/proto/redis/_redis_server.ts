/**
 * Starts a real `redis-server` on a free loopback port, for the scripts that
 * record facts from it (`gen_commands.ts`, `capture_replies.ts`). Tests do
 * not use it: they read the committed fixtures.
 *
 * @module
 */
import { decode, type RespValue } from "./_decode.ts";

/** A running redis-server; `await using` stops it. */
export interface RedisServer extends AsyncDisposable {
  readonly port: number;
  /** The server's version from INFO. */
  readonly version: string;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * Starts `redis-server` (or the program `binary`) with `extra` arguments
 * and waits until it answers.
 */
export async function startRedis(
  extra: readonly string[] = [],
  binary = "redis-server",
): Promise<RedisServer> {
  const port = freePort();
  const child = new Deno.Command(binary, {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      ...extra,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  for (let i = 0; i < 100; i++) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const conn = await Connection.open(port);
  let version = "";
  try {
    const info = await conn.call(["INFO", "server"]);
    if (typeof info === "string") version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "";
  } finally {
    conn.close();
  }
  return {
    port,
    version,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
    },
  };
}

/** RESP-encodes a command. */
export function encodeCommand(args: readonly (string | Uint8Array)[]): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === "string" ? enc.encode(a) : a;
    parts.push(enc.encode(`$${b.length}\r\n`), b, enc.encode("\r\n"));
  }
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/** A plain client connection for scripts: send bytes, read replies. */
export class Connection {
  #conn: Deno.TcpConn;
  #buf = new Uint8Array(0);

  /** Wraps an open connection. */
  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects to a loopback port. */
  static async open(port: number): Promise<Connection> {
    return new Connection(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Writes raw bytes. */
  async send(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
  }

  /** Sends a command and decodes its reply. */
  async call(args: readonly (string | Uint8Array)[]): Promise<RespValue> {
    await this.send(encodeCommand(args));
    return (await this.reply()).value;
  }

  /** Reads one whole reply: its value and its raw bytes. */
  async reply(): Promise<{ value: RespValue; raw: Uint8Array }> {
    while (true) {
      const r = decode(this.#buf, 0);
      if (r !== null) {
        const raw = this.#buf.slice(0, r.end);
        this.#buf = this.#buf.slice(r.end);
        return { value: r.value, raw };
      }
      if (!(await this.#fill())) throw new Error("Cannot read reply: connection closed");
    }
  }

  /**
   * Reads whatever arrives until the server closes or `ms` pass without
   * data. Returns the bytes and whether the server closed.
   */
  async drain(ms: number): Promise<{ raw: Uint8Array; closed: boolean }> {
    let closed = false;
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<"timeout">((r) => {
        timer = setTimeout(() => r("timeout"), ms);
      });
      const got = await Promise.race([this.#fill(), timeout]);
      clearTimeout(timer);
      if (got === "timeout") break;
      if (!got) {
        closed = true;
        break;
      }
    }
    const raw = this.#buf;
    this.#buf = new Uint8Array(0);
    return { raw, closed };
  }

  #pending: Promise<boolean> | null = null;

  #fill(): Promise<boolean> {
    if (this.#pending !== null) return this.#pending;
    const p = (async () => {
      const chunk = new Uint8Array(65536);
      let n: number | null = null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        n = null;
      }
      this.#pending = null;
      if (n === null) return false;
      const next = new Uint8Array(this.#buf.length + n);
      next.set(this.#buf);
      next.set(chunk.subarray(0, n), this.#buf.length);
      this.#buf = next;
      return true;
    })();
    this.#pending = p;
    return p;
  }

  /** Closes the connection (a pending read then ends). */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
