/**
 * End-to-end: `deno run -A main.ts <flags>` behaves like nutcracker 0.5.0,
 * compared with facts recorded from it in tests/fixtures/conf/ (record.sh
 * there re-records them; nutcracker is not needed to run these tests).
 */
import assert from "node:assert/strict";
import { describeStats } from "../lib/stats/metrics.ts";
import { RUN_FLAGS } from "../lib/runtime/v8_flags.ts";
import meta from "../deno.json" with { type: "json" };
import { freePort, RawClient, startRedis } from "./_support/servers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const FIXTURES = new URL("fixtures/conf/", import.meta.url);
const GOOD = "tests/fixtures/conf/cases/good_minimal.yml.txt";
const BANNER = `This is nutmeg-${meta.version}`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `deno run -A main.ts ...args` from the repository root. */
async function nutmeg(args: readonly string[], signal?: AbortSignal): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    ...(signal === undefined ? {} : { signal }),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Shell-like split of a recorded argument line (no quoting is used in it). */
function words(line: string): string[] {
  return line.split(/\s+/).filter((w) => w !== "");
}

interface FlagFact {
  readonly args: string;
  readonly exit: number;
  readonly first_line: string;
}

const FLAG_FACTS: readonly FlagFact[] = JSON.parse(
  await Deno.readTextFile(new URL("nutcracker_flags.json", FIXTURES)),
);

/** Where nutmeg differs from nutcracker on purpose (see lib/cli/flags.ts). */
const DEVIATIONS: Readonly<Record<string, { exit: number; why: string }>> = {
  [`-i 0 -t -c ${GOOD}`]: { exit: 1, why: "a 0 ms stats interval makes nutcracker spin" },
  [`-t -c ${GOOD} extra`]: { exit: 1, why: "nutcracker ignores stray arguments" },
  "-?": { exit: 0, why: "nutcracker's usage lists -? but rejects it" },
  [`-v 20 -t -c ${GOOD}`]: { exit: 1, why: "nutcracker clamps -v to 11, hiding a typo" },
};

Deno.test("main.ts -h prints nutcracker's usage layout on stdout, naming nutmeg", async () => {
  const run = await nutmeg(["-h"]);
  assert.equal(run.code, 0);
  assert.equal(run.stderr, "");
  const ours = run.stdout.split("\n");
  assert.equal(ours[0], BANNER);
  assert.equal(ours[1], "");
  assert.equal(ours[2], "Usage: nutmeg [-?hVdDt] [-v verbosity level] [-o output file]");
  const theirs = (await Deno.readTextFile(new URL("nutcracker_help.txt", FIXTURES))).split("\n");
  // Same option lines up to the ':' column, in the same order.
  const options = (lines: string[]) =>
    lines.filter((l) => /^ {2}-\S, --/.test(l)).map((l) => l.slice(0, 25));
  assert.deepEqual(options(ours), options(theirs));
  assert.equal(options(ours).length, 13);
  assert.ok(run.stdout.includes("(default: conf/nutcracker.yml)"));
  assert.ok(run.stdout.includes("set logging file (default: stderr)"));
});

Deno.test("main.ts -V prints This is nutmeg-<version> on stdout", async () => {
  const run = await nutmeg(["-V"]);
  assert.deepEqual(run, { code: 0, stdout: `${BANNER}\n\n`, stderr: "" });
  assert.deepEqual(await nutmeg(["--version"]), run);
});

Deno.test("main.ts -D prints what nutcracker -D prints after its banner, on stdout", async () => {
  const run = await nutmeg(["-D"]);
  assert.equal(run.code, 0);
  assert.equal(run.stderr, "");
  const theirs = await Deno.readTextFile(new URL("nutcracker_describe_stats.txt", FIXTURES));
  const [banner, backend, ...theirBody] = theirs.split("\n");
  assert.equal(banner, "This is nutcracker-0.5.0");
  assert.equal(backend, "async event backend: epoll");
  const [ourBanner, ...ourBody] = run.stdout.split("\n");
  assert.equal(ourBanner, BANNER);
  assert.equal(ourBody.join("\n"), theirBody.join("\n"));
  assert.equal(run.stdout, `${BANNER}\n\n${describeStats()}`);
});

Deno.test("main.ts -t accepts a good file on stderr, exit 0", async () => {
  const run = await nutmeg(["-t", "-c", GOOD]);
  assert.deepEqual(run, {
    code: 0,
    stdout: "",
    stderr: `nutmeg: configuration file '${GOOD}' syntax is ok\n`,
  });
});

