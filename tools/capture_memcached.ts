/**
 * Records how a real memcached answers bad (and some good) input, as facts
 * for the tests: `lib/proto/memcache/testdata/memcached_<version>.json`.
 *
 * Run (memcached must be installed):
 * `deno run -A tools/capture_memcached.ts [memcached binary]`
 *
 * Each case runs on a fresh connection after `flush_all`, with an optional
 * setup on another connection. The reply is everything read until the
 * server is quiet for 300 ms or closes the connection. Inputs and replies
 * are stored as strings with one character per byte (latin1).
 *
 * @module
 */
import { bytesOf, latin1 } from "../tests/_support/bytes.ts";
import type { Fact, FactCase, FactsFile } from "../tests/_support/memcached_facts.ts";
import { startMemcached } from "../tests/_support/servers.ts";

const k250 = "k".repeat(250);
const k251 = "k".repeat(251);
const SET_K = "set k 0 0 1\r\na\r\n";

/** The cases, in file order. */
export const CASES: readonly FactCase[] = [
  // framing of good requests
  { name: "set stores", input: "set k 0 0 1\r\na\r\n" },
  { name: "set with LF-only line", input: "set k 0 0 1\na\r\n" },
  { name: "get with LF-only line", input: "get k\n", setup: SET_K },
  { name: "get of a 250-byte key", input: `get ${k250}\r\n` },
  { name: "set of a 250-byte key", input: `set ${k250} 0 0 1\r\na\r\n` },
  { name: "set with extra spaces", input: "  set  k  0  0  1  \r\na\r\n" },
  { name: "set with a sixth token that is not noreply", input: "set k 0 0 1 garbage\r\na\r\n" },
  { name: "set with noreply", input: "set k 0 0 1 noreply\r\na\r\n" },
  { name: "set of 0 bytes", input: "set k 0 0 0\r\n\r\n" },
  { name: "get repeats a key asked twice", input: "get k k\r\n", setup: SET_K },
  { name: "get with a miss between hits", input: "get k nokey k\r\n", setup: SET_K },
  { name: "gets repeats a key asked twice", input: "gets k k\r\n", setup: SET_K },
  { name: "gat with an exptime and no key", input: "gat 0\r\n" },
  { name: "gat of a key", input: "gat 10 k\r\n", setup: SET_K },
  { name: "gat with a negative exptime", input: "gat -1 k\r\n" },
  { name: "get with a key named HTTP/1.1", input: "get / HTTP/1.1\r\n" },
  // wrong number of tokens: ERROR, the data line is read as a command
  { name: "empty line", input: "\r\n" },
  { name: "one-letter command", input: "a\r\n" },
  { name: "one-letter command with LF only", input: "x\n" },
  { name: "get without key", input: "get\r\n" },
  { name: "get with a space and no key", input: "get \r\n" },
  { name: "gets without key", input: "gets\r\n" },
  { name: "gat without exptime", input: "gat\r\n" },
  { name: "set without length", input: "set k 0 0\r\na\r\n" },
  { name: "set with noreply and a seventh token", input: "set k 0 0 1 noreply x\r\na\r\n" },
  { name: "cas without cas unique", input: "cas k 0 0 1\r\na\r\n" },
  { name: "delete without key", input: "delete\r\n" },
  { name: "delete with four arguments", input: "delete k 0 noreply x\r\n" },
  { name: "incr without key", input: "incr\r\n" },
  { name: "incr without delta", input: "incr k\r\n" },
  { name: "touch without exptime", input: "touch k\r\n" },
  { name: "verbosity without level", input: "verbosity\r\n" },
  { name: "verbosity with three arguments", input: "verbosity 1 2 3\r\n" },
  { name: "verbosity with noreply and a third token", input: "verbosity 1 noreply x\r\n" },
  { name: "flush_all with three arguments", input: "flush_all 1 2 3\r\n" },
  // unknown commands
  { name: "upper-case GET", input: "GET k\r\n" },
  { name: "upper-case DELETE", input: "DELETE k\r\n" },
  { name: "tab after the command", input: "get\tk\r\n" },
  { name: "NUL inside the command", input: "ge\x00t k\r\n" },
  { name: "meta no-op mn", input: "mn\r\n" },
  { name: "meta get mg", input: "mg k v\r\n" },
  { name: "meta debug me", input: "me k\r\n" },
  { name: "stats with an unknown sub-command", input: "stats foo\r\n" },
  { name: "HTTP request line", input: "GET / HTTP/1.1\r\nHost: x\r\n\r\n" },
  { name: "HTTP POST", input: "POST /x HTTP/1.0\r\n" },
  { name: "unknown command ending in HTTP/", input: "XYZ HTTP/1.1\r\n" },
  { name: "unknown command with HTTP/ not last", input: "XYZ HTTP/1.1 a\r\n" },
  { name: "meta command ending in HTTP/", input: "mg HTTP/1.1\r\n" },
  // bad keys
  { name: "get of a 251-byte key", input: `get ${k251}\r\n` },
  { name: "get with a 251-byte key among others", input: `get a ${k251} b\r\n` },
  { name: "set of a 251-byte key", input: `set ${k251} 0 0 1\r\na\r\n` },
  { name: "set of a 251-byte key with noreply", input: `set ${k251} 0 0 1 noreply\r\na\r\n` },
  { name: "delete of a 251-byte key", input: `delete ${k251}\r\n` },
  { name: "incr of a 251-byte key", input: `incr ${k251} 1\r\n` },
  { name: "touch of a 251-byte key", input: `touch ${k251} 1\r\n` },
  { name: "gat of a 251-byte key", input: `gat 0 ${k251}\r\n` },
  { name: "get of a key with a control character", input: "get a\x01b\r\n" },
  { name: "set of a key with a control character", input: "set a\x01b 0 0 1\r\nz\r\n" },
  { name: "get of a key with CR inside", input: "get a\rb\r\n" },
  // bad numbers in storage commands
  { name: "set with bad flags", input: "set k x 0 1\r\na\r\n" },
  { name: "set with negative flags", input: "set k -1 0 1\r\na\r\n" },
  { name: "set with flags over 64 bits", input: "set k 18446744073709551616 0 1\r\na\r\n" },
  { name: "set with flags over 32 bits", input: "set k 4294967296 0 1\r\na\r\n" },
  { name: "set with flags +1", input: "set k +1 0 1\r\na\r\n" },
  { name: "set with flags -0", input: "set k -0 0 1\r\na\r\n" },
  { name: "set with bad exptime", input: "set k 0 x 1\r\na\r\n" },
  { name: "set with negative exptime", input: "set k 0 -1 1\r\na\r\n" },
  { name: "set with exptime over 64 bits", input: "set k 0 9223372036854775808 1\r\na\r\n" },
  { name: "set with bad flags and noreply", input: "set k x 0 1 noreply\r\na\r\n" },
  { name: "set with negative length", input: "set k 0 0 -1\r\na\r\n" },
  { name: "set with negative length and noreply", input: "set k 0 0 -1 noreply\r\na\r\n" },
  { name: "set with non-numeric length", input: "set k 0 0 abc\r\na\r\n" },
  { name: "set with noreply as length", input: "set k 0 0 noreply\r\na\r\n" },
  { name: "set with length +1", input: "set k 0 0 +1\r\na\r\n" },
  { name: "set with length 01", input: "set k 0 0 01\r\na\r\n" },
  { name: "set with length INT_MAX - 1", input: "set k 0 0 2147483646\r\n" },
  { name: "set with length INT_MAX", input: "set k 0 0 2147483647\r\na\r\n" },
  { name: "set with a length memcached truncates", input: "set k 0 0 4294967297\r\na\r\n" },
  { name: "set with a NUL after the length", input: "set k 0 0 1\x00x\r\na\r\n" },
  { name: "cas with bad cas unique", input: "cas k 0 0 1 x\r\na\r\n" },
  { name: "cas with negative cas unique", input: "cas k 0 0 1 -1\r\na\r\n" },
  { name: "cas with noreply as cas unique", input: "cas k 0 0 1 noreply\r\na\r\n" },
  { name: "cas of a missing key", input: "cas k 0 0 1 1\r\na\r\n" },
  { name: "cas with a seventh token", input: "cas k 0 0 1 1 x\r\na\r\n" },
  // data blocks
  { name: "data block too long", input: "set k 0 0 1\r\nabc\r\n" },
  { name: "data block too long with noreply", input: "set k 0 0 1 noreply\r\nabc\r\n" },
  { name: "data block ending in LF only, then a command", input: "set k 0 0 1\r\na\nxversion\r\n" },
  // delete
  { name: "delete of a key", input: "delete k\r\n", setup: SET_K },
  { name: "delete with legacy 0", input: "delete k 0\r\n" },
  { name: "delete with 1", input: "delete k 1\r\n" },
  { name: "delete with noreply", input: "delete k noreply\r\n" },
  { name: "delete with 0 and noreply", input: "delete k 0 noreply\r\n" },
  { name: "delete with 0 0", input: "delete k 0 0\r\n" },
  { name: "delete with x", input: "delete k x\r\n" },
  { name: "delete with x and noreply", input: "delete k x noreply\r\n" },
  { name: "delete with noreply then 0", input: "delete k noreply 0\r\n" },
  { name: "delete with 00", input: "delete k 00\r\n" },
  { name: "delete of a key named noreply", input: "delete noreply\r\n" },
  // incr / decr / touch
  { name: "incr of a missing key", input: "incr k 1\r\n" },
  { name: "incr with bad delta", input: "incr k abc\r\n" },
  { name: "incr with negative delta", input: "incr k -1\r\n" },
  { name: "incr with delta over 64 bits", input: "incr k 18446744073709551616\r\n" },
  { name: "incr with bad delta and noreply", input: "incr k abc noreply\r\n" },
  { name: "incr with noreply as delta", input: "incr k noreply\r\n" },
  { name: "incr with a third token", input: "incr n 1 x\r\n", setup: "set n 0 0 1\r\n5\r\n" },
  { name: "decr with bad delta", input: "decr k x\r\n" },
  { name: "touch of a missing key", input: "touch k 10\r\n" },
  { name: "touch with bad exptime", input: "touch k x\r\n" },
  { name: "touch with bad exptime and noreply", input: "touch k x noreply\r\n" },
  { name: "touch with noreply", input: "touch k 10 noreply\r\n" },
  { name: "touch with negative exptime", input: "touch k -1\r\n" },
  { name: "gat with bad exptime", input: "gat x k\r\n" },
  // verbosity / flush_all / version / quit
  { name: "verbosity 1", input: "verbosity 1\r\n" },
  { name: "verbosity with bad level", input: "verbosity x\r\n" },
  { name: "verbosity with noreply", input: "verbosity 1 noreply\r\n" },
  { name: "verbosity with a second token", input: "verbosity 1 foo\r\n" },
  { name: "verbosity with bad level and noreply", input: "verbosity x noreply\r\n" },
  { name: "verbosity noreply", input: "verbosity noreply\r\n" },
  { name: "flush_all", input: "flush_all\r\n" },
  { name: "flush_all 0", input: "flush_all 0\r\n" },
  { name: "flush_all noreply", input: "flush_all noreply\r\n" },
  { name: "flush_all with bad delay", input: "flush_all x\r\n" },
  { name: "flush_all with bad delay and noreply", input: "flush_all x noreply\r\n" },
  { name: "flush_all 0 noreply", input: "flush_all 0 noreply\r\n" },
  { name: "flush_all 0 0", input: "flush_all 0 0\r\n" },
  { name: "flush_all -1", input: "flush_all -1\r\n" },
  { name: "flush_all +5", input: "flush_all +5\r\n" },
  { name: "flush_all noreply x", input: "flush_all noreply x\r\n" },
  { name: "quit", input: "quit\r\n" },
  { name: "quit with an argument, then version", input: "quit x\r\nversion\r\n" },
  // long lines
  { name: "set line over 2048 bytes without LF", input: "set " + "k".repeat(3000) },
  { name: "gat line over 2048 bytes without LF", input: "gat 0 " + "k".repeat(3000) },
  { name: "spaces over 2048 bytes without LF", input: " ".repeat(3000) },
  { name: "get line over 2048 bytes without LF", input: "get " + "k".repeat(3000) },
  { name: "gets line over 2048 bytes without LF", input: "gets " + "k ".repeat(1500) },
  { name: "get line over 2048 bytes", input: "  gets " + "k ".repeat(1500) + "\r\n" },
];

