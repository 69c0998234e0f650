/**
 * Follows the masters of one pool through its Redis Sentinels, as
 * twemproxy's never-merged sentinel work sketched: it asks the sentinels in
 * turn where each master is (`SENTINEL get-master-addr-by-name`) at start,
 * after every (re)subscription and every {@link SentinelOptions.refreshMs},
 * and it holds a subscription to `+switch-master` on one sentinel (moving to
 * the next when that one fails), so a failover reaches the pool within a
 * moment of the sentinels deciding it. Every answer goes to `onMaster`; the
 * pool decides whether it is a switch. Each master's config epoch
 * (`SENTINEL master`) is tracked, so a sentinel that has not yet heard of a
 * failover cannot move a master back to its old address.
 *
 * When no sentinel answers, the watcher keeps trying every `retryMs` and
 * says so in the log; the pool keeps serving from the addresses it has (a
 * `name:weight` master with none answers with an error until a sentinel
 * does), so a sentinel outage never stops the proxy.
 *
 * @module
 */
import type { SentinelConfig } from "../config/types.ts";
import { LOG_INFO, LOG_NOTICE, LOG_WARN, type LogFn } from "../log/levels.ts";
import { reasonOf } from "../net/reason.ts";
import { describe, ReplyError, SentinelClient } from "./client.ts";

/** Where a sentinel says a master is. */
export interface MasterAddress {
  readonly host: string;
  readonly port: number;
}

/** How an answer came. */
export type MasterSource = "asked" | "+switch-master";

/** Settings of a {@link SentinelWatcher}. */
export interface SentinelOptions {
  readonly sentinels: readonly SentinelConfig[];
  /** Password for AUTH, or null. */
  readonly auth: string | null;
  /** The master names to follow. */
  readonly masters: readonly string[];
  /** Told every address a sentinel gives for one of `masters`. */
  readonly onMaster: (name: string, at: MasterAddress, source: MasterSource, via: string) => void;
  readonly log: LogFn;
  /** Re-ask every master this often. @default 10000 */
  readonly refreshMs?: number;
  /** Pause before trying again after no sentinel answered or the subscription broke. @default 1000 */
  readonly retryMs?: number;
  /** Deadline for connecting to a sentinel and for each command. @default 2000 */
  readonly timeoutMs?: number;
}

/** The sentinel follower of one pool. */
export class SentinelWatcher {
  readonly #o: SentinelOptions;
  readonly #refreshMs: number;
  readonly #retryMs: number;
  readonly #timeoutMs: number;
  readonly #masters: ReadonlySet<string>;
  #closed = false;
  #started = false;
  /** Index of the sentinel to ask first next time (the last that answered). */
  #askFrom = 0;
  #subscribeNext = 0;
  readonly #clients = new Set<SentinelClient>();
  #wakeAsk: (() => void) | null = null;
  #askTimer: ReturnType<typeof setTimeout> | null = null;
  #wakeSub: (() => void) | null = null;
  #subTimer: ReturnType<typeof setTimeout> | null = null;
  #askAgain = false;
  #loops: Promise<void>[] = [];
  readonly #first = Promise.withResolvers<void>();
  /** The highest config epoch seen per master (`SENTINEL master`): older answers are stale. */
  readonly #epochs = new Map<string, number>();
  /** Whether the last round reached no sentinel (logged once per outage). */
  #unreachable = false;

  constructor(options: SentinelOptions) {
    this.#o = options;
    this.#refreshMs = options.refreshMs ?? 10_000;
    this.#retryMs = options.retryMs ?? 1000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#masters = new Set(options.masters);
  }

  /** Settles after the first round of asking, whatever its outcome. */
  get firstRound(): Promise<void> {
    return this.#first.promise;
  }

