/**
 * Test support: how many workers every nutmeg a test starts runs with,
 * read once from the environment variable `NUTMEG_TEST_WORKERS` (default
 * 1). With N > 1, {@link startProxy} (tests/_support/proxy.ts) runs the
 * pools on N Deno Workers in the test process (lib/runtime/workers.ts, as
 * `--workers N` does) instead of on the test's own event loop, and
 * {@link startNutmeg} (tests/_support/nutmeg_process.ts) adds
 * `--workers N` unless the test sets `--workers` itself.
 * tests/workers_suites_test.ts runs chosen end-to-end files so.
 *
 * A test whose meaning is single-worker (one event loop's FIFO across all
 * clients, an exact count of one engine's connections) is skipped with
 * `ignore: SEVERAL_WORKERS` and a comment saying why.
 *
 * @module
 */

/** The variable that sets the workers of every nutmeg a test starts. */
export const TEST_WORKERS_VAR = "NUTMEG_TEST_WORKERS";

function read(): number {
  let value: string | undefined;
  try {
    value = Deno.env.get(TEST_WORKERS_VAR);
  } catch {
    return 1; // no --allow-env: one worker
  }
  if (value === undefined || value === "") return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `${TEST_WORKERS_VAR}=${JSON.stringify(value)}: expected a whole number of workers, 1 or more`,
    );
  }
  return n;
}

/** The workers every nutmeg started by a test runs with (1 unless NUTMEG_TEST_WORKERS says). */
export const TEST_WORKERS: number = read();

/** Whether tests run with several workers (for `Deno.test`'s `ignore`). */
export const SEVERAL_WORKERS: boolean = TEST_WORKERS > 1;
