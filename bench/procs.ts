/**
 * Child processes of the benchmark: every process is started through one
 * registry so that all of them are stopped at the end, on error and on
 * Ctrl-C. Also waiting for a started process's port, and the open-file
 * limit.
 *
 * @module
 */

import { waitForPort } from "../tests/_support/ports.ts";

/** How a process is started. */
export interface StartOptions {
  /** Working directory. */
  readonly cwd?: string;
  /** Keep at most this many characters of output (the tail). Default 1 MiB. */
  readonly keepChars?: number;
}

/** Exit of a tool run. */
export interface ToolResult {
  /** Exit code (null when killed by the timeout). */
  readonly code: number | null;
  /** Whether the timeout killed it. */
  readonly timedOut: boolean;
  /** Collected stdout. */
  readonly stdout: string;
  /** Collected stderr. */
  readonly stderr: string;
}

/** Output collected from a stream, keeping the last `keep` characters. */
class Collector {
  #parts: string[] = [];
  #length = 0;
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, keep: number) {
    this.done = this.#drain(stream, keep);
  }

  async #drain(stream: ReadableStream<Uint8Array>, keep: number): Promise<void> {
    const dec = new TextDecoder();
    try {
      for await (const chunk of stream) {
        const text = dec.decode(chunk, { stream: true });
        this.#parts.push(text);
        this.#length += text.length;
        if (this.#length > keep * 2) this.#trim(keep);
      }
    } catch {
      // the process went away
    }
    this.#trim(keep);
  }

  #trim(keep: number): void {
    const all = this.#parts.join("");
    const tail = all.length > keep ? all.slice(all.length - keep) : all;
    this.#parts = [tail];
    this.#length = tail.length;
  }

  get text(): string {
    return this.#parts.join("");
  }
}

/** A child process started by the benchmark. */
export class Proc {
  /** Short name for messages. */
  readonly name: string;
  /** Process id. */
  readonly pid: number;
  /** Resolves when the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;
  #child: Deno.ChildProcess;
  #stdout: Collector;
  #stderr: Collector;
  #exited = false;

  /** Starts `cmd args`; use {@link ProcRegistry.start} so it gets stopped. */
  constructor(name: string, cmd: string, args: readonly string[], opts: StartOptions = {}) {
    this.name = name;
    this.#child = new Deno.Command(cmd, {
      args: [...args],
      cwd: opts.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    const keep = opts.keepChars ?? 1 << 20;
    this.#stdout = new Collector(this.#child.stdout, keep);
    this.#stderr = new Collector(this.#child.stderr, keep);
    this.status = this.#child.status.then((s) => {
      this.#exited = true;
      return s;
    });
  }

  /** Whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Output so far (stdout then stderr), for error messages. */
  get tail(): string {
    return (this.#stdout.text + this.#stderr.text).slice(-2000);
  }

  /** Waits for exit and the whole output. */
  async result(): Promise<{ status: Deno.CommandStatus; stdout: string; stderr: string }> {
    const status = await this.status;
    await Promise.all([this.#stdout.done, this.#stderr.done]);
    return { status, stdout: this.#stdout.text, stderr: this.#stderr.text };
  }

  /** Sends a signal; ignores a process that is already gone. */
  signal(sig: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(sig);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs = 1500): Promise<void> {
    if (!this.#exited) {
      this.signal("SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.signal("SIGKILL");
          resolve();
        }, graceMs);
      });
      await Promise.race([this.status, late]);
      clearTimeout(timer);
    }
    await this.status;
    await Promise.all([this.#stdout.done, this.#stderr.done]);
  }
}

/** All processes the benchmark started; {@link ProcRegistry.stopAll} stops the ones still running. */
export class ProcRegistry {
  #procs = new Set<Proc>();

  /** Starts a process and remembers it. */
  start(name: string, cmd: string, args: readonly string[], opts: StartOptions = {}): Proc {
    const proc = new Proc(name, cmd, args, opts);
    this.#procs.add(proc);
    proc.status.finally(() => this.#procs.delete(proc));
    return proc;
  }

  /** Runs a tool to completion, killing it after `timeoutMs`. */
  async run(
    name: string,
    cmd: string,
    args: readonly string[],
    timeoutMs: number,
    opts: StartOptions = {},
  ): Promise<ToolResult> {
    const proc = this.start(name, cmd, args, opts);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.signal("SIGKILL");
    }, timeoutMs);
    try {
      const { status, stdout, stderr } = await proc.result();
      return { code: timedOut ? null : status.code, timedOut, stdout, stderr };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Number of processes still running. */
  get size(): number {
    return this.#procs.size;
  }

  /** Stops every process still running (in parallel) and waits for them. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#procs].map((p) => p.stop()));
  }
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until 127.0.0.1:`port` accepts a connection; throws after `ms` or when `proc` exits. */
export function waitForProc(port: number, ms: number, proc: Proc): Promise<void> {
  return waitForPort(
    port,
    ms,
    () => proc.exited ? `${proc.name} exited: ${proc.tail.trim()}` : null,
  );
}

/** Child pids of `pid` (all its threads), from /proc/PID/task/TID/children. */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // gone, or no such file on this kernel
  }
  return out;
}

/** Soft and hard open-file limits of this process (from /proc/self/limits), or null. */
export function fileLimit(): { soft: number; hard: number } | null {
  try {
    const text = Deno.readTextFileSync("/proc/self/limits");
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
    if (!m) return null;
    const num = (s: string) => (s === "unlimited" ? Number.MAX_SAFE_INTEGER : Number(s));
    return { soft: num(m[1]!), hard: num(m[2]!) };
  } catch {
    return null;
  }
}
