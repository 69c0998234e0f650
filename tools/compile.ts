/**
 * `deno task compile [target...]`: builds standalone nutmeg executables with
 * `deno compile` into dist/. `deno compile` downloads the runtime for each
 * target; where that download cannot be reached this fails with a clear
 * message instead of hanging (the release workflow builds the binaries).
 *
 * @module
 */
import { V8_FLAGS_ARG } from "../lib/runtime/v8_flags.ts";

/** Every target `deno compile` supports. */
export const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
] as const;

/** How long the runtime download may take before we give up. */
const TIMEOUT_MS = 120_000;

async function compile(target: string): Promise<boolean> {
  const exe = target.includes("windows") ? ".exe" : "";
  const out = `dist/nutmeg-${target}${exe}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "compile",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-sys",
      "--allow-run",
      // lib/signals/inspector.ts sets SIGUSR1 to SIG_IGN through libc.
      "--allow-ffi",
      // --workers: SO_REUSEPORT listeners, and the worker module.
      "--unstable-net",
      V8_FLAGS_ARG,
      "--include",
      "lib/runtime/worker_main.ts",
      // Imported dynamically, only by a tls_ca listener (keeps node:tls out of start-up).
      "--include",
      "lib/net/tls_client_auth.ts",
      "--target",
      target,
      "--output",
      out,
      "main.ts",
    ],
    stdout: "inherit",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const { code, stderr, signal } = await child.output();
  clearTimeout(timer);
  const text = new TextDecoder().decode(stderr);
  if (code === 0) {
    console.log(`built ${out}`);
    return true;
  }
  if (signal !== null || /dns|connect|network|download|tcp|timed out/i.test(text)) {
    console.error(
      `compile ${target}: cannot download the Deno runtime for this target (no internet access?).\n` +
        `Build on a machine with internet access, or use the release workflow (.github/workflows/release.yml).\n` +
        text.split("\n").filter((l) => /error|download/i.test(l)).map((l) => l.trim()).join("\n"),
    );
  } else {
    console.error(`compile ${target} failed:\n${text}`);
  }
  return false;
}

if (import.meta.main) {
  const targets = Deno.args.length > 0 ? Deno.args : [...TARGETS];
  let ok = true;
  for (const t of targets) ok = (await compile(t)) && ok;
  Deno.exit(ok ? 0 : 1);
}
