import assert from "node:assert/strict";
import { DEFAULT_RUN_OPTIONS, FLAGS, parseFlags, UsageError } from "./flags.ts";

Deno.test("parseFlags() applies nutmeg's defaults", () => {
  const flags = parseFlags([]);
  assert.deepEqual(flags, {
    help: false,
    version: false,
    testConf: false,
    describeStats: false,
    options: {
      confFile: "conf/nutcracker.yml",
      verbosity: 5,
      logFile: null,
      statsPort: 22222,
      statsAddr: "0.0.0.0",
      statsInterval: 30000,
      pidFile: null,
      mbufSize: 16384,
      daemonize: false,
      watch: false,
      workers: 1,
    },
  });
  assert.deepEqual(flags.options, DEFAULT_RUN_OPTIONS);
});

Deno.test("parseFlags() reads values the ways getopt_long does", () => {
  for (
    const args of [
      ["-v7"],
      ["-v", "7"],
      ["--verbose=7"],
      ["--verbose", "7"],
      ["--verb=7"],
      ["--verb", "7"],
      ["-v", "07"],
    ]
  ) {
    assert.equal(parseFlags(args).options.verbosity, 7, args.join(" "));
  }
  const f = parseFlags([
    "-tcx.yml",
    "-Dd",
    "-o",
    "n.log",
    "-s22223",
    "-a",
    "127.0.0.1",
    "-i",
    "1000",
    "-p",
    "n.pid",
    "-m",
    "512",
  ]);
  assert.equal(f.testConf, true);
  assert.equal(f.describeStats, true);
  assert.deepEqual(f.options, {
    confFile: "x.yml",
    verbosity: 5,
    logFile: "n.log",
    statsPort: 22223,
    statsAddr: "127.0.0.1",
    statsInterval: 1000,
    pidFile: "n.pid",
    mbufSize: 512,
    daemonize: true,
    watch: false,
    workers: 1,
  });
  assert.equal(parseFlags(["--conf-file=a.yml", "--conf-file", "b.yml"]).options.confFile, "b.yml");
  assert.equal(parseFlags(["-c", "-weird.yml"]).options.confFile, "-weird.yml");
  assert.equal(parseFlags(["-c", "--ver"]).options.confFile, "--ver", "a value is never an option");
  assert.equal(parseFlags(["--conf", "--ver"]).options.confFile, "--ver");
  assert.equal(parseFlags(["-tc", "-?"]).options.confFile, "-?");
  assert.equal(parseFlags(["-o", "-"]).options.logFile, "-");
  assert.equal(parseFlags(["-t", "--"]).testConf, true);
});

Deno.test("parseFlags() knows every switch by letter and by name", () => {
  for (
    const [args, key] of [
      [["-h"], "help"],
      [["--help"], "help"],
      [["-?"], "help"],
      [["-V"], "version"],
      [["--version"], "version"],
      [["-t"], "testConf"],
      [["--test-conf"], "testConf"],
      [["-D"], "describeStats"],
      [["--describe-stats"], "describeStats"],
    ] as const
  ) {
    assert.equal(parseFlags(args)[key], true, args.join(" "));
  }
  assert.equal(parseFlags(["--daemonize"]).options.daemonize, true);
});

Deno.test("parseFlags() refuses -v above 11 (nutcracker clamps it)", () => {
  assert.equal(parseFlags(["-v", "11"]).options.verbosity, 11);
  assert.equal(parseFlags(["-v", "0"]).options.verbosity, 0);
  for (const v of ["12", "20", "99999999999999999999"]) {
    assert.throws(
      () => parseFlags(["-v", v]),
      /option -v \(--verbose\) requires a number from 0 to 11/,
    );
  }
});

Deno.test("parseFlags() accepts the range ends", () => {
  assert.equal(parseFlags(["-s", "1"]).options.statsPort, 1);
  assert.equal(parseFlags(["-s", "65535"]).options.statsPort, 65535);
  assert.equal(parseFlags(["-m", "512"]).options.mbufSize, 512);
  assert.equal(parseFlags(["-m", "16777216"]).options.mbufSize, 16777216);
  assert.equal(parseFlags(["-i", "1"]).options.statsInterval, 1);
  assert.equal(parseFlags(["-i", "2147483647"]).options.statsInterval, 2147483647);
  assert.equal(parseFlags(["-a", "::1"]).options.statsAddr, "::1");
  assert.equal(parseFlags(["-a", "localhost"]).options.statsAddr, "localhost");
  assert.equal(parseFlags(["-o", ""]).options.logFile, null, "an empty -o means stderr");
});

