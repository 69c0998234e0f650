/**
 * CPU time of a process from /proc: user+sys of all its threads (and of its
 * descendants), so a run's CPU per request can be computed. On a shared,
 * noisy machine throughput drifts with whatever else runs; the CPU a proxy
 * spends per request does much less, so it is the figure to compare.
 *
 * @module
 */
import { childPids } from "./procs.ts";

let ticksPerSecond = 100;

/** Reads the clock-tick rate (`getconf CLK_TCK`); keeps 100 when it cannot. */
export async function initClockTicks(): Promise<void> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdin: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    if (Number.isInteger(n) && n > 0) ticksPerSecond = n;
  } catch {
    // keep the default
  }
}

/** The fields of /proc/PID/stat after the parenthesised command name (which may hold spaces). */
function statFields(text: string): string[] | null {
  const close = text.lastIndexOf(")");
  return close < 0 ? null : text.slice(close + 2).split(" ");
}

/** Sum of two fields of /proc/PID/stat (1-based numbers, as proc(5) gives them), or null. */
function statSum(text: string, a: number, b: number): number | null {
  const fields = statFields(text);
  if (fields === null) return null;
  // fields[0] is field 3 (state).
  const x = Number(fields[a - 3]);
  const y = Number(fields[b - 3]);
  return Number.isFinite(x) && Number.isFinite(y) ? x + y : null;
}

/**
 * user+sys (clock ticks) from the text of /proc/PID/stat: fields 14 and 15,
 * counted after the parenthesised command name (which may hold spaces).
 */
export function parseStatTicks(text: string): number | null {
  return statSum(text, 14, 15);
}

/**
 * cutime+cstime (clock ticks) from the text of /proc/PID/stat: fields 16 and
 * 17, the CPU of the process's children that have exited and been waited
 * for (with their own waited-for children).
 */
export function parseStatChildTicks(text: string): number | null {
  return statSum(text, 16, 17);
}

/** Ticks read by `parse` from `path`, in seconds; null when unreadable. */
function readSeconds(path: string, parse: (text: string) => number | null): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return null;
  }
  const ticks = parse(text);
  return ticks === null ? null : ticks / ticksPerSecond;
}

/**
 * CPU seconds of this process's children that have exited and been waited
 * for, so far: what a load generator spent over its whole life, once it has
 * exited (its /proc/PID/stat is gone by then).
 */
export function exitedChildrenCpuSeconds(): number | null {
  return readSeconds("/proc/self/stat", parseStatChildTicks);
}

/** CPU seconds (user+sys) of this process, every thread, so far (/proc/self/stat), or null. */
export function ownCpuSeconds(): number | null {
  return readSeconds("/proc/self/stat", parseStatTicks);
}

/** CPU seconds (user+sys) used so far by `pid` and its live descendants, or null when gone. */
export function cpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
  const ticks = parseStatTicks(text);
  if (ticks === null) return null;
  let total = ticks / ticksPerSecond;
  for (const child of childPids(pid)) total += cpuSeconds(child) ?? 0;
  return total;
}
