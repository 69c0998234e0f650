/**
 * TLS for both sides of a pool, chosen once per pool from its configuration:
 * how the pool listens (plain or `Deno.listenTls`), how an accepted TLS
 * connection is brought up (the handshake is awaited, with a deadline, before
 * the client is served, so a plain-text client or a wrong certificate is
 * refused with one log line and never reaches the data path), and how the
 * pool connects to its servers (plain `Deno.connect` or `Deno.connectTls`).
 * The data path only ever sees a `Deno.Conn`.
 *
 * Deno's TLS sockets expose no setNoDelay, so they keep Nagle's algorithm;
 * the proxy writes each turn's bytes in one write, which keeps the cost
 * small (see the README's TLS section).
 *
 * @module
 */
import type { Address, PoolConfig } from "../config/types.ts";
import { reasonOf } from "./reason.ts";
import { DeferredListener } from "./deferred_listener.ts";

/** How long a client has to finish the TLS handshake. */
export const TLS_HANDSHAKE_MS = 10_000;

/** Opens a connection to a server: plain or TLS, per pool. */
export type Connector = (address: Address) => Promise<Deno.Conn>;

/** The TLS material a pool listens with. */
export interface ListenTls {
  readonly cert: string;
  readonly key: string;
  /** PEM CAs a client certificate must chain to, or null (no client certificate asked). */
  readonly ca: string | null;
}

/** The pool's listening TLS, or null for plain TCP. */
export function listenTlsOf(config: PoolConfig): ListenTls | null {
  if (config.tlsCert === null || config.tlsKey === null) return null;
  return { cert: config.tlsCert.pem, key: config.tlsKey.pem, ca: config.tlsCa?.pem ?? null };
}

/** Plain connections: TCP with TCP_NODELAY (and keepalive when asked), or a unix socket. */
export function plainConnector(keepalive: boolean): Connector {
  return async (a) => {
    if (a.transport === "unix") return await Deno.connect({ transport: "unix", path: a.path });
    const conn = await Deno.connect({ hostname: a.host, port: a.port });
    conn.setNoDelay(true);
    if (keepalive) conn.setKeepAlive(true);
    return conn;
  };
}

/** Deno's (unstable, symbol-keyed) option naming the certificate to expect apart from the host. */
const SERVER_NAME = Symbol.for("unstableServerName");

/**
 * The connector of a pool: {@link plainConnector} unless `server_tls`,
 * else TLS verified against `server_tls_ca` (and the system roots) for
 * `server_tls_name` or the server's host, showing `server_tls_cert` when set.
 * The handshake completes before the connection is returned, so a
 * certificate problem fails the connect (and names itself in the log).
 */
export function connectorOf(config: PoolConfig): Connector {
  if (!config.serverTls) return plainConnector(config.tcpkeepalive);
  const caCerts = config.serverTlsCa === null ? undefined : [config.serverTlsCa.pem];
  const pair = config.serverTlsCert !== null && config.serverTlsKey !== null
    ? { cert: config.serverTlsCert.pem, key: config.serverTlsKey.pem }
    : null;
  const name = config.serverTlsName;
  return async (a) => {
    if (a.transport === "unix") throw new Error("TLS to a unix socket is not supported");
    const options: Deno.ConnectTlsOptions & Partial<Deno.TlsCertifiedKeyPem> & {
      [SERVER_NAME]?: string;
    } = { hostname: a.host, port: a.port, ...(caCerts ? { caCerts } : {}), ...(pair ?? {}) };
    if (name !== null) options[SERVER_NAME] = name;
    const conn = await Deno.connectTls(options);
    try {
      await conn.handshake();
    } catch (err) {
      conn.close();
      throw new Error(`TLS handshake failed: ${tlsReason(err)}`);
    }
    return conn;
  };
}

/**
 * Opens a pool's listening socket: TLS when `tls` is given (TCP only),
 * through node:tls when client certificates are required
 * (lib/net/tls_client_auth.ts, imported only then: a `node:` module starts
 * Deno's Node layer), which reports refused clients to `onRefused` (the
 * other listeners' clients fail in {@link acceptTls}). `listening` settles
 * once the socket accepts: at once, except for node:tls, which is loaded
 * and binds a moment later; the address is test-bound first, so that a
 * taken address throws here as with the other listeners. `reusePort` binds a TCP socket with
 * SO_REUSEPORT (Linux; Deno needs --unstable-net), so several workers listen
 * on one address and the kernel spreads clients over them.
 */
export function listenOn(
  address: Address,
  tls: ListenTls | null,
  onRefused: (peer: string, reason: string) => void = () => {},
  reusePort = false,
): { listener: Deno.Listener; listening: Promise<void> } {
  const now = (listener: Deno.Listener) => ({ listener, listening: Promise.resolve() });
  if (address.transport === "unix") {
    return now(Deno.listen({ transport: "unix", path: address.path }));
  }
  const { host: hostname, port } = address;
  if (tls === null) {
    return now(
      reusePort ? Deno.listen({ hostname, port, reusePort }) : Deno.listen({ hostname, port }),
    );
  }
  if (tls.ca !== null) {
    Deno.listen({ hostname, port }).close();
    const ca = tls.ca;
    const opening = import("./tls_client_auth.ts").then((m) =>
      m.listenTlsWithClientAuth({
        hostname,
        port,
        cert: tls.cert,
        key: tls.key,
        ca,
        handshakeMs: TLS_HANDSHAKE_MS,
        onRefused: (peer, reason) => onRefused(peer, tlsReason(reason)),
      })
    );
    const listener = new DeferredListener(opening, { transport: "tcp", hostname, port });
    return { listener: listener as unknown as Deno.Listener, listening: listener.listening };
  }
  return now(
    reusePort
      ? Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key, reusePort })
      : Deno.listenTls({ hostname, port, cert: tls.cert, key: tls.key }),
  );
}

/**
 * Completes the server side of the TLS handshake of `conn`, or closes it
 * and throws an Error saying why (a plain-text client, no or a wrong client
 * certificate, a timeout).
 */
export async function acceptTls(conn: Deno.TlsConn, ms = TLS_HANDSHAKE_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no TLS handshake within ${ms} ms`)), ms);
  });
  try {
    await Promise.race([conn.handshake(), timeout]);
  } catch (err) {
    try {
      conn.close();
    } catch {
      // already closed
    }
    throw err instanceof Error && err.message.startsWith("no TLS handshake")
      ? err
      : new Error(tlsReason(err));
  } finally {
    clearTimeout(timer);
  }
}

/** A TLS error in words: rustls's message, with the plain-text case spelled out. */
export function tlsReason(err: unknown): string {
  const text = reasonOf(err);
  if (/InvalidContentType|corrupt message/.test(text)) {
    return `${text} (the peer does not speak TLS)`;
  }
  return text;
}
