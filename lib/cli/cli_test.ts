import assert from "node:assert/strict";
import { runCli, testConfLine } from "./cli.ts";
import { describeStats } from "../stats/metrics.ts";
import { usage } from "./usage.ts";
import { VERSION_LINE } from "./version.ts";

async function cli(...args: string[]): Promise<{ code: number; out: string }> {
  let out = "";
  const code = await runCli(args, { write: (text) => (out += text) });
  return { code, out };
}

const GOOD = "alpha:\n  listen: 127.0.0.1:22121\n  servers:\n    - 127.0.0.1:6379:1\n";

Deno.test("runCli() prints the version, help and stats description, then exits 0", async () => {
  assert.deepEqual(await cli("-V"), { code: 0, out: `${VERSION_LINE}\n\n` });
  assert.deepEqual(await cli("-h"), { code: 0, out: `${VERSION_LINE}\n\n${usage()}` });
  assert.deepEqual(await cli("-?"), { code: 0, out: `${VERSION_LINE}\n\n${usage()}` });
  assert.deepEqual(await cli("-D"), { code: 0, out: `${VERSION_LINE}\n\n${describeStats()}` });
  assert.deepEqual(await cli("-hD"), {
    code: 0,
    out: `${VERSION_LINE}\n\n${usage()}${describeStats()}`,
  });
  // As in nutcracker, -V wins over -t.
  assert.deepEqual(await cli("-t", "-V", "-c", "/nonexistent.yml"), {
    code: 0,
    out: `${VERSION_LINE}\n\n`,
  });
});

Deno.test("runCli() -t says whether the configuration is ok", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.yml`;
    const bad = `${dir}/bad.yml`;
    await Deno.writeTextFile(good, GOOD);
    await Deno.writeTextFile(bad, GOOD.replace("listen: 127.0.0.1:22121", "listen: 127.0.0.1:0"));
    assert.deepEqual(await cli("-t", "-c", good), { code: 0, out: testConfLine(good, true) });
    assert.equal(
      testConfLine(good, true),
      `nutmeg: configuration file '${good}' syntax is ok\n`,
    );
    const refused = await cli("-t", "-c", bad);
    assert.equal(refused.code, 1);
    assert.equal(
      refused.out,
      `${bad}:2:11: pool 'alpha': key 'listen': '0' is not a valid port; use a port from 1 to 65535\n` +
        `nutmeg: configuration file '${bad}' syntax is invalid\n`,
    );
    const missing = await cli("--test-conf", `--conf-file=${dir}/missing.yml`);
    assert.equal(missing.code, 1);
    assert.match(
      missing.out,
      /missing\.yml: cannot read the configuration file: .*\n.*syntax is invalid\n$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCli() refuses bad flags in one line, exit 1", async () => {
  assert.deepEqual(await cli("-x"), {
    code: 1,
    out: "nutmeg: invalid option '-x'; see -h for the options\n",
  });
  assert.deepEqual(await cli("-s", "0"), {
    code: 1,
    out: "nutmeg: option -s (--stats-port) requires a number from 1 to 65535, not '0'\n",
  });
});

Deno.test("runCli() does not start with a bad configuration or log file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.yml`;
    await Deno.writeTextFile(bad, GOOD.replace("6379:1", "6379:0"));
    const refused = await cli("-c", bad, "-p", `${dir}/n.pid`, "-o", `${dir}/n.log`);
    assert.equal(refused.code, 1);
    assert.match(refused.out, /the weight is 0; use a weight of 1 or more\n.*syntax is invalid\n$/);
    await assert.rejects(() => Deno.stat(`${dir}/n.pid`), Deno.errors.NotFound);
    const log = await cli("-c", bad, "-o", `${dir}/no/such/n.log`);
    assert.equal(log.code, 1);
    assert.match(log.out, /^nutmeg: Cannot open log file '.*n\.log': /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runCli() prints -h, -V and -D on stdout, errors on stderr", async () => {
  for (const args of [["-h"], ["-V"], ["-D"]]) {
    let out = "";
    let err = "";
    const code = await runCli(args, { write: (t) => (err += t), out: (t) => (out += t) });
    assert.equal(code, 0);
    assert.equal(err, "");
    assert.ok(out.startsWith(`${VERSION_LINE}\n\n`));
  }
  let out = "";
  let err = "";
  const code = await runCli(["-x"], { write: (t) => (err += t), out: (t) => (out += t) });
  assert.equal(code, 1);
  assert.equal(out, "");
  assert.match(err, /^nutmeg: /);
});
