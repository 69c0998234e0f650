/**
 * Test support for the core's unit tests: a fake clock that replaces
 * `setTimeout`, `clearTimeout`, `performance.now()` and `Date.now()` until
 * disposed, so a test moves time by hand and sees exactly which timers are
 * armed: deadlines and retry timeouts are checked without waiting and
 * without timed assertions.
 *
 * @module
 */

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/** The fake clock; `using clock = new FakeClock()` restores the real one at the end. */
export class FakeClock implements Disposable {
  #now = 1_000_000;
  #nextId = 1;
  #timers = new Map<number, Timer>();
  readonly #real = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    perfNow: performance.now,
    dateNow: Date.now,
  };

  constructor() {
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = (fn: () => void, ms = 0) => {
      const id = this.#nextId++;
      this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fn });
      return id;
    };
    g.clearTimeout = (id?: number) => {
      if (id !== undefined) this.#timers.delete(id);
    };
    performance.now = () => this.#now;
    Date.now = () => this.#now;
  }

  /** The current fake time (ms). */
  get now(): number {
    return this.#now;
  }

  /** Timers armed and not yet fired or cleared. */
  get armed(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing each timer that comes due, in order. */
  advance(ms: number): void {
    const until = this.#now + ms;
    while (true) {
      let next: Timer | null = null;
      for (const t of this.#timers.values()) {
        if (
          t.at <= until && (next === null || t.at < next.at || (t.at === next.at && t.id < next.id))
        ) {
          next = t;
        }
      }
      if (next === null) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = until;
  }

  [Symbol.dispose](): void {
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = this.#real.setTimeout;
    g.clearTimeout = this.#real.clearTimeout;
    performance.now = this.#real.perfNow;
    Date.now = this.#real.dateNow;
  }
}
