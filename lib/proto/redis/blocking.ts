/**
 * Blocking commands (BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP, BZPOPMIN,
 * BZPOPMAX, BZMPOP, XREAD/XREADGROUP with BLOCK) hold their server
 * connection until data comes or their own timeout passes, so each is sent
 * on a connection dedicated to its client. This file reads the command's
 * own timeout, so that the pool's `timeout:` counts only from its end: the
 * proxy gives up on a blocking command after its own timeout plus the
 * pool's, never before.
 *
 * @module
 */
import { type ArgReader, equalsIgnoreCase } from "./command_spec.ts";

const enc = new TextEncoder();
const BLOCK = enc.encode("block");
const STREAMS = enc.encode("streams");
const GROUP = enc.encode("group");
const COUNT = enc.encode("count");
const NOACK = enc.encode("noack");

function text(args: ArgReader, i: number): string {
  let s = "";
  for (let p = args.argStart(i); p < args.argEnd(i); p++) s += String.fromCharCode(args.argBuf[p]!);
  return s;
}

/**
 * Seconds as the list and sorted-set commands take them (a decimal, 0 =
 * forever), in whole ms rounded up; 0 when it is not such a number (the
 * server then refuses the command at once).
 */
function seconds(args: ArgReader, i: number): number {
  const t = text(args, i);
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(t)) return 0;
  const s = Number(t);
  return Number.isFinite(s) && s > 0 ? Math.ceil(s * 1000) : 0;
}

/** Milliseconds as XREAD BLOCK takes them (an integer, 0 = forever). */
function millis(args: ArgReader, i: number): number {
  const t = text(args, i);
  if (!/^[+-]?\d{1,15}$/.test(t)) return 0;
  const ms = Number(t);
  return ms > 0 ? ms : 0;
}

/**
 * The own timeout of blocking command `name` (its full lower-case name) in
 * ms, 0 for none (wait forever, or a timeout the server will refuse), or
 * null when the request does not block (XREAD/XREADGROUP without BLOCK).
 */
export function blockTimeout(name: string, args: ArgReader): number | null {
  switch (name) {
    case "blmpop":
    case "bzmpop":
      return seconds(args, 1);
    case "xread":
    case "xreadgroup":
      return streamBlock(name, args);
    default:
      // BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, BRPOPLPUSH, BLMOVE: the last argument.
      return seconds(args, args.argc - 1);
  }
}

/** XREAD [COUNT n] [BLOCK ms] STREAMS ...; XREADGROUP GROUP g c [COUNT n] [BLOCK ms] [NOACK] STREAMS ... */
function streamBlock(name: string, args: ArgReader): number | null {
  const buf = args.argBuf;
  let block: number | null = null;
  for (let i = 1; i < args.argc; i++) {
    const s = args.argStart(i);
    const e = args.argEnd(i);
    if (equalsIgnoreCase(buf, s, e, STREAMS)) break;
    if (equalsIgnoreCase(buf, s, e, BLOCK) && i + 1 < args.argc) {
      block = millis(args, ++i);
    } else if (equalsIgnoreCase(buf, s, e, COUNT)) {
      i++;
    } else if (name === "xreadgroup" && equalsIgnoreCase(buf, s, e, GROUP)) {
      i += 2;
    } else if (!equalsIgnoreCase(buf, s, e, NOACK)) {
      // Not an option: the server refuses the command without blocking.
      return null;
    }
  }
  return block;
}
