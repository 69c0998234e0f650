/**
 * The stats port (`-s`, `-a`): on connect, writes the latest stats JSON and
 * closes, as twemproxy does. Counters are copied every stats interval (`-i`)
 * and the copy is what is served.
 *
 * @module
 */
import { snapshot, type StatsSnapshot, type StatsSource, toJson } from "./report.ts";

/** Options of a {@link StatsServer}. */
export interface StatsServerOptions {
  readonly host: string;
  readonly port: number;
  /** Aggregation interval in ms. */
  readonly interval: number;
  readonly version: string;
  /** `source` field: the host name. */
  readonly source: string;
}

const enc = new TextEncoder();

/** Serves stats snapshots of `src`. */
export class StatsServer {
  readonly #src: StatsSource;
  readonly #opts: StatsServerOptions;
  #listener: Deno.Listener | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #current: StatsSnapshot;
  #loop: Promise<void> | null = null;
  #open = new Set<Promise<void>>();

  constructor(src: StatsSource, opts: StatsServerOptions) {
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
    this.#listener = Deno.listen({ hostname: this.#opts.host, port: this.#opts.port });
    this.#timer = setInterval(() => this.aggregate(), this.#opts.interval);
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
    try {
      const bytes = enc.encode(toJson(this.#current));
      let off = 0;
      while (off < bytes.length) off += await conn.write(bytes.subarray(off));
    } catch {
      // the client went away
    } finally {
      try {
        conn.close();
      } catch {
        // closed
      }
    }
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
