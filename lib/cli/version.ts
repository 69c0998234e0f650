/**
 * The `-V` line, built from nutmeg's one version (lib/version.ts).
 *
 * @module
 */
import { VERSION } from "../version.ts";

export { VERSION };

/** The `-V` line: `This is nutmeg-<version>`. */
export const VERSION_LINE = `This is nutmeg-${VERSION}`;
