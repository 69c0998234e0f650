/**
 * The listening sockets of the process, one per listen address, owned by the
 * runtime rather than by a pool: a reload that keeps a pool's address keeps
 * its socket (no client is refused while pools are rebuilt), and a listener
 * hands every accepted connection to whichever pool generation is current
 * for its address. Binding comes first in a reload, so an address that
 * cannot be bound fails the reload before anything changed.
 *
 * @module
 */
import type { PoolConfig } from "../config/types.ts";
import { listenKey } from "../config/listen.ts";
import { Listener } from "../net/listener.ts";
import { reasonOf } from "../net/reason.ts";
import { listenTlsOf } from "../net/tls.ts";
import type { LogFn } from "../log/levels.ts";

/** A listen address that cannot be bound; the message names pool, file, line and the fix. */
export class ListenError extends Error {
  /** The pool whose address it is. */
  readonly pool: string;
  /** `listen:` as written. */
  readonly listen: string;

  /** Builds the message for pool `pc` of configuration `file` and the bind error `cause`. */
  constructor(pc: PoolConfig, file: string, cause: unknown) {
    super(
      `${file}:${pc.line}: pool '${pc.name}': cannot listen on '${pc.listenSpec}': ${
        reasonOf(cause)
      }; stop what holds that address or give the pool another 'listen:'`,
    );
    this.name = "ListenError";
    this.pool = pc.name;
    this.listen = pc.listenSpec;
  }
}

/** Addresses bound by {@link ListenerTable.prepare}, not accepting yet. */
export interface ListenerBinding {
  /** Listen keys bound. */
  readonly keys: readonly string[];
  /** Hands the sockets to the table and starts accepting. */
  commit(): void;
  /** Releases the sockets. */
  release(): void;
}

/** How the listeners of one worker share addresses with the other workers. */
export interface ListenerSharing {
  /** Bind TCP addresses with SO_REUSEPORT (several workers, Linux). */
  readonly reusePort: boolean;
  /**
   * Whether this table binds the addresses that cannot be shared: unix
   * sockets (one socket file, which its owner removes at close) and
   * `tls_ca` listeners (node:tls has no reusePort). With several workers
   * only worker 0 does.
   */
  readonly ownsUnshared: boolean;
}

/** Whether the address of `pc` can be bound by several workers at once. */
export function shareable(pc: PoolConfig): boolean {
  return pc.listen.transport !== "unix" && pc.tlsCa === null;
}

/** Every listener of one event loop, by listen key (lib/config/listen.ts). */
export class ListenerTable {
  readonly #open = new Map<string, Listener>();
  readonly #onConn: (key: string, conn: Deno.Conn) => void;
  readonly #log: LogFn;
  readonly #sharing: ListenerSharing;

  /** `onConn(key, conn)` gets every connection accepted on the address with that key. */
  constructor(
    onConn: (key: string, conn: Deno.Conn) => void,
    log: LogFn,
    sharing: ListenerSharing = { reusePort: false, ownsUnshared: true },
  ) {
    this.#onConn = onConn;
    this.#log = log;
    this.#sharing = sharing;
  }

  /** Whether a listener for `key` is open. */
  has(key: string): boolean {
    return this.#open.has(key);
  }

  /** The bound address for `key` (the real port when 0 was asked for). */
  addr(key: string): Deno.Addr {
    const l = this.#open.get(key);
    if (l === undefined) throw new RangeError(`Cannot find a listener for '${key}'`);
    return l.addr;
  }

  /**
   * Binds every address of `pools` not bound yet and starts accepting on
   * them (see {@link prepare}). Returns the keys bound by this call.
   */
  bind(pools: readonly PoolConfig[], file: string): string[] {
    const binding = this.prepare(pools, file);
    binding.commit();
    return [...binding.keys];
  }

  /**
   * Binds every address of `pools` not bound yet, without accepting on them.
   * All or nothing: when one fails, those bound by this call are released
   * and a {@link ListenError} is thrown. The binding is then committed (the
   * table owns the sockets and they accept) or released.
   */
  prepare(pools: readonly PoolConfig[], file: string): ListenerBinding {
    const added: [string, Listener][] = [];
    const release = () => {
      // Never started: closing is synchronous.
      for (const [, l] of added) void l.close();
    };
    for (const pc of pools) {
      const key = listenKey(pc.listen);
      if (this.#open.has(key) || added.some(([k]) => k === key)) continue;
      const share = shareable(pc);
      if (!share && !this.#sharing.ownsUnshared) continue;
      const listener = new Listener(
        pc.listen,
        (conn) => this.#onConn(key, conn),
        this.#log,
        listenTlsOf(pc),
        share && this.#sharing.reusePort,
        pc.backlog,
      );
      try {
        listener.bind();
      } catch (err) {
        release();
        throw new ListenError(pc, file, err);
      }
      added.push([key, listener]);
    }
    let done = false;
    return {
      keys: added.map(([k]) => k),
      commit: () => {
        if (done) return;
        done = true;
        for (const [key, listener] of added) {
          this.#open.set(key, listener);
          listener.start();
        }
      },
      release: () => {
        if (done) return;
        done = true;
        release();
      },
    };
  }

  /**
   * Resolves once every listener accepts: at once, except for `tls_ca`
   * listeners, which node:tls binds a moment after {@link bind}.
   */
  async ready(): Promise<void> {
    await Promise.all([...this.#open.values()].map((l) => l.ready()));
  }

  /** Closes every listener whose key is not in `keep` (they stop accepting at once). */
  closeExcept(keep: ReadonlySet<string>): Promise<void> {
    return this.#closeKeys([...this.#open.keys()].filter((k) => !keep.has(k)));
  }

  /** Closes every listener. */
  closeAll(): Promise<void> {
    return this.#closeKeys([...this.#open.keys()]);
  }

  async #closeKeys(keys: readonly string[]): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const key of keys) {
      const l = this.#open.get(key);
      if (l === undefined) continue;
      this.#open.delete(key);
      closing.push(l.close());
    }
    await Promise.all(closing);
  }
}
