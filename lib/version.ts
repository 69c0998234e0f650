/**
 * nutmeg's version, read from deno.json's `"version"` at build time. It sits
 * at the root of lib/ so that the command line, the runtime and the
 * protocols all read the one value without importing upwards.
 *
 * @module
 */
import meta from "../deno.json" with { type: "json" };

/** The version, e.g. `0.1.0`. */
export const VERSION: string = meta.version;
