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

/**
 * user+sys (clock ticks) from the text of /proc/PID/stat: fields 14 and 15,
 * counted after the parenthesised command name (which may hold spaces).
 */
export function parseStatTicks(text: string): number | null {
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
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