/** Reads until the server is quiet for `quietMs` or closes; one read in flight at a time. */
async function readReply(conn: Deno.Conn, quietMs: number): Promise<[Uint8Array, boolean]> {
  const chunks: Uint8Array[] = [];
  let closed = false;
  let buf = new Uint8Array(65536);
  let pending = conn.read(buf).catch(() => null);
  while (true) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quiet = new Promise<"quiet">((resolve) =>
      timer = setTimeout(() => resolve("quiet"), quietMs)
    );
    const n = await Promise.race([pending, quiet]);
    clearTimeout(timer);
    if (n === "quiet") break;
    if (n === null) {
      closed = true;
      break;
    }
    chunks.push(buf.slice(0, n));
    buf = new Uint8Array(65536);
    pending = conn.read(buf).catch(() => null);
  }
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return [out, closed];
}

async function send(port: number, bytes: string): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(bytesOf(bytes));
  await readReply(conn, 100);
  conn.close();
}

async function main(): Promise<void> {
  const binary = Deno.args[0] ?? "memcached";
  const version = new TextDecoder().decode(
    (await new Deno.Command(binary, { args: ["-V"] }).output()).stdout,
  ).trim();
  await using server = await startMemcached(undefined, [], binary);
  const port = server.port;
  const facts: Fact[] = [];
  for (const c of CASES) {
    await send(port, "flush_all\r\nverbosity 0\r\n");
    if (c.setup !== undefined) await send(port, c.setup);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(bytesOf(c.input));
    const [reply, closed] = await readReply(conn, 300);
    try {
      conn.close();
    } catch {
      // closed by the server
    }
    facts.push({ ...c, reply: latin1(reply), closed });
    console.log(`${c.name}: ${JSON.stringify(latin1(reply))}${closed ? " (closed)" : ""}`);
  }
  const file: FactsFile = {
    server: version,
    note: "Recorded by capture_memcached.ts: memcached's reply to each input on a fresh " +
      "connection (read until 300 ms of quiet or close). Strings hold one character per byte.",
    facts,
  };
  const out = new URL(
    `../lib/proto/memcache/testdata/memcached_${version.split(" ")[1] ?? "unknown"}.json`,
    import.meta.url,
  );
  await Deno.writeTextFile(out, JSON.stringify(file, null, 2) + "\n");
}

if (import.meta.main) await main();
