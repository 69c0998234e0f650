/**
 * Shared machinery for the fixture generators (`gen_hash_fixtures.ts`,
 * `gen_placement_fixtures.ts`): fake RESP backends that record which backend
 * each key reached (on the tests' {@link FakeBackend}), a pipelining RESP
 * client, and a nutcracker runner.
 *
 * Everything listens on and connects to 127.0.0.0/8 (or unix sockets in a
 * temporary directory) only, and every process started is killed.
 *
 * This module deliberately does not import lib/: the fixtures are facts taken
 * from nutcracker, independent of the code they test.
 *
 * @module
 */

import { type ChunkHandler, FakeBackend } from "../tests/_support/fake_backend.ts";
import { freePort } from "../tests/_support/ports.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** twemproxy's hash names, in its order (kept here so the generators do not import lib/). */
export const HASH_NAMES = [
  "one_at_a_time",
  "md5",
  "crc16",
  "crc32",
  "crc32a",
  "fnv1_64",
  "fnv1a_64",
  "fnv1_32",
  "fnv1a_32",
  "hsieh",
  "murmur",
  "jenkins",
] as const;

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** Bytes of a hex string. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** UTF-8 bytes of `s`. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A small deterministic PRNG (mulberry32) so generated keys are reproducible. */
export class Prng {
  #state: number;

  /** Seeds the generator. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Next uint32. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }

  /** `len` random bytes. */
  bytes(len: number): Uint8Array {
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = this.next() & 0xff;
    return b;
  }

  /** `len` random printable ASCII characters (0x21..0x7e). */
  ascii(len: number): string {
    let s = "";
    for (let i = 0; i < len; i++) s += String.fromCharCode(0x21 + this.below(94));
    return s;
  }
}

/** Where a fake backend listens. Port 0 = any free port. */
export interface BackendAddr {
  readonly hostname: string;
  readonly port: number;
}

