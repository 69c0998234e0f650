/**
 * `-d`: run in the background. The parent checks the configuration, then
 * starts the same program again without `-d`, detached (own process group,
 * stdin/stdout/stderr on /dev/null), and waits until the child reports that
 * its listeners are up (exit 0) or that it failed (the error is printed,
 * exit 1). The child reports through a file named in {@link READY_ENV}.
 *
 * @module
 */

import { RUN_FLAGS } from "../runtime/v8_flags.ts";

/** Environment variable naming the file the daemon child reports readiness in. */
export const READY_ENV = "NUTMEG_DAEMON_READY_FILE";
/** How long the parent waits for the child's report. */
const READY_TIMEOUT_MS = 15_000;

/** The command line that runs this program again with `args`. */
function selfCommand(args: readonly string[]): { cmd: string; args: string[] } {
  const main = Deno.mainModule;
  // A `deno compile`d binary runs its embedded module directly.
  if (main.includes("deno-compile-")) return { cmd: Deno.execPath(), args: [...args] };
  // With the start task's options: the child is the proxy that serves.
  return {
    cmd: Deno.execPath(),
    args: ["run", "-A", ...RUN_FLAGS, new URL(main).pathname, ...args],
  };
}

/** `args` without `-d` / `--daemonize` (also inside a group of short flags like `-dt`). */
export function withoutDaemonize(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (a === "-d" || a === "--daemonize") continue;
    if (/^-[A-Za-z?]+$/.test(a) && a.includes("d") && !/[vocsaipm]/.test(a.slice(1, -1))) {
      const rest = a.replace(/d/g, "");
      if (rest !== "-") out.push(rest);
      continue;
    }
    out.push(a);
  }
  return out;
}

/**
 * Starts the daemon child and waits for its report. Returns the exit code
 * for the parent; `write` prints the child's error.
 */
export async function daemonize(
  args: readonly string[],
  write: (text: string) => void,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "nutmeg-daemon-" });
  const readyFile = `${dir}/ready`;
  try {
    const { cmd, args: childArgs } = selfCommand(withoutDaemonize(args));
    const child = new Deno.Command(cmd, {
      args: childArgs,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
      env: { [READY_ENV]: readyFile },
    }).spawn();
    child.unref();
    const until = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < until) {
      let text: string | null = null;
      try {
        text = await Deno.readTextFile(readyFile);
      } catch {
        // not written yet
      }
      if (text !== null && text.endsWith("\n")) {
        if (text === "ok\n") return 0;
        write(text);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    write("nutmeg: the daemon did not report ready in time\n");
    return 1;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** In the daemon child: reports `ok` or an error line to the parent, once. */
export function reportReady(error: string | null): void {
  const file = Deno.env.get(READY_ENV);
  if (file === undefined) return;
  Deno.env.delete(READY_ENV);
  try {
    Deno.writeTextFileSync(`${file}.tmp`, error === null ? "ok\n" : `nutmeg: ${error}\n`);
    Deno.renameSync(`${file}.tmp`, file);
  } catch {
    // the parent is gone
  }
}
