/**
 * A first-in first-out queue on a growable ring buffer: O(1) push and shift,
 * no per-element allocation, no array shifting.
 *
 * @example
 * ```ts
 * import { Fifo } from "./fifo.ts";
 * const q = new Fifo<number>();
 * q.push(1);
 * q.push(2);
 * console.assert(q.shift() === 1 && q.length === 1);
 * ```
 */
export class Fifo<T> {
  #items: (T | undefined)[];
  #head = 0;
  #length = 0;
  #mask: number;

  /** `capacity` is rounded up to a power of two. */
  constructor(capacity = 16) {
    let cap = 4;
    while (cap < capacity) cap <<= 1;
    this.#items = new Array<T | undefined>(cap);
    this.#mask = cap - 1;
  }

  /** Number of items queued. */
  get length(): number {
    return this.#length;
  }

  /** Appends `item` at the tail. */
  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** The head item, or undefined when empty. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the head item, or undefined when empty. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return item;
  }

  /** Removes every item and returns them in order. */
  drain(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  #grow(): void {
    const old = this.#items;
    const cap = old.length;
    const items = new Array<T | undefined>(cap * 2);
    for (let i = 0; i < this.#length; i++) items[i] = old[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#head = 0;
    this.#mask = cap * 2 - 1;
  }
}
