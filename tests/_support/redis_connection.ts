/**
 * Support for the scripts that record facts from a real redis-server
 * (`tools/gen_redis_commands.ts`, `tools/capture_redis_replies.ts`): a plain
 * client connection that sends commands and decodes replies. Tests do not
 * use it: they read the committed fixtures.
 *
 * @module
 */
import { decode, type RespValue } from "./resp_decode.ts";
import { cmd } from "./resp.ts";

/** The version a redis-server on 127.0.0.1:`port` reports in INFO. */
export async function redisVersion(port: number): Promise<string> {
  const conn = await Connection.open(port);
  try {
    const info = await conn.call(["INFO", "server"]);
    return typeof info === "string" ? /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? "" : "";
  } finally {
    conn.close();
  }
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
    await this.send(cmd(...args));
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
