/**
 * Gives a listening TCP socket the pool's `backlog:` (twemproxy's listen
 * backlog, 512 by default). `Deno.listen` takes no backlog and always
 * listens with 511, so a pool's `backlog:` would otherwise be ignored, and
 * connection storms beyond 511 unaccepted connections see their SYNs dropped
 * (the client retries after a second). Linux lets `listen()` be called again
 * on a listening socket to change its backlog; Deno does not expose the file
 * descriptor, so it is found by the socket's inode: the LISTEN entry for the
 * listener's address in /proc/net/tcp{,6}, then the descriptor in
 * /proc/self/fd that links to that inode. Then libc's `listen(fd, backlog)`
 * through FFI. The kernel caps the value at net.core.somaxconn.
 *
 * Linux only, and only with `--allow-ffi` (the `start` task, `-A` and the
 * compiled binary have it); elsewhere the socket keeps Deno's 511.
 *
 * @module
 */

/** Deno's own listen backlog (Deno.listen / Deno.listenTls). */
export const DENO_BACKLOG = 511;
/** twemproxy's default `backlog:`; one more than Deno's, so it is left as Deno made it. */
const DEFAULT_BACKLOG = 512;

type Libc = Deno.DynamicLibrary<{ listen: { parameters: ["i32", "i32"]; result: "i32" } }>;
let libc: Libc | null = null;

/** `a.b.c.d` as /proc/net/tcp writes it: the 4 bytes in host (little-endian) order, hex. */
function procIpv4(host: string): string | null {
  const parts = host.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    return null;
  }
  return parts.reverse().map((p) => p.toString(16).padStart(2, "0")).join("").toUpperCase();
}

/** Inodes of the LISTEN sockets bound to `host:port` (IPv6: any address on the port). */
function listeningInodes(host: string, port: number): Set<string> {
  const inodes = new Set<string>();
  const v4 = procIpv4(host);
  const file = v4 !== null ? "/proc/net/tcp" : "/proc/net/tcp6";
  const text = Deno.readTextFileSync(file);
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    if (f.length < 10 || f[3] !== "0A") continue;
    const [addr, hexPort] = f[1]!.split(":");
    if (parseInt(hexPort!, 16) !== port) continue;
    if (v4 !== null && addr !== v4) continue;
    inodes.add(f[9]!);
  }
  return inodes;
}

/**
 * Sets the backlog of `listener` (a TCP listener of this process) to
 * `backlog`. Returns null when done or when nothing needs doing (511, or the
 * default 512, which is within one connection of Deno's), else why it could
 * not (for a log line).
 */
export function applyBacklog(listener: Deno.Listener, backlog: number): string | null {
  const addr = listener.addr;
  if (addr.transport !== "tcp" || backlog === DENO_BACKLOG || backlog === DEFAULT_BACKLOG) {
    return null;
  }
  if (Deno.build.os !== "linux") return `the backlog can be set on Linux only`;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return "run with --allow-ffi (as `deno task start` does) to set it";
  }
  try {
    libc ??= Deno.dlopen("libc.so.6", { listen: { parameters: ["i32", "i32"], result: "i32" } });
    const inodes = listeningInodes(addr.hostname, addr.port);
    let set = 0;
    for (const entry of Deno.readDirSync("/proc/self/fd")) {
      let link: string;
      try {
        link = Deno.readLinkSync(`/proc/self/fd/${entry.name}`);
      } catch {
        continue; // closed meanwhile
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m === null || !inodes.has(m[1]!)) continue;
      if (libc.symbols.listen(Number(entry.name), backlog) !== 0) {
        return `listen(${entry.name}, ${backlog}) failed`;
      }
      set++;
    }
    return set > 0 ? null : "its socket was not found in /proc/self/fd";
  } catch (e) {
    return (e as Error).message;
  }
}
