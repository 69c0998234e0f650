/**
 * A minimal byte-level client for the set-up steps: pre-populating redis,
 * checking that a target answers, and the idle connections of the memory
 * test. Not used for measuring throughput (the C tools do that).
 *
 * @module
 */
import { benchKey, mcKey } from "./keys.ts";
import { KEYSPACE, MC_KEYSPACE, MC_VALUE_BYTES, REDIS_VALUE } from "./settings.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Connects to 127.0.0.1:`port` with TCP_NODELAY. */
export async function connect(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return conn;
}

/** Closes a connection that may already be closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // already closed
  }
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

/** Reads until exactly `length` bytes arrived (or throws at EOF or after `ms`). */
export async function readExactly(
  conn: Deno.Conn,
  length: number,
  ms = 10_000,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let got = 0;
  const timer = setTimeout(() => closeQuietly(conn), ms);
  try {
    while (got < length) {
      const n = await conn.read(out.subarray(got));
      if (n === null) throw new Error(`connection closed after ${got} of ${length} bytes`);
      got += n;
    }
  } catch (err) {
    throw new Error(`reading ${length} bytes: ${err instanceof Error ? err.message : err}`);
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** Sends `request` and checks that the reply is exactly `expected`. */
export async function expectReply(port: number, request: string, expected: string): Promise<void> {
  const conn = await connect(port);
  try {
    await writeAll(conn, enc.encode(request));
    const want = enc.encode(expected);
    const got = await readExactly(conn, want.length, 5_000);
    const text = dec.decode(got);
    if (text !== expected) {
      throw new Error(`expected ${JSON.stringify(expected)}, got ${JSON.stringify(text)}`);
    }
  } finally {
    closeQuietly(conn);
  }
}

/** A RESP command from its arguments. */
export function resp(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) out += `$${enc.encode(a).length}\r\n${a}\r\n`;
  return out;
}

/** Sets every key of the keyspace to REDIS_VALUE with pipelined MSETs of 1,000 keys. */
export async function populateRedis(port: number, keys = KEYSPACE): Promise<void> {
  const chunk = 1000;
  const parts: string[] = [];
  for (let start = 0; start < keys; start += chunk) {
    const args = ["MSET"];
    for (let i = start; i < Math.min(keys, start + chunk); i++) args.push(benchKey(i), REDIS_VALUE);
    parts.push(resp(args));
  }
  const conn = await connect(port);
  try {
    const reading = readExactly(conn, parts.length * 5, 60_000);
    await writeAll(conn, enc.encode(parts.join("")));
    const text = dec.decode(await reading);
    if (text !== "+OK\r\n".repeat(parts.length)) {
      throw new Error(`MSET failed: ${JSON.stringify(text.slice(0, 200))}`);
    }
  } finally {
    closeQuietly(conn);
  }
}

/** Sets every memcached key to MC_VALUE_BYTES of "v" (noreply sets, then one `version`). */
export async function populateMemcached(
  port: number,
  keys = MC_KEYSPACE,
  valueBytes = MC_VALUE_BYTES,
): Promise<void> {
  const value = "v".repeat(valueBytes);
  const parts: string[] = [];
  for (let i = 0; i < keys; i++) {
    parts.push(`set ${mcKey(i)} 0 0 ${valueBytes} noreply\r\n${value}\r\n`);
  }
  parts.push("version\r\n");
  const conn = await connect(port);
  try {
    await writeAll(conn, enc.encode(parts.join("")));
    const head = dec.decode(await readExactly(conn, "VERSION ".length, 60_000));
    if (head !== "VERSION ") {
      throw new Error(`memcached population failed: ${JSON.stringify(head)}`);
    }
  } finally {
    closeQuietly(conn);
  }
}

/** Checks that a redis endpoint serves a pre-populated key. */
export function checkRedis(port: number): Promise<void> {
  const key = benchKey(1);
  return expectReply(
    port,
    resp(["GET", key]),
    `$${REDIS_VALUE.length}\r\n${REDIS_VALUE}\r\n`,
  );
}

/** Checks that a memcached endpoint stores and returns a value. */
export function checkMemcached(port: number): Promise<void> {
  return expectReply(
    port,
    "set bench:check 0 0 2\r\nok\r\nget bench:check\r\n",
    "STORED\r\nVALUE bench:check 0 2\r\nok\r\nEND\r\n",
  );
}