Deno.test("main.ts -t names the error, then says the file is invalid, exit 1", async () => {
  const bad = "tests/fixtures/conf/cases/bad_hash.yml.txt";
  const run = await nutmeg(["-t", "-c", bad]);
  assert.equal(run.code, 1);
  assert.equal(run.stdout, "");
  const [error, verdict, rest] = run.stderr.split("\n");
  assert.match(
    error ?? "",
    new RegExp(
      `^${bad}:3:9: pool 'alpha': key 'hash': unknown hash 'fnv2'; use one of one_at_a_time, md5, `,
    ),
  );
  assert.equal(verdict, `nutmeg: configuration file '${bad}' syntax is invalid`);
  assert.equal(rest, "");

  const missing = await nutmeg(["-t", "-c", "tests/fixtures/conf/cases/missing.yml.txt"]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /^tests\/fixtures\/conf\/cases\/missing\.yml\.txt: cannot read the configuration file: /,
  );
  assert.match(missing.stderr, /syntax is invalid\n$/);
});

Deno.test("main.ts -t passes every conf/ file", async () => {
  const files = ["conf/nutcracker.yml"];
  for await (const e of Deno.readDir(new URL("../conf/examples/", import.meta.url))) {
    if (e.name.endsWith(".yml")) files.push(`conf/examples/${e.name}`);
  }
  const runs = await Promise.all(files.map((f) => nutmeg(["-t", "-c", f])));
  for (const [i, run] of runs.entries()) {
    assert.deepEqual(run, {
      code: 0,
      stdout: "",
      stderr: `nutmeg: configuration file '${files[i]}' syntax is ok\n`,
    });
  }
});

Deno.test("main.ts exits as nutcracker does for each recorded command line", async () => {
  assert.ok(FLAG_FACTS.length > 40);
  const runs = await Promise.all(FLAG_FACTS.map((f) => nutmeg(words(f.args))));
  for (const [i, fact] of FLAG_FACTS.entries()) {
    const run = runs[i];
    assert.ok(run);
    const deviation = DEVIATIONS[fact.args];
    const where = `nutmeg ${fact.args}\n${run.stderr}`;
    assert.equal(run.code, deviation?.exit ?? fact.exit, where);
    // What was asked for (banner, help, stats description) is on stdout; the rest on stderr.
    if (deviation !== undefined) continue;
    const banner = fact.first_line.startsWith("This is nutcracker-");
    assert.equal(banner ? run.stderr : run.stdout, "", where);
    const first = (banner ? run.stdout : run.stderr).split("\n")[0] ?? "";
    // The -t verdict carries nutmeg's name; the rest of the line is nutcracker's.
    const verdict = fact.first_line.replace(
      /^nutcracker: configuration file/,
      "nutmeg: configuration file",
    );
    if (banner) {
      assert.equal(first, BANNER, where);
    } else if (fact.first_line.startsWith("nutcracker: configuration file")) {
      if (fact.exit === 0) assert.equal(first, verdict, where);
      else assert.equal(run.stderr.trimEnd().split("\n").at(-1), verdict, where);
    } else {
      // A bad flag: one line, naming the flag nutcracker names.
      assert.equal(run.stderr.split("\n").length, 2, where);
      assert.match(first, /^nutmeg: /, where);
      const flag = /option (-[A-Za-z])\b/.exec(fact.first_line)?.[1];
      if (flag !== undefined) assert.ok(first.includes(flag), where);
    }
  }
});

Deno.test("main.ts names the allowed range of out-of-range values", async () => {
  const cases: [string[], string][] = [
    [["-s", "0"], "option -s (--stats-port) requires a number from 1 to 65535, not '0'"],
    [["-m", "100"], "option -m (--mbuf-size) requires a number from 512 to 16777216, not '100'"],
    [["-v", "-1"], "option -v (--verbose) requires a number from 0 to 11, not '-1'"],
    [["-v", "12"], "option -v (--verbose) requires a number from 0 to 11, not '12'"],
    [["-s", "70000"], "option -s (--stats-port) requires a number from 1 to 65535, not '70000'"],
    [["-i", "0"], "option -i (--stats-interval) requires a number from 1 to 2147483647, not '0'"],
  ];
  const runs = await Promise.all(cases.map(([args]) => nutmeg(args)));
  for (const [i, [args, message]] of cases.entries()) {
    assert.deepEqual(
      runs[i],
      { code: 1, stdout: "", stderr: `nutmeg: ${message}\n` },
      args.join(" "),
    );
  }
});

