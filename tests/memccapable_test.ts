/**
 * End-to-end: libmemcached's memccapable ASCII suite (`memccapable -a`)
 * through nutmeg, with 1- and 3-server pools: every one of its 27 ASCII
 * tests passes, none is skipped.
 *
 * No test has to be excused for sharding: memccapable checks the replies of
 * single-key commands, of a multi-get (which the proxy splits and merges),
 * of `flush_all` and `verbosity` (sent to every server, merged into one
 * `OK`), of `version` and of `stats` (answered by the proxy: a
 * `VERSION 1.6...` line, and `STAT name value` lines ending in END).
 */
import assert from "node:assert/strict";
import { startMemcacheds } from "./_support/servers.ts";
import { serverLines, startProxy } from "./_support/proxy.ts";

/** memccapable's ASCII tests, in the order it runs them. */
const ASCII_TESTS = [
  "version",
  "quit",
  "verbosity",
  "set",
  "set noreply",
  "get",
  "gets",
  "mget",
  "flush",
  "flush noreply",
  "add",
  "add noreply",
  "replace",
  "replace noreply",
  "cas",
  "cas noreply",
  "delete",
  "delete noreply",
  "incr",
  "incr noreply",
  "decr",
  "decr noreply",
  "append",
  "append noreply",
  "prepend",
  "prepend noreply",
  "stat",
].map((name) => `ascii ${name}`);

/** What memccapable reported: each test's status, its whole output and exit code. */
interface Outcome {
  readonly status: ReadonlyMap<string, string>;
  readonly text: string;
  readonly code: number;
}

/**
 * Splits memccapable's output into one block per test (the test's name
 * padded with spaces; a failing test may print what it read, over several
 * lines, before `[FAIL]`) and takes the last `[status]` of each block.
 */
function parseMemccapable(text: string): Map<string, string> {
  const status = new Map<string, string>();
  const names = [...text.matchAll(/ascii [a-z]+(?: [a-z]+)*? {2,}/g)];
  for (const [i, m] of names.entries()) {
    const end = names[i + 1]?.index ?? text.length;
    const block = text.slice(m.index + m[0].length, end);
    const marks = [...block.matchAll(/\[(pass|FAIL|skip)\]/g)];
    status.set(m[0].trimEnd(), marks.at(-1)?.[1] ?? "no status");
  }
  return status;
}

async function memccapable(port: number): Promise<Outcome> {
  // -a: ASCII tests only; -t: seconds to wait for each reply. A test's
  // status goes to stdout or stderr: both unbuffered into one pipe keep
  // the order in which memccapable wrote them.
  const command = `exec stdbuf -o0 -e0 memccapable -a -t 5 -h 127.0.0.1 -p ${port} 2>&1`;
  const child = new Deno.Command("sh", {
    args: ["-c", command],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    const text = dec.decode(out.stdout) + dec.decode(out.stderr);
    return { status: parseMemccapable(text), text, code: out.code };
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("parseMemccapable() reads passes, failures, what failures print, and tests with no status", () => {
  const status = parseMemccapable(
    "ascii version                           [pass]\n" +
      "ascii add                               [NOT_STORED\n]\n[FAIL]\n" +
      "ascii add noreply                       ascii stat                              [skip]\n" +
      "ascii quit                              [FAIL]\n" +
      "3 of 5 tests failed\n",
  );
  assert.deepEqual([...status], [
    ["ascii version", "pass"],
    ["ascii add", "FAIL"],
    ["ascii add noreply", "no status"],
    ["ascii stat", "skip"],
    ["ascii quit", "FAIL"],
  ]);
});

for (const [servers, chunk] of [[1, undefined], [3, undefined], [3, 512]] as const) {
  const how = chunk === undefined ? "" : ` (${chunk}-byte reads)`;
  Deno.test(`memccapable -a passes every ASCII test through a ${servers}-server pool${how}`, async () => {
    await using backends = await startMemcacheds(servers);
    await using proxy = await startProxy(
      `beta:\n  listen: AUTO\n  servers:\n${serverLines(backends.ports)}\n`,
      chunk,
    );
    const { status, text, code } = await memccapable(proxy.port);
    for (const test of ASCII_TESTS) {
      assert.equal(status.get(test), "pass", `${test}:\n${text}`);
    }
    assert.deepEqual([...status.keys()], ASCII_TESTS, text);
    assert.match(text, /^All tests passed$/m);
    assert.equal(code, 0, text);
  });
}