Deno.test("parseFlags() refuses bad flags in one line naming the flag and what it takes", () => {
  const cases: [string[], string][] = [
    [["-x"], "invalid option '-x'"],
    [["--foo"], "invalid option '--foo'"],
    [["--ver"], "option '--ver' is ambiguous; use --version or --verbose"],
    [["--help=3"], "option -h (--help) takes no value"],
    [["-c"], "option -c (--conf-file) requires a file name"],
    [["-o"], "option -o (--output) requires a file name"],
    [["-p"], "option -p (--pid-file) requires a file name"],
    [["-p", ""], "option -p (--pid-file) requires a file name, not ''"],
    [["-a"], "option -a (--stats-addr) requires a string"],
    [["-a", "not a host"], "option -a (--stats-addr) requires a host name or IP address"],
    [["-v"], "option -v (--verbose) requires a number from 0 to 11"],
    [["-v", "-1"], "option -v (--verbose) requires a number from 0 to 11, not '-1'"],
    [["-v", "abc"], "requires a number from 0 to 11, not 'abc'"],
    [["-v", "5x"], "not '5x'"],
    [["-s", "0"], "option -s (--stats-port) requires a number from 1 to 65535, not '0'"],
    [["-s", "65536"], "from 1 to 65535, not '65536'"],
    [["-s", "-t"], "from 1 to 65535, not '-t'"],
    [["-i", "0"], "option -i (--stats-interval) requires a number from 1 to 2147483647, not '0'"],
    [["-i", "-5"], "not '-5'"],
    [["-m", "511"], "option -m (--mbuf-size) requires a number from 512 to 16777216, not '511'"],
    [["-m", "16777217"], "not '16777217'"],
    [["-m", "0"], "not '0'"],
    [["extra"], "unexpected argument 'extra'"],
    [["-t", "--", "x"], "unexpected argument 'x'"],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseFlags(args), (e: unknown) => {
      assert.ok(e instanceof UsageError, args.join(" "));
      assert.ok(e.message.includes(message), `${args.join(" ")}: ${e.message}`);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("parseFlags() reads in order, as getopt does: the first bad argument is the one named", () => {
  assert.throws(() => parseFlags(["-x", "--ver"]), /invalid option '-x'/);
  assert.throws(() => parseFlags(["--ver", "-x"]), /option '--ver' is ambiguous/);
  assert.throws(() => parseFlags(["extra", "-x"]), /unexpected argument 'extra'/);
  assert.throws(() => parseFlags(["-s", "0", "--foo"]), /--stats-port\) requires .*, not '0'/);
  assert.throws(() => parseFlags(["--foo", "-s", "0"]), /invalid option '--foo'/);
  // A bad value is refused even when a later flag replaces it (nutcracker too).
  assert.throws(() => parseFlags(["-v", "abc", "-v", "5"]), /not 'abc'/);
  assert.throws(() => parseFlags(["--verbose", "--h", "-v5"]), /not '--h'/);
  assert.throws(() => parseFlags(["--workers", "0", "--workers", "2"]), /--workers requires/);
  assert.equal(parseFlags(["-v", "3", "-v", "5"]).options.verbosity, 5, "the last value wins");
  assert.equal(parseFlags(["-o", "a.log", "-o", ""]).options.logFile, null);
});

Deno.test("--watch is long only, off by default, and takes no value", () => {
  assert.equal(parseFlags([]).options.watch, false);
  assert.equal(parseFlags(["--watch"]).options.watch, true);
  assert.equal(parseFlags(["--wat"]).options.watch, true);
  assert.throws(() => parseFlags(["--watch=1"]), /--watch takes no value/);
  assert.throws(() => parseFlags(["-w"]), /invalid option '-w'/);
  assert.equal(FLAGS.find((f) => f.long === "watch")?.short, null);
});

Deno.test("--workers is long only: 1 by default, a whole number 1..256 or auto", () => {
  assert.equal(parseFlags([]).options.workers, 1);
  assert.equal(parseFlags(["--workers", "4"]).options.workers, 4);
  assert.equal(parseFlags(["--workers=auto"]).options.workers, "auto");
  assert.equal(parseFlags(["--work", "2"]).options.workers, 2);
  for (const bad of ["0", "-1", "1.5", "257", "two", ""]) {
    assert.throws(
      () => parseFlags(["--workers", bad]),
      /--workers requires a whole number from 1 to 256 or 'auto'/,
    );
  }
  assert.throws(() => parseFlags(["--workers"]), /--workers/);
  assert.equal(FLAGS.find((f) => f.long === "workers")?.short, null);
});

Deno.test("FLAGS has nutcracker's letters and long names", () => {
  assert.deepEqual(
    FLAGS.filter((f) => f.short !== null).map((f) => `${f.short}:${f.long}`),
    [
      "h:help",
      "V:version",
      "t:test-conf",
      "d:daemonize",
      "D:describe-stats",
      "v:verbose",
      "o:output",
      "c:conf-file",
      "s:stats-port",
      "a:stats-addr",
      "i:stats-interval",
      "p:pid-file",
      "m:mbuf-size",
    ],
  );
});
