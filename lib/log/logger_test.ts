import assert from "node:assert/strict";
import { Logger } from "./logger.ts";
import { LogLevel } from "./levels.ts";

const FIXED = () => new Date(2026, 10, 23, 22, 19, 29, 69);
const STAMP = "[2026-11-23 22:19:29.069]";

async function withDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("Logger writes enabled levels to its file, in twemproxy's format", () =>
  withDir(async (dir) => {
    const file = `${dir}/n.log`;
    const log = new Logger({ level: LogLevel.INFO, file, now: FIXED });
    assert.equal(log.file, file);
    log.emerg("emerg");
    log.alert("alert");
    log.crit("crit");
    log.error("error");
    log.warn("warn");
    log.notice("notice");
    log.info("info");
    log.debug("debug");
    log.verb("verb");
    log.vverb("vverb");
    log.vvverb("vvverb");
    log.pverb("pverb");
    log.log(6, "six");
    log.log(7, "seven");
    log.always("always");
    log.close();
    const lines = (await Deno.readTextFile(file)).split("\n");
    assert.deepEqual(lines, [
      ...["emerg", "alert", "crit", "error", "warn", "notice", "info", "six", "always"].map((m) =>
        `${STAMP} ${m}`
      ),
      "",
    ]);
    assert.equal(log.errors, 0);
  }));

Deno.test("Logger.enabled() lets callers skip formatting", () => {
  const log = new Logger({ level: LogLevel.NOTICE });
  assert.equal(log.level, 5);
  assert.ok(log.enabled(LogLevel.EMERG));
  assert.ok(log.enabled(LogLevel.NOTICE));
  assert.ok(!log.enabled(LogLevel.INFO));
  log.level = 99;
  assert.equal(log.level, 11);
  assert.ok(log.enabled(LogLevel.PVERB));
  log.level = -4;
  assert.equal(log.level, 0);
  assert.equal(new Logger({ level: 42 }).level, 11);
  assert.equal(new Logger().level, 5);
});

Deno.test("Logger.raise() and lower() step the level within 0..11 and say so", () =>
  withDir(async (dir) => {
    const file = `${dir}/n.log`;
    const log = new Logger({ level: 10, file, now: FIXED });
    log.raise();
    log.raise();
    assert.equal(log.level, 11);
    log.lower();
    assert.equal(log.level, 10);
    log.level = 0;
    log.lower();
    assert.equal(log.level, 0);
    log.close();
    assert.equal(
      await Deno.readTextFile(file),
      `${STAMP} up log level to 11\n${STAMP} down log level to 10\n`,
    );
  }));

Deno.test("Logger.reopen() lets go of a rotated file", () =>
  withDir(async (dir) => {
    const file = `${dir}/n.log`;
    const log = new Logger({ file, now: FIXED });
    log.notice("before");
    await Deno.rename(file, `${dir}/n.log.1`);
    log.notice("still to the old file");
    log.reopen();
    log.notice("after");
    log.close();
    assert.equal(
      await Deno.readTextFile(`${dir}/n.log.1`),
      `${STAMP} before\n${STAMP} still to the old file\n`,
    );
    assert.equal(await Deno.readTextFile(file), `${STAMP} after\n`);
  }));

Deno.test("Logger.reopen() falls back to stderr when the file cannot be reopened, without throwing", () =>
  withDir(async (dir) => {
    const sub = `${dir}/sub`;
    await Deno.mkdir(sub);
    let stderr = "";
    const log = new Logger({
      file: `${sub}/n.log`,
      now: FIXED,
      stderr: { writeSync: (data) => (stderr += new TextDecoder().decode(data), data.length) },
    });
    await Deno.remove(sub, { recursive: true });
    log.reopen();
    assert.equal(log.file, null);
    log.notice("to stderr");
    log.close();
    assert.match(
      stderr,
      /^\[[-0-9 :.]{23}\] reopening log file failed, logging to stderr: Cannot open log file '.*n\.log': /,
    );
    assert.ok(stderr.endsWith(`${STAMP} to stderr\n`));
  }));

Deno.test("Logger.configure() switches file and level, and refuses a file it cannot open", () =>
  withDir(async (dir) => {
    const log = new Logger({ now: FIXED });
    assert.equal(log.file, null);
    log.configure({ level: 7, file: `${dir}/a.log` });
    assert.equal(log.level, 7);
    log.debug("to a");
    assert.throws(
      () => log.configure({ file: `${dir}/missing/b.log` }),
      /Cannot open log file '.*b\.log'/,
    );
    log.debug("still to a");
    log.configure({ file: null });
    assert.equal(log.file, null);
    log.close();
    assert.equal(await Deno.readTextFile(`${dir}/a.log`), `${STAMP} to a\n${STAMP} still to a\n`);
    assert.throws(() => new Logger({ file: `${dir}/missing/c.log` }), /Cannot open log file/);
  }));

Deno.test({
  name: "Logger never throws when a write fails, and counts the failure",
  ignore: Deno.build.os !== "linux",
  fn() {
    // Every write to /dev/full fails with ENOSPC.
    const log = new Logger({ file: "/dev/full", now: FIXED });
    assert.doesNotThrow(() => log.notice("lost"));
    assert.doesNotThrow(() => log.always("lost too"));
    assert.equal(log.errors, 2);
    log.close();
  },
});
