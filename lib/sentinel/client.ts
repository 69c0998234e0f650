/**
 * A small RESP2 client for talking to Redis Sentinels: commands with replies
 * in order, a deadline per command (a sentinel that accepts but never
 * answers must not stall discovery), and pub/sub messages handed to a
 * callback once subscribed. It is not on the data path: a handful of
 * commands per failover, so it decodes replies into plain values.
 *
 * @module
 */
import { reasonOf } from "../net/reason.ts";

/** A decoded reply: simple or bulk string, integer, nil, array, or an error. */
export type Reply = string | number | null | Reply[] | ReplyError;

/** An error reply (`-ERR ...`). */
export class ReplyError {
  /** The text after `-`. */
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The RESP encoding of a command. */
export function encodeCommand(args: readonly string[]): Uint8Array {
  let text = `*${args.length}\r\n`;
  for (const a of args) text += `$${enc.encode(a).length}\r\n${a}\r\n`;
  return enc.encode(text);
}

/**
 * Decodes one reply at `pos` of `buf`: the value and the position after it,
 * or null when the reply is not complete yet. Throws on bytes that are not RESP.
 */
export function decodeReply(buf: Uint8Array, pos: number): [Reply, number] | null {
  if (pos >= buf.length) return null;
  const lineEnd = findCrlf(buf, pos + 1);
  if (lineEnd < 0) return null;
  const type = buf[pos];
  const line = dec.decode(buf.subarray(pos + 1, lineEnd));
  const next = lineEnd + 2;
  switch (type) {
    case 0x2b: // +
      return [line, next];
    case 0x2d: // -
      return [new ReplyError(line), next];
    case 0x3a: // :
      return [Number(line), next];
    case 0x5f: // _ (RESP3 null)
      return [null, next];
    case 0x24: { // $
      const n = Number(line);
      if (n < 0) return [null, next];
      if (next + n + 2 > buf.length) return null;
      return [dec.decode(buf.subarray(next, next + n)), next + n + 2];
    }
    case 0x2a: // *
    case 0x3e: { // > (RESP3 push)
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: Reply[] = [];
      let at = next;
      for (let i = 0; i < n; i++) {
        const item = decodeReply(buf, at);
        if (item === null) return null;
        items.push(item[0]);
        at = item[1];
      }
      return [items, at];
    }
    default:
      throw new Error(`not a RESP reply (first byte 0x${(type ?? 0).toString(16)})`);
  }
}

function findCrlf(buf: Uint8Array, from: number): number {
  for (let i = from; i + 1 < buf.length; i++) {
    if (buf[i] === 13 && buf[i + 1] === 10) return i;
  }
  return -1;
}

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** One connection to a sentinel. */
export class SentinelClient {
  /** `host:port`, for logs. */
  readonly peer: string;
  readonly #conn: Deno.Conn;
  readonly #timeoutMs: number;
  readonly #pending: Pending[] = [];
  #buf = new Uint8Array(0);
  #closed = false;
  #onMessage: ((channel: string, message: string) => void) | null = null;
  /** Settles when the connection is gone (never rejects); holds why. */
  readonly done: Promise<string>;

  private constructor(conn: Deno.Conn, peer: string, timeoutMs: number) {
    this.#conn = conn;
    this.peer = peer;
    this.#timeoutMs = timeoutMs;
    this.done = this.#read();
  }

  /** Connects to `host:port` within `timeoutMs` (which also bounds every command). */
  static async connect(host: string, port: number, timeoutMs: number): Promise<SentinelClient> {
    const peer = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
    const signal = AbortSignal.timeout(timeoutMs);
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: host, port, signal });
    } catch (err) {
      if (signal.aborted) throw new Error(`no connection within ${timeoutMs} ms`);
      throw err;
    }
    conn.setNoDelay(true);
    return new SentinelClient(conn, peer, timeoutMs);
  }

  /** Sends a command; resolves with its reply (an error reply is a {@link ReplyError} value). */
  command(...args: string[]): Promise<Reply> {
    if (this.#closed) return Promise.reject(new Error("connection closed"));
    const { promise, resolve, reject } = Promise.withResolvers<Reply>();
    const timer = setTimeout(() => {
      this.#shutdown(`no reply to ${args[0]} within ${this.#timeoutMs} ms`);
    }, this.#timeoutMs);
    this.#pending.push({ resolve, reject, timer });
    this.#write(encodeCommand(args));
    return promise;
  }

  /**
   * Subscribes to `channel`; `onMessage` gets every message published there
   * until the connection closes (then {@link done} settles).
   */
  async subscribe(
    channel: string,
    onMessage: (channel: string, message: string) => void,
  ): Promise<void> {
    this.#onMessage = onMessage;
    const reply = await this.command("SUBSCRIBE", channel);
    if (!Array.isArray(reply) || reply[0] !== "subscribe") {
      throw new Error(`SUBSCRIBE ${channel} answered ${describe(reply)}`);
    }
  }

  /** Closes the connection; pending commands fail. */
  close(): void {
    this.#shutdown("closed");
  }

  async #write(bytes: Uint8Array): Promise<void> {
    try {
      let off = 0;
      while (off < bytes.length) off += await this.#conn.write(bytes.subarray(off));
    } catch (err) {
      this.#shutdown(reasonOf(err));
    }
  }

  async #read(): Promise<string> {
    const chunk = new Uint8Array(16384);
    let why = "closed by the sentinel";
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        const joined = new Uint8Array(this.#buf.length + n);
        joined.set(this.#buf);
        joined.set(chunk.subarray(0, n), this.#buf.length);
        let pos = 0;
        while (true) {
          const r = decodeReply(joined, pos);
          if (r === null) break;
          pos = r[1];
          this.#dispatch(r[0]);
        }
        this.#buf = joined.slice(pos);
      }
    } catch (err) {
      why = reasonOf(err);
    }
    if (this.#closed) why = this.#why;
    this.#shutdown(why);
    return why;
  }

  #dispatch(reply: Reply): void {
    if (
      this.#onMessage !== null && Array.isArray(reply) && reply[0] === "message" &&
      typeof reply[1] === "string" && typeof reply[2] === "string"
    ) {
      this.#onMessage(reply[1], reply[2]);
      return;
    }
    const p = this.#pending.shift();
    if (p === undefined) return; // e.g. a ping reply while subscribed
    clearTimeout(p.timer);
    p.resolve(reply);
  }

  #why = "closed";

  #shutdown(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#why = why;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
  }
}

/** A reply in words, for messages. */
export function describe(reply: Reply): string {
  if (reply instanceof ReplyError) return `-${reply.message}`;
  return JSON.stringify(reply);
}
