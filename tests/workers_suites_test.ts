/**
 * The end-to-end suites' placement, split, fault and stats files again,
 * unchanged, with several workers: each run is `deno test -A --parallel
 * <files>` in a child process with NUTMEG_TEST_WORKERS=N
 * (tests/_support/test_workers.ts), so every proxy those tests start runs
 * its pools on N Deno Workers as `--workers N` does, and it fails when any
 * of their tests fails. A representative subset, to keep `deno task test`
 * within its time; the tests that are single-worker by nature say why
 * where they are skipped.
 *
 * @module
 */
import { TEST_WORKERS_VAR } from "./_support/test_workers.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/**
 * The files run with 2 workers: placement, split commands (byte for byte
 * against the servers), faults, the drain at shutdown, dedicated
 * connections, ejection, stats, reloads and signals. Left out for time,
 * though they pass with 2 workers too: redis_clients (about 12 s of CPU)
 * and denow (it starts Deno through the launcher).
 */
const WITH_2 = [
  "tests/redis_test.ts",
  "tests/memcache_test.ts",
  "tests/redis_commands_test.ts",
  "tests/redis_regressions_test.ts",
  "tests/redis_resp3_test.ts",
  "tests/memcache_commands_test.ts",
  "tests/memcache_meta_test.ts",
  "tests/big_values_test.ts",
  "tests/faults_test.ts",
  "tests/shutdown_test.ts",
  "tests/redis_dedicated_test.ts",
  "tests/redis_dedicated_clients_test.ts",
  "tests/ejection_test.ts",
  "tests/server_conns_test.ts",
  "tests/churn_test.ts",
  "tests/stats_test.ts",
  "tests/metrics_test.ts",
  "tests/reload_test.ts",
  "tests/signals_test.ts",
];

/** The files run with 4 workers too: placement, split commands and stats. */
const WITH_4 = ["tests/redis_test.ts", "tests/memcache_test.ts", "tests/stats_test.ts"];

/** Runs `files` with `workers` workers; throws with the child's report when a test failed. */
async function runWith(workers: number, files: readonly string[]): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "-A", "--parallel", ...files],
    cwd: ROOT,
    env: { [TEST_WORKERS_VAR]: String(workers), NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  const summary = text.match(/^(ok|FAILED) \| .*$/m)?.[0] ?? "no summary";
  console.log(`${TEST_WORKERS_VAR}=${workers} ${files.length} files: ${summary}`);
  if (!out.success) {
    const failures = text.slice(Math.max(0, text.indexOf(" ERRORS ")));
    throw new Error(
      `with ${TEST_WORKERS_VAR}=${workers}, deno test ${files.join(" ")} failed ` +
        `(exit ${out.code}); run it so to see it all:\n${failures.slice(0, 20_000)}`,
    );
  }
}

Deno.test(`the e2e placement, split, fault and stats files pass with ${TEST_WORKERS_VAR}=2`, () =>
  runWith(2, WITH_2));

Deno.test(`the e2e placement, split and stats files pass with ${TEST_WORKERS_VAR}=4`, () =>
  runWith(4, WITH_4));
