/**
 * nutmeg's version, read from deno.json's `"version"` at build time.
 *
 * @module
 */
import meta from "../../deno.json" with { type: "json" };

/** The version, e.g. `0.1.0`. */
export const VERSION: string = meta.version;

/** The `-V` line: `This is nutmeg-<version>`. */
export const VERSION_LINE = `This is nutmeg-${VERSION}`;