/** Growable byte buffer used by both RESP parsers. */
class ByteQueue {
  #buf = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  push(chunk: Uint8Array): void {
    if (this.#end + chunk.length > this.#buf.length) {
      const live = this.#end - this.#start;
      const size = Math.max(this.#buf.length, (live + chunk.length) * 2);
      const next = new Uint8Array(size);
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#buf = next;
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** Index (relative) of the first CRLF at or after `from`, or -1. */
  crlf(from: number): number {
    for (let i = this.#start + from; i + 1 < this.#end; i++) {
      if (this.#buf[i] === 13 && this.#buf[i + 1] === 10) return i - this.#start;
    }
    return -1;
  }

  get length(): number {
    return this.#end - this.#start;
  }

  at(i: number): number {
    return this.#buf[this.#start + i];
  }

  text(from: number, to: number): string {
    return decoder.decode(this.#buf.subarray(this.#start + from, this.#start + to));
  }

  copy(from: number, to: number): Uint8Array {
    return this.#buf.slice(this.#start + from, this.#start + to);
  }

  consume(n: number): void {
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }
}

/** Parses one RESP request (array of bulk strings) from `q`, or returns null if incomplete. */
function parseRequest(q: ByteQueue): Uint8Array[] | null {
  if (q.length === 0) return null;
  if (q.at(0) !== 0x2a) throw new Error(`fake backend: unexpected request byte ${q.at(0)}`);
  let eol = q.crlf(0);
  if (eol < 0) return null;
  const n = parseInt(q.text(1, eol), 10);
  let pos = eol + 2;
  const args: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    if (pos >= q.length) return null;
    if (q.at(pos) !== 0x24) throw new Error("fake backend: expected a bulk string");
    eol = q.crlf(pos);
    if (eol < 0) return null;
    const len = parseInt(q.text(pos + 1, eol), 10);
    const dataStart = eol + 2;
    if (dataStart + len + 2 > q.length) return null;
    args.push(q.copy(dataStart, dataStart + len));
    pos = dataStart + len + 2;
  }
  q.consume(pos);
  return args;
}

/**
 * A set of fake Redis backends. Each answers every command with a nil bulk
 * string (`$-1`) and records, for the key (second argument) of each request,
 * the index of the backend that received it.
 */
export class FakeBackends {
  readonly #backends: FakeBackend[];
  /** Key (hex) -> index of the backend that received it. Cleared with {@link reset}. */
  readonly seen: Map<string, number>;
  /** Ports the backends listen on, by backend index. */
  readonly ports: number[];

  private constructor(backends: FakeBackend[], seen: Map<string, number>) {
    this.#backends = backends;
    this.seen = seen;
    this.ports = backends.map((b) => b.port);
  }

  /** Starts one backend per address. Only 127.0.0.0/8 addresses are allowed. */
  static start(addrs: readonly BackendAddr[]): FakeBackends {
    const backends: FakeBackend[] = [];
    const seen = new Map<string, number>();
    try {
      addrs.forEach((a, index) => {
        backends.push(FakeBackend.raw(() => FakeBackends.#recorder(seen, index), {
          hostname: a.hostname,
          port: a.port,
          onError: (e) => console.error(`fake backend ${index}:`, e),
        }));
      });
    } catch (e) {
      for (const b of backends) void b.close();
      throw e;
    }
    return new FakeBackends(backends, seen);
  }

  /** One connection's handler: reads requests across chunks, records keys, answers nil. */
  static #recorder(seen: Map<string, number>, index: number): ChunkHandler {
    const q = new ByteQueue();
    const nil = encoder.encode("$-1\r\n");
    return (chunk) => {
      q.push(chunk);
      let replies = 0;
      for (let req = parseRequest(q); req !== null; req = parseRequest(q)) {
        if (req.length >= 2) {
          const key = toHex(req[1]);
          const prev = seen.get(key);
          if (prev !== undefined && prev !== index) {
            throw new Error(`key ${key} reached backends ${prev} and ${index}`);
          }
          seen.set(key, index);
        }
        replies++;
      }
      const out = new Uint8Array(nil.length * replies);
      for (let i = 0; i < replies; i++) out.set(nil, i * nil.length);
      return replies > 0 ? { send: out } : {};
    };
  }

  /** Forgets every recorded key. */
  reset(): void {
    this.seen.clear();
  }

  /** Closes every listener and connection. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#backends.map((b) => b.close()));
  }
}

/** A RESP reply as far as the generators care: nil, an error line, or anything else. */
export type Reply = { kind: "nil" } | { kind: "error"; message: string } | {
  kind: "other";
  text: string;
};

/** Parses one RESP reply from `q` (nil bulk, error, status, integer, bulk), or null. */
function parseReply(q: ByteQueue): Reply | null {
  if (q.length === 0) return null;
  const eol = q.crlf(0);
  if (eol < 0) return null;
  const type = q.at(0);
  const line = q.text(1, eol);
  if (type === 0x2d) {
    q.consume(eol + 2);
    return { kind: "error", message: line };
  }
  if (type === 0x24) {
    const len = parseInt(line, 10);
    if (len < 0) {
      q.consume(eol + 2);
      return { kind: "nil" };
    }
    if (eol + 2 + len + 2 > q.length) return null;
    const text = q.text(eol + 2, eol + 2 + len);
    q.consume(eol + 2 + len + 2);
    return { kind: "other", text };
  }
  if (type === 0x2b || type === 0x3a) {
    q.consume(eol + 2);
    return { kind: "other", text: line };
  }
  throw new Error(`unexpected reply type ${String.fromCharCode(type)}`);
}

/** Encodes `GET key`. */
export function getCommand(key: Uint8Array): Uint8Array {
  const head = encoder.encode(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n`);
  const out = new Uint8Array(head.length + key.length + 2);
  out.set(head);
  out.set(key, head.length);
  out.set([13, 10], head.length + key.length);
  return out;
}

/** A client connection to one nutcracker pool (unix socket), sending pipelined GETs. */
export class RespClient {
  readonly #conn: Deno.UnixConn;
  readonly #q = new ByteQueue();
  readonly #buf = new Uint8Array(65536);

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** Connects to the pool listening on unix socket `path`. */
  static async connect(path: string): Promise<RespClient> {
    return new RespClient(await Deno.connect({ transport: "unix", path }));
  }

  /** Sends `GET key` for every key (pipelined) and returns the replies in order. */
  async getAll(keys: readonly Uint8Array[]): Promise<Reply[]> {
    const reading = this.#read(keys.length);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const flush = async () => {
      const out = new Uint8Array(size);
      let off = 0;
      for (const c of chunks) {
        out.set(c, off);
        off += c.length;
      }
      for (let w = 0; w < out.length;) w += await this.#conn.write(out.subarray(w));
      chunks.length = 0;
      size = 0;
    };
    for (const key of keys) {
      const cmd = getCommand(key);
      chunks.push(cmd);
      size += cmd.length;
      if (size > 32768) await flush();
    }
    await flush();
    return await reading;
  }

  async #read(count: number): Promise<Reply[]> {
    const replies: Reply[] = [];
    while (replies.length < count) {
      for (let r = parseReply(this.#q); r !== null; r = parseReply(this.#q)) replies.push(r);
      if (replies.length >= count) break;
      const n = await this.#conn.read(this.#buf);
      if (n === null) throw new Error(`connection closed after ${replies.length}/${count} replies`);
      this.#q.push(this.#buf.subarray(0, n));
    }
    return replies;
  }

  /** Closes the connection. */
  close(): void {
    this.#conn.close();
  }
}

/** One pool of a nutcracker configuration. */
export interface PoolSpec {
  /** Pool name (also the unix socket's file name). */
  readonly name: string;
  /** Extra `key: value` lines (hash, distribution, hash_tag, ...). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  /** Server lines, `host:port:weight [name]`. */
  readonly servers: readonly string[];
}

/** Running nutcrackers, killed if the generator is interrupted. */
const running = new Map<Deno.ChildProcess, string>();

function killRunning(): void {
  for (const [child, dir] of running) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  }
  Deno.exit(130);
}

function track(child: Deno.ChildProcess, dir: string): void {
  if (running.size === 0) {
    Deno.addSignalListener("SIGINT", killRunning);
    Deno.addSignalListener("SIGTERM", killRunning);
  }
  running.set(child, dir);
}

function untrack(child: Deno.ChildProcess): void {
  running.delete(child);
  if (running.size === 0) {
    Deno.removeSignalListener("SIGINT", killRunning);
    Deno.removeSignalListener("SIGTERM", killRunning);
  }
}

/** A running nutcracker with unix-socket pools. */
export class Nutcracker {
  readonly #child: Deno.ChildProcess;
  readonly #dir: string;
  readonly #pools: Map<string, string>;
  readonly #log: string;

  private constructor(child: Deno.ChildProcess, dir: string, pools: Map<string, string>) {
    this.#child = child;
    this.#dir = dir;
    this.#pools = pools;
    this.#log = `${dir}/nutcracker.log`;
  }

  /** Writes the YAML, starts `nutcracker`, and waits until every pool accepts connections. */
  static async start(pools: readonly PoolSpec[]): Promise<Nutcracker> {
    const dir = await Deno.makeTempDir({ prefix: "nutmeg-fixtures-" });
    const paths = new Map<string, string>();
    let yaml = "";
    for (const p of pools) {
      const sock = `${dir}/${p.name}.sock`;
      paths.set(p.name, sock);
      yaml += `${p.name}:\n  listen: ${sock}\n`;
      for (const [k, v] of Object.entries(p.settings)) {
        yaml += `  ${k}: ${typeof v === "string" ? JSON.stringify(v) : String(v)}\n`;
      }
      yaml += "  servers:\n";
      for (const s of p.servers) yaml += `   - ${s}\n`;
    }
    const conf = `${dir}/nutcracker.yml`;
    await Deno.writeTextFile(conf, yaml);
    const child = new Deno.Command("nutcracker", {
      args: [
        "-c",
        conf,
        "-s",
        String(freePort()),
        "-a",
        "127.0.0.1",
        "-o",
        `${dir}/nutcracker.log`,
        "-p",
        `${dir}/nutcracker.pid`,
        "-v",
        "6",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    track(child, dir);
    const nc = new Nutcracker(child, dir, paths);
    try {
      await nc.#waitReady();
    } catch (e) {
      await nc.stop(true);
      throw e;
    }
    return nc;
  }

  async #waitReady(): Promise<void> {
    let exited = false;
    this.#child.status.then(() => exited = true);
    const deadline = Date.now() + 10_000;
    for (const path of this.#pools.values()) {
      for (;;) {
        if (exited) throw new Error(`nutcracker exited:\n${await this.log()}`);
        try {
          const c = await Deno.connect({ transport: "unix", path });
          c.close();
          break;
        } catch {
          if (Date.now() > deadline) throw new Error(`nutcracker not ready:\n${await this.log()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }

  /** Path of pool `name`'s unix socket. */
  socket(name: string): string {
    const p = this.#pools.get(name);
    if (p === undefined) throw new Error(`no pool ${name}`);
    return p;
  }

  /** The log so far. */
  async log(): Promise<string> {
    try {
      return await Deno.readTextFile(this.#log);
    } catch {
      return "(no log)";
    }
  }

  /** Kills nutcracker (SIGTERM, then SIGKILL), waits for it, removes the temp dir. */
  async stop(keepLogOnStderr = false): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already exited
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }, 3000);
    await this.#child.status;
    clearTimeout(timer);
    untrack(this.#child);
    if (keepLogOnStderr) console.error(await this.log());
    await Deno.remove(this.#dir, { recursive: true });
  }
}

/** Formats written fixture files with `deno fmt` so regenerated files are stable. */
export async function formatFiles(paths: readonly string[]): Promise<void> {
  const { code } = await new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", ...paths] })
    .output();
  if (code !== 0) throw new Error(`deno fmt failed on ${paths.join(" ")}`);
}

/** twemproxy's server-name order: shorter first, then by bytes (see conf_validate_server). */
export function compareNames(a: string, b: string): number {
  const x = utf8(a);
  const y = utf8(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}
