/**
 * The stats port (`-s`, `-a`). A client that sends nothing gets the latest
 * stats JSON and the connection is closed, as twemproxy does (the JSON is the
 * copy made every stats interval, `-i`). A client that sends an HTTP request
 * within {@link SNIFF_MS} gets HTTP: `GET /metrics` (Prometheus text, live
 * counters and latency histograms), `GET /stats` (the JSON), anything else
 * 404.
 *
 * @module
 */
import { reasonOf } from "../net/reason.ts";
import { snapshot, type StatsSnapshot, type StatsSource, toJson } from "./report.ts";
import { type MetricsSource, PROMETHEUS_CONTENT_TYPE, prometheusText } from "./prometheus.ts";

/**
 * How long a new connection is given to start an HTTP request before the
 * JSON is written: short enough that `nc host 22222` sees no delay.
 */
export const SNIFF_MS = 15;
/** Largest HTTP request head accepted. */
const MAX_HEAD = 8192;
/** How long an HTTP client may take to send its request head. */
const HEAD_TIMEOUT_MS = 2000;

/** Options of a {@link StatsServer}. */
export interface StatsServerOptions {
  readonly host: string;
  readonly port: number;
  /** Aggregation interval in ms. */
  readonly interval: number;
  readonly version: string;
  /** `source` field: the host name. */
  readonly source: string;
  /**
   * Brings the source up to date before each aggregation and each HTTP
   * answer (several workers: asks each for its counters). @default none
   */
  readonly refresh?: () => Promise<void>;
}

const enc = new TextEncoder();

/** The stats port cannot be bound; the message names the address and the flags that set it. */
export class StatsListenError extends Error {
  /** The address asked for. */
  readonly host: string;
  /** The port asked for. */
  readonly port: number;

  /** `cause`: the bind error; `owner`: what holds the address when known (e.g. a pool). */
  constructor(host: string, port: number, cause: unknown, owner?: string) {
    super(
      `cannot open the stats port on ${host}:${port}: ${reasonOf(cause)}` +
        (owner === undefined ? "" : ` (it is ${owner})`) +
        "; stop what holds that address or give the stats port another -s port (or -a address)",
      { cause },
    );
    this.name = "StatsListenError";
    this.host = host;
    this.port = port;
  }
}

/** Serves stats snapshots of `src`. */
export class StatsServer {
  readonly #src: StatsSource & MetricsSource;
  readonly #opts: StatsServerOptions;
  #listener: Deno.Listener | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #current: StatsSnapshot;
  #loop: Promise<void> | null = null;
  #open = new Set<Promise<void>>();

  constructor(src: StatsSource & MetricsSource, opts: StatsServerOptions) {
    this.#src = src;
    this.#opts = opts;
    this.#current = snapshot(src, opts.version, opts.source);
  }

  /** The latest snapshot. */
  get current(): StatsSnapshot {
    return this.#current;
  }

  /** The bound address. */
  get addr(): Deno.NetAddr {
    if (this.#listener === null) throw new Error("Cannot read the address: stats server not open");
    return this.#listener.addr as Deno.NetAddr;
  }

  /** Binds the stats port (throws on failure) and starts aggregating. */
  open(): void {
    try {
      this.#listener = Deno.listen({ hostname: this.#opts.host, port: this.#opts.port });
    } catch (err) {
      throw new StatsListenError(this.#opts.host, this.#opts.port, err);
    }
    const refresh = this.#opts.refresh;
    this.#timer = setInterval(
      refresh === undefined ? () => this.aggregate() : () => {
        void refresh().then(() => this.aggregate(), () => {});
      },
      this.#opts.interval,
    );
    this.#loop = this.#accept(this.#listener);
  }

  /** Copies the counters now. */
  aggregate(): void {
    this.#current = snapshot(this.#src, this.#opts.version, this.#opts.source);
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      const p = this.#serve(conn);
      this.#open.add(p);
      p.finally(() => this.#open.delete(p));
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const head = new Uint8Array(MAX_HEAD);
    let got = 0;
    let reading: Promise<number | null> | null = null;
    try {
      reading = conn.read(head);
      const first = await within(reading, SNIFF_MS);
      if (first === undefined || first === null || !looksLikeHttp(head, first)) {
        await writeAll(conn, enc.encode(toJson(this.#current)));
        return;
      }
      got = first;
      reading = null;
      // Read the rest of the request head.
      const deadline = Date.now() + HEAD_TIMEOUT_MS;
      while (!headComplete(head, got) && got < MAX_HEAD) {
        reading = conn.read(head.subarray(got));
        const n = await within(reading, Math.max(1, deadline - Date.now()));
        if (n === undefined || n === null) return;
        reading = null;
        got += n;
      }
      await this.#opts.refresh?.();
      await writeAll(conn, this.#http(head.subarray(0, got)));
    } catch {
      // the client went away
    } finally {
      try {
        conn.close();
      } catch {
        // closed
      }
      // A read still pending ends with the close.
      await reading?.catch(() => null);
    }
  }

  /** The HTTP response for a request head. */
  #http(head: Uint8Array): Uint8Array {
    const line = new TextDecoder().decode(head.subarray(0, head.indexOf(13)));
    const [method, target] = line.split(" ");
    const path = (target ?? "").split("?")[0];
    if (method !== "GET" && method !== "HEAD") {
      return response(405, "text/plain", "method not allowed\n", method === "HEAD");
    }
    if (path === "/metrics") {
      return response(200, PROMETHEUS_CONTENT_TYPE, prometheusText(this.#src), method === "HEAD");
    }
    if (path === "/stats") {
      return response(200, "application/json", toJson(this.#current), method === "HEAD");
    }
    return response(404, "text/plain", "not found: try /metrics or /stats\n", method === "HEAD");
  }

  /** Stops serving. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    try {
      this.#listener?.close();
    } catch {
      // closed
    }
    await this.#loop;
    await Promise.all(this.#open);
  }
}

/** Resolves with the promise's value, or undefined after `ms`. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((r) => timer = setTimeout(() => r(undefined), ms));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const METHODS = ["GET ", "HEAD ", "POST ", "PUT ", "DELETE ", "OPTIONS "];

/** Whether the first bytes read start an HTTP request line. */
function looksLikeHttp(buf: Uint8Array, n: number): boolean {
  const text = new TextDecoder().decode(buf.subarray(0, Math.min(n, 8)));
  return METHODS.some((m) => text.startsWith(m) || m.startsWith(text));
}

/** Whether `buf[0, n)` holds a whole request head (ends with an empty line). */
function headComplete(buf: Uint8Array, n: number): boolean {
  for (let i = 3; i < n; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return true;
  }
  return false;
}

function response(status: number, type: string, body: string, headOnly: boolean): Uint8Array {
  const reason =
    ({ 200: "OK", 404: "Not Found", 405: "Method Not Allowed" } as Record<number, string>)[
      status
    ];
  const payload = enc.encode(body);
  const head = `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\n` +
    `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  const h = enc.encode(head);
  if (headOnly) return h;
  const out = new Uint8Array(h.length + payload.length);
  out.set(h);
  out.set(payload, h.length);
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
