/**
 * Resident memory of the proxies: VmRSS from /proc (a process and its
 * descendants), a sampler that keeps the peak while loads run, and the
 * idle-connections test (many clients connect, say PING once, and stay).
 *
 * @module
 */
import { closeQuietly, connect, readExactly, writeAll } from "./net.ts";
import { childPids, sleep } from "./procs.ts";

/** A `kB` field (VmRSS, VmHWM) of /proc/PID/status, or null when the process is gone. */
export function statusKb(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** VmRSS (kB) of `pid` plus all its descendants, or null when `pid` is gone. */
export function rssKb(pid: number): number | null {
  const own = statusKb(pid, "VmRSS");
  if (own === null) return null;
  let total = own;
  for (const child of childPids(pid)) total += rssKb(child) ?? 0;
  return total;
}

/** Samples the RSS of some processes at an interval and keeps each one's peak. */
export class RssSampler {
  #pids: readonly number[];
  #peak = new Map<number, number>();
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Samples `pids` (once now, then every `intervalMs` until {@link RssSampler.stop}). */
  constructor(pids: readonly number[], intervalMs: number) {
    this.#pids = pids;
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
  }

  /** Takes one sample of every process. */
  sample(): void {
    for (const pid of this.#pids) {
      const kb = rssKb(pid);
      if (kb !== null && kb > (this.#peak.get(pid) ?? 0)) this.#peak.set(pid, kb);
    }
  }

  /** Stops sampling (after a last sample). */
  stop(): void {
    if (this.#timer === undefined) return;
    this.sample();
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Highest RSS seen for `pid` (kB), or null if never sampled. */
  peak(pid: number): number | null {
    return this.#peak.get(pid) ?? null;
  }
}

/** Outcome of the idle-connections test against one proxy. */
export interface IdleResult {
  /** Connections asked for. */
  readonly requested: number;
  /** Connections that connected and answered PING, and were held. */
  readonly opened: number;
  /** RSS just before opening them (kB). */
  readonly beforeKb: number | null;
  /** RSS while they were all open and idle (kB). */
  readonly idleKb: number | null;
  /** (idleKb - beforeKb) / opened, in bytes. */
  readonly perConnBytes: number | null;
  /** Why fewer than `requested` were opened, if so. */
  readonly error: string | null;
}

const PING = new TextEncoder().encode("*1\r\n$4\r\nPING\r\n");
const PONG = "+PONG\r\n";

/** Opens one connection, sends PING, waits for PONG; the connection is returned open. */
async function openPinged(port: number): Promise<Deno.TcpConn> {
  const conn = await connect(port);
  try {
    await writeAll(conn, PING);
    const reply = new TextDecoder().decode(await readExactly(conn, PONG.length, 10_000));
    if (reply !== PONG) throw new Error(`PING answered ${JSON.stringify(reply)}`);
    return conn;
  } catch (err) {
    closeQuietly(conn);
    throw err;
  }
}

/** Opens up to `count` connections in batches of `batch`; stops at the first failing batch. */
async function openMany(
  port: number,
  count: number,
  batch: number,
): Promise<{ conns: Deno.TcpConn[]; error: string | null }> {
  const conns: Deno.TcpConn[] = [];
  while (conns.length < count) {
    const n = Math.min(batch, count - conns.length);
    const settled = await Promise.allSettled(Array.from({ length: n }, () => openPinged(port)));
    let error: string | null = null;
    for (const s of settled) {
      if (s.status === "fulfilled") conns.push(s.value);
      else error ??= s.reason instanceof Error ? s.reason.message : String(s.reason);
    }
    if (error !== null) return { conns, error: `after ${conns.length} connections: ${error}` };
  }
  return { conns, error: null };
}

/**
 * Opens `count` client connections to 127.0.0.1:`port` (each says PING once
 * and then stays idle), samples the RSS of `pid`, and closes them all.
 */
export async function idleTest(
  port: number,
  pid: number,
  count: number,
  batch: number,
): Promise<IdleResult> {
  await sleep(500);
  const beforeKb = rssKb(pid);
  const { conns, error } = await openMany(port, count, batch);
  try {
    await sleep(1000);
    let idleKb: number | null = null;
    for (let i = 0; i < 3; i++) {
      const kb = rssKb(pid);
      if (kb !== null) idleKb = Math.max(idleKb ?? 0, kb);
      await sleep(200);
    }
    const perConnBytes = idleKb !== null && beforeKb !== null && conns.length > 0
      ? Math.round(((idleKb - beforeKb) * 1024) / conns.length)
      : null;
    return { requested: count, opened: conns.length, beforeKb, idleKb, perConnBytes, error };
  } finally {
    for (const c of conns) closeQuietly(c);
    await sleep(500);
  }
}