Deno.test("main.ts -d checks the configuration in the foreground before detaching", async () => {
  const run = await nutmeg([
    "-d",
    "-c",
    "tests/fixtures/conf/cases/bad_server_weight_zero.yml.txt",
  ]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /syntax is invalid\n$/);
});

Deno.test("main.ts -d runs the proxy in the background: parent exits 0 once it listens", async () => {
  await using backend = await startRedis();
  const dir = await Deno.makeTempDir();
  const port = freePort();
  const pidFile = `${dir}/nutmeg.pid`;
  const conf = `${dir}/d.yml`;
  await Deno.writeTextFile(
    conf,
    `alpha:\n  listen: 127.0.0.1:${port}\n  redis: true\n  servers:\n    - 127.0.0.1:${backend.port}:1\n`,
  );
  let pid = 0;
  try {
    const run = await nutmeg(["-d", "-c", conf, "-p", pidFile, "-s", String(freePort())]);
    assert.equal(run.code, 0, run.stderr);
    pid = Number((await Deno.readTextFile(pidFile)).trim());
    assert.ok(pid > 0 && pid !== Deno.pid);
    if (Deno.build.os === "linux") {
      // The child runs with the start task's options (the V8 flags among them).
      const cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
      for (const flag of RUN_FLAGS) assert.ok(cmdline.includes(flag), `${cmdline.join(" ")}`);
    }
    // Listening already when the parent returned.
    await using c = await RawClient.connect(port);
    await c.send("*3\r\n$3\r\nSET\r\n$1\r\nd\r\n$2\r\nok\r\n*2\r\n$3\r\nGET\r\n$1\r\nd\r\n");
    assert.equal(await c.readText(13), "+OK\r\n$2\r\nok\r\n");
    await c.close();
    Deno.kill(pid, "SIGTERM");
    const until = Date.now() + 10_000;
    while (await exists(pidFile) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await exists(pidFile), false, "pid file removed at exit");
    pid = 0;
  } finally {
    if (pid > 0) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("main.ts does not start on a bad configuration (no -t)", async () => {
  const run = await nutmeg(["-c", "tests/fixtures/conf/cases/bad_server_weight_zero.yml.txt"]);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /bad_server_weight_zero\.yml\.txt:4:7: pool 'alpha': key 'servers': the weight is 0; use a weight of 1 or more\n/,
  );
  assert.match(run.stderr, /syntax is invalid\n$/);
});

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`Cannot see ${what} after 6 s`);
}

Deno.test({
  name: "main.ts runs the proxy with a pid file and log file, and cleans up on SIGTERM",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const conf = `${dir}/n.yml`;
      const pid = `${dir}/n.pid`;
      const log = `${dir}/n.log`;
      await Deno.writeTextFile(
        conf,
        `alpha:\n  listen: 127.0.0.1:${freePort()}\n  redis: true\n  servers:\n    - 127.0.0.1:${freePort()}:1\n`,
      );
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "main.ts",
          "-c",
          conf,
          "-p",
          pid,
          "-o",
          log,
          "-s",
          String(freePort()),
          "-a",
          "127.0.0.1",
        ],
        cwd: ROOT,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const exists = async (path: string) => {
        try {
          return (await Deno.readTextFile(path)).length > 0;
        } catch {
          return false;
        }
      };
      await waitFor(() => exists(pid), "the pid file");
      assert.equal(await Deno.readTextFile(pid), String(child.pid));
      // The pid file is written before the banner is logged (as nutcracker
      // does): signal only once the banner is there, so it stays line 1.
      await waitFor(
        async () => (await Deno.readTextFile(log).catch(() => "")).includes(" started on pid "),
        "the start banner",
      );
      child.kill("SIGTTIN");
      await waitFor(
        async () => (await Deno.readTextFile(log)).includes("up log level to 6"),
        "SIGTTIN's effect",
      );
      child.kill("SIGTERM");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      assert.equal(stderr, "");
      await assert.rejects(() => Deno.stat(pid), Deno.errors.NotFound);
      const lines = (await Deno.readTextFile(log)).trimEnd().split("\n");
      assert.match(
        lines[0] ?? "",
        new RegExp(
          `^\\[[-0-9 :.]{23}\\] nutmeg-${meta.version} built for .* started on pid ${child.pid}$`,
        ),
      );
      assert.match(
        lines.at(-2) ?? "",
        /^\[[-0-9 :.]{23}\] stopped: listeners and stats port closed, every connection closed$/,
      );
      assert.match(
        lines.at(-1) ?? "",
        new RegExp(
          `^\\[[-0-9 :.]{23}\\] nutmeg-${meta.version} on pid ${child.pid} exiting with status 0$`,
        ),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
