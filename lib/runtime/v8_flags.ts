/**
 * The V8 options nutmeg runs with: given by the `start` task (deno.json), baked
 * into the compiled binary (tools/compile.ts) and used by the benchmark, so
 * that what is measured is what runs. One home; a test checks deno.json.
 *
 * `--max-semi-space-size=4` (MiB): V8 grows the young generation up to 16 MiB
 * per semi-space while a burst of connections arrives, and keeps it: 10,000
 * idle clients cost 189 MB RSS with the default and 155 MB with 4 MiB. The
 * price is more, shorter scavenges: 600,000 GET and SET at 50 clients spent
 * 82 ms in GC by default and 105 ms with 4 MiB (about 0.5% of nutmeg's CPU
 * for that load); 2 MiB saved a few MB more and cost 143 ms.
 *
 * A Deno Worker shares the process's V8 options, so `--workers` gets them
 * too. Run as `deno run -A main.ts` without them, nutmeg works the same and
 * uses more memory.
 *
 * {@link RUN_FLAGS} adds `--no-code-cache` for `deno run`: with Deno's V8
 * code cache nutmeg listens about 20 ms sooner (60 instead of 80 ms with
 * conf/nutcracker.yml) and rests on 1.7 MB more RSS (median of 5 starts:
 * 28.6 vs 26.8 MB; with the benchmark's six pools 31.0 vs 29.3 MB, and
 * 109.4 vs 107.4 MB with 10,000 idle clients), most of it pages of the deno
 * executable that reading the cache touches after start-up.
 *
 * @module
 */

/** V8 options, each as V8 spells it. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** The Deno argument that passes {@link V8_FLAGS}. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;

/**
 * The options of `deno run` nutmeg runs with (before `main.ts`): the start
 * task, the daemon's child (`-d`) and the benchmark use them.
 */
export const RUN_FLAGS: readonly string[] = ["--no-code-cache", V8_FLAGS_ARG];
