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
 * @module
 */

/** V8 options, each as V8 spells it. */
export const V8_FLAGS: readonly string[] = ["--max-semi-space-size=4"];

/** The Deno argument that passes {@link V8_FLAGS}. */
export const V8_FLAGS_ARG = `--v8-flags=${V8_FLAGS.join(",")}`;
