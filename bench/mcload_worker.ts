/**
 * One worker of the memcached load generator (see mcload.ts): runs
 * closed-loop clients (each sends one request, waits for the whole reply,
 * sends the next) against 127.0.0.1 until a deadline and posts back the
 * counts and every latency.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { initClockTicks, ownCpuSeconds } from "./cpu.ts";
import {
  buildRequest,
  countValues,
  type KeyTable,
  keyTable,
  replyState,
  type Templates,
  templates,
} from "./mcload_proto.ts";

/** What the worker is asked to do. */
export interface WorkerJob {
  /** memcached (or proxy) port on 127.0.0.1. */
  readonly port: number;
  /** Connections this worker drives. */
  readonly clients: number;
  /** Run length (ms). */
  readonly durationMs: number;
  /** Keys per get (1: `get k`, more: `get k1 k2 ...`). */
  readonly division: number;
  /** Share of set commands. */
  readonly setShare: number;
  /** Keys `mc:000000000000` .. of the keyspace. */
  readonly keys: number;
  /** Value size of sets (bytes). */
  readonly valueBytes: number;
}

/** What the worker reports. */
export interface WorkerResult {
  /** Commands answered (a multi-get counts once). */
  readonly commands: number;
  /** Keys asked for by gets. */
  readonly keysRequested: number;
  /** Keys that came back with a value. */
  readonly keysFound: number;
  /** Replies that were ERROR, CLIENT_ERROR or SERVER_ERROR (or an unexpected set reply). */
  readonly errors: number;
  /** First error reply seen, for the report. */
  readonly firstError: string | null;
  /** Latency of every command (microseconds), `commands` of them. */
  readonly latenciesUs: Uint32Array<ArrayBuffer>;
  /** Why a client stopped early, if one did. */
  readonly failure: string | null;
  /** Seconds from the start of the clients to the end of the last one. */
  readonly seconds: number;
  /**
   * CPU seconds (user+sys) of the whole process, every thread, when the
   * clients started and when the last ended (null: no /proc).
   */
  readonly cpuAtStart: number | null;
  /** See cpuAtStart. */
  readonly cpuAtEnd: number | null;
}

/** A growable list of latencies. */
class Latencies {
  #data = new Uint32Array(1 << 16);
  #n = 0;
  push(us: number): void {
    if (this.#n === this.#data.length) {
      const next = new Uint32Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#n++] = us;
  }
  take(): Uint32Array<ArrayBuffer> {
    return this.#data.slice(0, this.#n);
  }
}

/** Counters shared by the clients of one worker. */
interface Tally {
  commands: number;
  keysRequested: number;
  keysFound: number;
  errors: number;
  firstError: string | null;
  failure: string | null;
  readonly latencies: Latencies;
}

/** One closed-loop client. */
async function client(
  job: WorkerJob,
  deadline: number,
  tally: Tally,
  keys: KeyTable,
  t: Templates,
): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: job.port });
  conn.setNoDelay(true);
  const out = new Uint8Array(64 + job.division * (keys.width + 1) + t.setTail.length);
  let buf = new Uint8Array(64 * 1024);
  try {
    while (performance.now() < deadline) {
      const [reqLen, gets] = buildRequest(job, out, keys, t);
      const t0 = performance.now();
      let off = 0;
      while (off < reqLen) off += await conn.write(out.subarray(off, reqLen));
      let len = 0;
      while (true) {
        if (len === buf.length) {
          const next = new Uint8Array(buf.length * 2);
          next.set(buf);
          buf = next;
        }
        const n = await conn.read(buf.subarray(len));
        if (n === null) throw new Error("connection closed by the server");
        len += n;
        const state = replyState(buf, len, gets > 0);
        if (state === "more") continue;
        if (state === "error") {
          tally.errors++;
          tally.firstError ??= new TextDecoder().decode(buf.subarray(0, len)).trim();
        }
        break;
      }
      tally.latencies.push(Math.round((performance.now() - t0) * 1000));
      tally.commands++;
      if (gets > 0) {
        tally.keysRequested += gets;
        tally.keysFound += countValues(buf, len);
      }
    }
  } catch (err) {
    tally.failure ??= err instanceof Error ? err.message : String(err);
  } finally {
    conn.close();
  }
}

self.onmessage = async (event: MessageEvent<WorkerJob>) => {
  const job = event.data;
  const tally: Tally = {
    commands: 0,
    keysRequested: 0,
    keysFound: 0,
    errors: 0,
    firstError: null,
    failure: null,
    latencies: new Latencies(),
  };
  const keys = keyTable(job.keys);
  const t = templates(job.valueBytes);
  await initClockTicks();
  const cpuAtStart = ownCpuSeconds();
  const start = performance.now();
  const deadline = start + job.durationMs;
  await Promise.all(
    Array.from({ length: job.clients }, () => client(job, deadline, tally, keys, t)),
  );
  const cpuAtEnd = ownCpuSeconds();
  const latenciesUs = tally.latencies.take();
  const result: WorkerResult = {
    commands: tally.commands,
    keysRequested: tally.keysRequested,
    keysFound: tally.keysFound,
    errors: tally.errors,
    firstError: tally.firstError,
    latenciesUs,
    failure: tally.failure,
    seconds: (performance.now() - start) / 1000,
    cpuAtStart,
    cpuAtEnd,
  };
  self.postMessage(result, [latenciesUs.buffer]);
};
