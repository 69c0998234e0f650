/**
 * The `nutmeg` command: nutcracker's flags and behaviour. What was asked
 * for (`-h`, `-V`, `-D`) goes to stdout, so `nutmeg -h | less` works;
 * errors and `-t` verdicts go to stderr, as in nutcracker.
 *
 * @module
 */
import { type CliFlags, parseFlags, UsageError } from "./flags.ts";
import type { RunOptions } from "./options.ts";
import { usage } from "./usage.ts";
import { VERSION, VERSION_LINE } from "./version.ts";
import { removePidFile, writePidFile } from "./pid_file.ts";
import { ConfigError } from "../config/errors.ts";
import { loadConfigBytes } from "../config/load.ts";
import type { Config } from "../config/types.ts";
import { describeStats } from "../stats/metrics.ts";
import { logger } from "../log/default_logger.ts";
import { installLogSignals } from "../log/signals.ts";
import { inspectorGuard } from "../signals/inspector.ts";
import { onSigusr2 } from "../signals/sigusr2.ts";
import { runProxy } from "../runtime/runtime.ts";
import { dropStartupPages } from "../runtime/startup_pages.ts";
import { daemonize, reportReady } from "./daemon.ts";

/** Where {@link runCli} writes; stderr and stdout unless a test says otherwise. */
export interface CliIo {
  /** Writes `text` as is to stderr (errors, `-t` verdicts). */
  readonly write: (text: string) => void;
  /** Writes `text` as is to stdout (`-h`, `-V`, `-D`). @default {@link CliIo.write} */
  readonly out?: (text: string) => void;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let done = 0;
  while (done < bytes.length) done += file.writeSync(bytes.subarray(done));
}

const STDIO: CliIo = {
  write: (text) => writeAll(Deno.stderr, text),
  out: (text) => writeAll(Deno.stdout, text),
};

/**
 * The `-t` verdict line: nutcracker's, with nutmeg's name (scripts grep the
 * rest, `configuration file '...' syntax is ok`, which is unchanged).
 */
export function testConfLine(file: string, ok: boolean): string {
  return `nutmeg: configuration file '${file}' syntax is ${ok ? "ok" : "invalid"}\n`;
}

/** The configuration and the bytes it was read from. */
interface Loaded {
  readonly config: Config;
  readonly bytes: Uint8Array;
}

