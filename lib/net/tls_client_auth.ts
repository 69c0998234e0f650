/**
 * A TLS listener that requires client certificates (`tls_ca`). Deno's own
 * `Deno.listenTls` cannot ask for a client certificate, but Deno's node:tls
 * server can (`requestCert` with `rejectUnauthorized`), so pools with
 * `tls_ca` listen through node:tls, and each verified socket is wrapped in
 * the small part of the `Deno.Conn` interface the data path uses (`read`,
 * `write`, `close`, the addresses, `setNoDelay`). Reads are flow-controlled:
 * the socket is paused while more than {@link HIGH_WATER} bytes wait to be
 * read, so a client that outpaces the proxy is held back as on plain TCP.
 *
 * Only pools with `tls_ca` pay for the stream layer, and for Deno's Node
 * layer (lib/net/tls.ts imports this module only for them); other TLS pools
 * use `Deno.listenTls`.
 *
 * @module
 */
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { Buffer } from "node:buffer";

/** Bytes buffered from a socket before it is paused. */
const HIGH_WATER = 256 * 1024;

/** What a client-certificate listener needs. */
export interface ClientAuthOptions {
  readonly hostname: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  /** PEM CAs a client certificate must chain to. */
  readonly ca: string;
  /** Handshake deadline in ms. */
  readonly handshakeMs: number;
  /** Called when a client fails the handshake (no or a bad certificate, plain text, ...). */
  readonly onRefused: (peer: string, reason: string) => void;
}

/**
 * Opens the listener; node:tls binds it a moment later, and reports a bind
 * error only then, through `listening` (lib/net/tls.ts test-binds the
 * address first, so that a taken address throws at once).
 */
export function listenTlsWithClientAuth(
  o: ClientAuthOptions,
): { listener: Deno.Listener; listening: Promise<void> } {
  const l = new ClientAuthListener(o);
  return { listener: l as unknown as Deno.Listener, listening: l.listening };
}

class ClientAuthListener {
  readonly #server: tls.Server;
  readonly #ready: Deno.Conn[] = [];
  #waiting: { resolve: (c: Deno.Conn) => void; reject: (e: Error) => void } | null = null;
  #closed = false;
  #error: Error | null = null;
  #port: number;
  readonly #hostname: string;
  /** Settles once node:tls is listening (or failed to). */
  readonly listening: Promise<void>;

  constructor(o: ClientAuthOptions) {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.listening = promise;
    this.#hostname = o.hostname;
    this.#port = o.port;
    this.#server = tls.createServer({
      cert: o.cert,
      key: o.key,
      ca: [o.ca],
      requestCert: true,
      rejectUnauthorized: true,
      handshakeTimeout: o.handshakeMs,
    });
    this.#server.on("secureConnection", (socket: tls.TLSSocket) => {
      const conn = new NodeTlsConn(socket) as unknown as Deno.Conn;
      if (this.#closed) {
        socket.destroy();
      } else if (this.#waiting !== null) {
        const w = this.#waiting;
        this.#waiting = null;
        w.resolve(conn);
      } else {
        this.#ready.push(conn);
      }
    });
    this.#server.on("tlsClientError", (err: Error, socket: tls.TLSSocket) => {
      const peer = `${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"}`;
      if (!this.#closed) o.onRefused(peer, err.message);
      socket.destroy();
    });
    this.#server.on("error", (err: Error) => {
      reject(err);
      this.#error = err;
      this.#waiting?.reject(err);
      this.#waiting = null;
    });
    this.#server.listen(o.port, o.hostname, () => {
      this.#port = (this.#server.address() as AddressInfo).port;
      resolve();
    });
    // Observed by Listener.ready(); not an unhandled rejection meanwhile.
    promise.catch(() => {});
  }

  get addr(): Deno.NetAddr {
    const a = this.#server.address() as AddressInfo | null;
    return {
      transport: "tcp",
      hostname: a?.address ?? this.#hostname,
      port: a?.port ?? this.#port,
    };
  }

  accept(): Promise<Deno.Conn> {
    const conn = this.#ready.shift();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
    if (this.#error !== null) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiting = { resolve, reject });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.close();
    for (const c of this.#ready.splice(0)) c.close();
    this.#waiting?.reject(new Deno.errors.BadResource("listener closed"));
    this.#waiting = null;
  }
}

/** A verified node:tls socket seen as a `Deno.Conn` by the data path. */
class NodeTlsConn {
  readonly #socket: tls.TLSSocket;
  readonly #chunks: Buffer[] = [];
  #queued = 0;
  #paused = false;
  #eof = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  readonly remoteAddr: Deno.NetAddr;
  readonly localAddr: Deno.NetAddr;

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    };
    this.localAddr = {
      transport: "tcp",
      hostname: socket.localAddress ?? "",
      port: socket.localPort ?? 0,
    };
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > HIGH_WATER && !this.#paused) {
        this.#paused = true;
        socket.pause();
      }
      this.#poke();
    });
    socket.on("end", () => {
      this.#eof = true;
      this.#poke();
    });
    socket.on("close", () => {
      this.#eof = true;
      this.#poke();
    });
    socket.on("error", (err: Error) => {
      this.#error = err;
      this.#poke();
    });
  }

  #poke(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** The handshake is done before the socket is handed out. */
  handshake(): Promise<void> {
    return Promise.resolve();
  }

  setNoDelay(on = true): void {
    this.#socket.setNoDelay(on);
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error !== null) throw this.#error;
      if (this.#eof) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let n = 0;
    while (n < p.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(chunk.length, p.length - n);
      p.set(chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    this.#queued -= n;
    if (this.#paused && this.#queued <= HIGH_WATER / 2) {
      this.#paused = false;
      this.#socket.resume();
    }
    return n;
  }

  write(p: Uint8Array): Promise<number> {
    if (this.#socket.destroyed || this.#error !== null) {
      return Promise.reject(this.#error ?? new Deno.errors.BrokenPipe("socket closed"));
    }
    // Copied: the caller may reuse its buffer once the write resolves, and
    // node:tls may still hold the bytes then.
    const bytes = Buffer.from(p);
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (err?: Error | null) => err ? reject(err) : resolve(p.length));
    });
  }

  close(): void {
    if (this.#socket.destroyed) throw new Deno.errors.BadResource("closed");
    this.#socket.destroy();
    this.#eof = true;
    this.#poke();
  }

  closeWrite(): Promise<void> {
    this.#socket.end();
    return Promise.resolve();
  }
}
