/**
 * The process-wide connection counts of `--workers N` (see
 * lib/pool/quota.ts) in a SharedArrayBuffer. The main thread names the
 * counts ({@link QuotaTable.assign}: one slot per key of every configuration
 * loaded, never reused) and sends the buffer and the names to the workers;
 * each worker takes and gives with Atomics ({@link SharedQuota}).
 *
 * A slot is N + 1 cells: the total, which a take raises only below the
 * limit (compare-and-exchange, so two workers cannot both take the last
 * place), and each worker's own share, so that when a worker dies (its
 * clients are lost) the main thread takes its share out of the totals
 * before the worker is started again ({@link QuotaTable.forget}).
 *
 * The buffer grows (a growable SharedArrayBuffer, seen grown by every
 * worker) when a reload brings new keys.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { listenKey } from "../config/listen.ts";
import { clientsKey, type ConnectionQuota, dedicatedKey, type QuotaSlot } from "../pool/quota.ts";

/** Slots the buffer can grow to (the address space is reserved, not used). */
const MAX_SLOTS = 1 << 20;
/** Slots allocated at first. */
const FIRST_SLOTS = 64;

/** The keys of the counts the pools of `config` use. */
export function quotaKeys(config: Config): string[] {
  const keys: string[] = [];
  for (const p of config.pools) {
    const listen = listenKey(p.listen);
    keys.push(clientsKey(listen));
    for (const s of p.servers) keys.push(dedicatedKey(listen, s.name));
  }
  return keys;
}

/** What a worker needs to share the counts: the buffer, the slot names, its number. */
export interface QuotaShare {
  readonly buffer: SharedArrayBuffer;
  readonly workers: number;
  /** keys[i] names slot i. */
  readonly keys: readonly string[];
}

/** The main thread's side: names the slots, grows the buffer, forgets a dead worker's share. */
export class QuotaTable {
  readonly buffer: SharedArrayBuffer;
  readonly #workers: number;
  readonly #keys: string[] = [];
  readonly #slots = new Map<string, number>();

  constructor(workers: number) {
    this.#workers = workers;
    const cells = workers + 1;
    this.buffer = new SharedArrayBuffer(FIRST_SLOTS * cells * 4, {
      maxByteLength: MAX_SLOTS * cells * 4,
    });
  }

  /** Gives every key of `keys` a slot (keys seen before keep theirs); the share to send. */
  assign(keys: readonly string[]): QuotaShare {
    for (const key of keys) {
      if (this.#slots.has(key)) continue;
      if (this.#keys.length >= MAX_SLOTS) break; // beyond: those pools count per worker
      this.#slots.set(key, this.#keys.length);
      this.#keys.push(key);
    }
    const bytes = this.#keys.length * (this.#workers + 1) * 4;
    if (bytes > this.buffer.byteLength) {
      let next = this.buffer.byteLength;
      while (next < bytes) next *= 2;
      this.buffer.grow(Math.min(next, this.buffer.maxByteLength));
    }
    return { buffer: this.buffer, workers: this.#workers, keys: this.#keys.slice() };
  }

  /** Takes worker `id`'s share out of every total (the worker died; its connections are gone). */
  forget(id: number): void {
    const cells = new Int32Array(this.buffer);
    const width = this.#workers + 1;
    for (let slot = 0; slot < this.#keys.length; slot++) {
      const mine = slot * width + 1 + id;
      const n = Atomics.exchange(cells, mine, 0);
      if (n !== 0) Atomics.sub(cells, slot * width, n);
    }
  }

  /** The total of the count named `key` (for tests). */
  total(key: string): number {
    const slot = this.#slots.get(key);
    if (slot === undefined) return 0;
    return Atomics.load(new Int32Array(this.buffer), slot * (this.#workers + 1));
  }
}

/** A slot as one worker counts in it. */
class SharedSlot implements QuotaSlot {
  readonly #cells: Int32Array;
  readonly #total: number;
  readonly #mine: number;

  constructor(cells: Int32Array, total: number, mine: number) {
    this.#cells = cells;
    this.#total = total;
    this.#mine = mine;
  }

  take(limit: number): boolean {
    const cells = this.#cells;
    const at = this.#total;
    let n = Atomics.load(cells, at);
    while (true) {
      if (n >= limit) return false;
      const seen = Atomics.compareExchange(cells, at, n, n + 1);
      if (seen === n) break;
      n = seen;
    }
    Atomics.add(cells, this.#mine, 1);
    return true;
  }

  give(): void {
    Atomics.sub(this.#cells, this.#mine, 1);
    Atomics.sub(this.#cells, this.#total, 1);
  }
}

/** A worker's side: the slots by key, from the shares the main thread sends. */
export class SharedQuota implements ConnectionQuota {
  readonly #id: number;
  #cells: Int32Array;
  #width: number;
  #slots = new Map<string, number>();

  constructor(share: QuotaShare, id: number) {
    this.#id = id;
    this.#cells = new Int32Array(share.buffer);
    this.#width = share.workers + 1;
    this.update(share);
  }

  /** Takes the slot names of a newer share (a reload's). */
  update(share: QuotaShare): void {
    this.#cells = new Int32Array(share.buffer);
    this.#width = share.workers + 1;
    const slots = new Map<string, number>();
    share.keys.forEach((key, i) => slots.set(key, i));
    this.#slots = slots;
  }

  slot(key: string): QuotaSlot | null {
    const slot = this.#slots.get(key);
    if (slot === undefined) return null;
    const base = slot * this.#width;
    return new SharedSlot(this.#cells, base, base + 1 + this.#id);
  }
}