/** Loads the configuration, or prints why not (and the `-t` "invalid" line) and returns null. */
async function load(file: string, io: CliIo): Promise<Loaded | null> {
  try {
    return await loadConfigBytes(file);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    io.write(`${e.message}\n`);
    io.write(testConfLine(file, false));
    return null;
  }
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs nutmeg with command-line `args` (without the program name) and
 * resolves with the process exit code: 0 after `-h`, `-V`, `-D` or a good
 * `-t`; 1 for a bad flag or configuration; otherwise the proxy's own code.
 *
 * To run the proxy it configures the logger (`-v`, `-o`), wires the log
 * signals, loads the configuration, writes the pid file (`-p`, removed at
 * exit) and calls `runProxy`.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "./cli.ts";
 * Deno.exit(await runCli(["-t", "-c", "conf/nutcracker.yml"]));
 * ```
 */
export async function runCli(args: readonly string[], io: CliIo = STDIO): Promise<number> {
  let flags: CliFlags;
  try {
    flags = parseFlags(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.write(`nutmeg: ${e.message}\n`);
    return 1;
  }

  if (flags.help || flags.version || flags.describeStats) {
    const out = io.out ?? io.write;
    out(`${VERSION_LINE}\n\n`);
    if (flags.help) out(usage());
    if (flags.describeStats) out(describeStats());
    return 0;
  }

  const options = flags.options;
  if (flags.testConf) {
    const config = await load(options.confFile, io);
    if (config === null) return 1;
    io.write(testConfLine(options.confFile, true));
    return 0;
  }

  if (options.daemonize) {
    // Check the configuration in the foreground, where errors can be seen.
    if ((await load(options.confFile, io)) === null) return 1;
    return await daemonize(args, (text) => io.write(text));
  }
  return await run(options, io);
}

async function run(options: RunOptions, io: CliIo): Promise<number> {
  try {
    logger.configure({ level: options.verbosity, file: options.logFile });
  } catch (e) {
    io.write(`nutmeg: ${reason(e)}\n`);
    reportReady(reason(e));
    return 1;
  }
  // Before the pid file exists: a SIGTTIN sent as soon as it appears must
  // raise the level, not stop the process (its default action).
  const disposeSignals = installLogSignals(logger);
  // Likewise SIGINT/SIGTERM: from the pid file on, they stop cleanly.
  const stop = Promise.withResolvers<void>();
  const onStop = () => stop.resolve();
  const stopSignals: Deno.Signal[] = Deno.build.os === "windows" ? [] : ["SIGINT", "SIGTERM"];
  for (const s of stopSignals) Deno.addSignalListener(s, onStop);
  try {
    const loaded = await load(options.confFile, io);
    if (loaded === null) {
      reportReady(`configuration file '${options.confFile}' syntax is invalid`);
      return 1;
    }
    if (options.pidFile !== null) {
      try {
        await writePidFile(options.pidFile);
      } catch (e) {
        io.write(`nutmeg: ${reason(e)}\n`);
        reportReady(reason(e));
        return 1;
      }
    }
    return await serve(loaded, options, io, stop.promise);
  } finally {
    for (const s of stopSignals) Deno.removeSignalListener(s, onStop);
    disposeSignals();
    logger.close();
  }
}

/**
 * Deno does some work of its own about 500 ms after start that touches 4 MB
 * more of its executable, once: the start-up pages are let go after it.
 */
const DROP_AFTER_MS = 1000;

/** Unmaps the start-up pages of the deno executable once start-up is over (startup_pages.ts). */
function dropStartupPagesSoon(): void {
  const drop = () => {
    const dropped = dropStartupPages();
    if (dropped.dropped) {
      const mb = (dropped.kb / 1024).toFixed(1);
      logger.info(`start-up done: ${mb} MB of the deno executable's pages unmapped`);
    } else {
      logger.info(`start-up pages of the deno executable kept: ${dropped.why}`);
    }
  };
  const wait = DROP_AFTER_MS - performance.now();
  if (wait <= 0) drop();
  else Deno.unrefTimer(setTimeout(drop, wait));
}

/** Runs the proxy, then removes the pid file. */
async function serve(
  loaded: Loaded,
  options: RunOptions,
  io: CliIo,
  stop: Promise<void>,
): Promise<number> {
  const restoreSigusr2 = onSigusr2(() => logger.info("signal SIGUSR2 received, ignored"));
  logger.always(
    `nutmeg-${VERSION} built for ${Deno.build.os} ${Deno.build.arch} started on pid ${Deno.pid}`,
  );
  const guard = inspectorGuard();
  if (guard !== null && !guard.shut) logger.warn(guard.why);
  let code = 1;
  try {
    code = await runProxy(loaded.config, {
      confFile: options.confFile,
      configBytes: loaded.bytes,
      watch: options.watch,
      workers: options.workers,
      chunk: options.mbufSize,
      statsAddr: options.statsAddr,
      statsPort: options.statsPort,
      statsInterval: options.statsInterval,
      log: (level, message) => logger.log(level, message),
      logLevel: () => logger.level,
      stop,
    }, () => {
      reportReady(null);
      dropStartupPagesSoon();
    });
    return code;
  } catch (e) {
    logger.alert(reason(e));
    reportReady(reason(e));
    if (logger.file !== null) io.write(`nutmeg: ${reason(e)}\n`);
    return 1;
  } finally {
    restoreSigusr2();
    if (options.pidFile !== null) {
      const failed = await removePidFile(options.pidFile);
      if (failed !== null) {
        logger.error(`unlink of pid file '${options.pidFile}' failed, ignored: ${failed}`);
      }
    }
    logger.always(`nutmeg-${VERSION} on pid ${Deno.pid} exiting with status ${code}`);
  }
}
