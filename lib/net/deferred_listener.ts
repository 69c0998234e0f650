/**
 * A `Deno.Listener` whose real listener is still being made, by a module
 * loaded on demand: a `tls_ca` pool listens through node:tls
 * (lib/net/tls_client_auth.ts), and importing a `node:` module starts
 * Deno's Node layer (a few MB at rest), so that module is loaded only when a
 * pool has `tls_ca`, and its listener stands in here meanwhile. `accept`
 * waits for the real one; `close` closes it, or closes it as soon as it
 * arrives.
 *
 * @module
 */

/** What the real listener is made of: a listener and when it accepts. */
export interface Opened {
  readonly listener: Deno.Listener;
  readonly listening: Promise<void>;
}

/** A listener standing in for the one `opening` makes. */
export class DeferredListener {
  readonly #opened: Promise<Deno.Listener>;
  readonly #addr: Deno.NetAddr;
  #inner: Deno.Listener | null = null;
  #closed = false;
  /** Settles once the real listener accepts (or failed to be made or to bind). */
  readonly listening: Promise<void>;

  /** `addr` is the address asked for, reported until the real listener is there. */
  constructor(opening: Promise<Opened>, addr: Deno.NetAddr) {
    this.#addr = addr;
    this.#opened = opening.then((o) => {
      this.#inner = o.listener;
      if (this.#closed) o.listener.close();
      return o.listener;
    });
    this.listening = opening.then((o) => o.listening);
    // Observed by accept() and by Listener.ready(); not unhandled rejections meanwhile.
    this.#opened.catch(() => {});
    this.listening.catch(() => {});
  }

  get addr(): Deno.Addr {
    return this.#inner?.addr ?? this.#addr;
  }

  async accept(): Promise<Deno.Conn> {
    const inner = await this.#opened;
    if (this.#closed) throw new Deno.errors.BadResource("listener closed");
    return await inner.accept();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inner?.close();
  }
}