  /** Starts asking and subscribing (once). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#loops = [this.#askLoop(), this.#subscribeLoop()];
  }

  /** Stops: closes the sentinel connections and timers; resolves when both loops ended. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#clients) c.close();
    this.#wake();
    this.#wakeSubscribe();
    this.#first.resolve();
    await Promise.all(this.#loops);
  }

  // ---- asking -------------------------------------------------------------

  async #askLoop(): Promise<void> {
    while (!this.#closed) {
      this.#askAgain = false;
      const answered = await this.#askAll();
      this.#first.resolve();
      if (this.#closed) break;
      if (this.#askAgain) continue;
      await this.#sleep(answered ? this.#refreshMs : this.#retryMs);
    }
  }

  /** Asks for every master, sentinel after sentinel; true when all were answered. */
  async #askAll(): Promise<boolean> {
    const left = new Set(this.#masters);
    const sentinels = this.#o.sentinels;
    const failures: string[] = [];
    for (let i = 0; i < sentinels.length && left.size > 0 && !this.#closed; i++) {
      const index = (this.#askFrom + i) % sentinels.length;
      const s = sentinels[index]!;
      let client: SentinelClient | null = null;
      try {
        client = await this.#connect(s);
        for (const name of [...left]) {
          const reply = await client.command("SENTINEL", "get-master-addr-by-name", name);
          if (Array.isArray(reply) && reply.length === 2) {
            const [host, port] = reply;
            if (typeof host === "string" && typeof port === "string" && /^\d+$/.test(port)) {
              const epoch = configEpoch(await client.command("SENTINEL", "master", name));
              const known = this.#epochs.get(name) ?? -1;
              if (epoch !== null && epoch < known) {
                // A sentinel that has not heard of the last failover yet.
                failures.push(
                  `${s.spec} is behind on '${name}' (config epoch ${epoch} < ${known})`,
                );
                continue;
              }
              if (epoch !== null) this.#epochs.set(name, epoch);
              left.delete(name);
              this.#askFrom = index;
              this.#o.onMaster(name, { host, port: Number(port) }, "asked", client.peer);
              continue;
            }
          }
          failures.push(`${s.spec} has no master '${name}' (${describe(reply)})`);
        }
      } catch (err) {
        failures.push(`${s.spec}: ${reasonOf(err)}`);
      } finally {
        if (client !== null) {
          client.close();
          this.#clients.delete(client);
        }
      }
    }
    if (this.#closed) return false;
    if (left.size > 0) {
      if (!this.#unreachable) {
        this.#o.log(
          LOG_WARN,
          `no sentinel says where ${[...left].map((n) => `'${n}'`).join(", ")} ` +
            `${left.size === 1 ? "is" : "are"} (${failures.join("; ")}); asking again every ` +
            `${this.#retryMs} ms`,
        );
      }
      this.#unreachable = true;
      return false;
    }
    if (this.#unreachable) this.#o.log(LOG_NOTICE, "sentinels answer again");
    this.#unreachable = false;
    return true;
  }

  // ---- subscribing --------------------------------------------------------

  async #subscribeLoop(): Promise<void> {
    const sentinels = this.#o.sentinels;
    while (!this.#closed) {
      const index = this.#subscribeNext % sentinels.length;
      const s = sentinels[index]!;
      this.#subscribeNext++;
      let client: SentinelClient | null = null;
      try {
        client = await this.#connect(s);
        await client.subscribe("+switch-master", (_channel, message) => {
          this.#switched(message, client!.peer, index);
        });
        this.#o.log(LOG_INFO, `subscribed to +switch-master on sentinel ${s.spec}`);
        // Switches while we were not subscribed: ask now.
        this.#askAgain = true;
        this.#wake();
        const why = await client.done;
        if (!this.#closed) {
          this.#o.log(LOG_WARN, `sentinel ${s.spec} subscription lost (${why}); trying the next`);
        }
      } catch (err) {
        if (!this.#closed) {
          this.#o.log(
            LOG_WARN,
            `cannot subscribe to +switch-master on sentinel ${s.spec}: ${reasonOf(err)}`,
          );
        }
      } finally {
        if (client !== null) {
          client.close();
          this.#clients.delete(client);
        }
      }
      if (this.#closed) break;
      // Straight to the next sentinel; pause once every one was tried.
      if (this.#subscribeNext % sentinels.length === 0 || sentinels.length === 1) {
        await this.#sleepSubscribe(this.#retryMs);
      }
    }
  }

  /** `+switch-master` says `<name> <old-ip> <old-port> <new-ip> <new-port>`. */
  #switched(message: string, via: string, index: number): void {
    const [name, , , host, port] = message.split(" ");
    if (name === undefined || !this.#masters.has(name)) return;
    if (host === undefined || port === undefined || !/^\d+$/.test(port)) {
      this.#o.log(LOG_WARN, `sentinel ${via} sent an unreadable +switch-master '${message}'`);
      return;
    }
    // A failover raises the config epoch: answers from sentinels still at
    // the old one are ignored, and the sentinel that announced the switch
    // is asked first, at once, for the new epoch.
    const known = this.#epochs.get(name);
    if (known !== undefined) this.#epochs.set(name, known + 1);
    this.#askFrom = index;
    this.#askAgain = true;
    this.#wake();
    this.#o.onMaster(name, { host, port: Number(port) }, "+switch-master", via);
  }

  // ---- helpers ------------------------------------------------------------

  async #connect(s: SentinelConfig): Promise<SentinelClient> {
    const client = await SentinelClient.connect(s.host, s.port, this.#timeoutMs);
    this.#clients.add(client);
    if (this.#closed) {
      client.close();
      throw new Error("closed");
    }
    if (this.#o.auth !== null) {
      const reply = await client.command("AUTH", this.#o.auth);
      if (reply instanceof ReplyError) throw new Error(`AUTH refused: ${reply.message}`);
    }
    return client;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeAsk = resolve;
      this.#askTimer = setTimeout(resolve, ms);
    }).then(() => {
      if (this.#askTimer !== null) clearTimeout(this.#askTimer);
      this.#askTimer = null;
      this.#wakeAsk = null;
    });
  }

  #wake(): void {
    this.#wakeAsk?.();
  }

  #sleepSubscribe(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeSub = resolve;
      this.#subTimer = setTimeout(resolve, ms);
    }).then(() => {
      if (this.#subTimer !== null) clearTimeout(this.#subTimer);
      this.#subTimer = null;
      this.#wakeSub = null;
    });
  }

  #wakeSubscribe(): void {
    this.#wakeSub?.();
  }
}

/** `config-epoch` from a `SENTINEL master <name>` reply (a flat field/value list), or null. */
export function configEpoch(reply: unknown): number | null {
  if (!Array.isArray(reply)) return null;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    if (reply[i] === "config-epoch" && /^\d+$/.test(String(reply[i + 1]))) {
      return Number(reply[i + 1]);
    }
  }
  return null;
}
