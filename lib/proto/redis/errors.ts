/**
 * The error replies the proxy sends for requests it refuses, with
 * redis-server 7.0's exact texts wherever Redis has one (recorded in
 * `testdata/redis_7.0.15_replies.json`), and the proxy's own texts for
 * what only a proxy refuses.
 *
 * @module
 */
import type { ArgReader } from "./command_spec.ts";
import { errorReply } from "./encode.ts";

const enc = new TextEncoder();

/** `-NOAUTH Authentication required.` (a command before AUTH). */
export const NOAUTH: Uint8Array = errorReply("NOAUTH Authentication required.");
/** `-WRONGPASS ...`: a wrong password or user for AUTH or HELLO AUTH. */
export const WRONGPASS: Uint8Array = errorReply(
  "WRONGPASS invalid username-password pair or user is disabled.",
);
/** AUTH with a password when none is set (Redis 7's text). */
export const AUTH_NOT_SET: Uint8Array = errorReply(
  "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
);
/** `-ERR syntax error`. */
export const SYNTAX: Uint8Array = errorReply("ERR syntax error");
/** A non-integer where Redis wants one. */
export const NOT_INTEGER: Uint8Array = errorReply("ERR value is not an integer or out of range");
/** HELLO with an unsupported protocol version (the proxy speaks RESP2 only). */
export const NOPROTO: Uint8Array = errorReply("NOPROTO unsupported protocol version");
/** HELLO with a version that is not a number. */
export const HELLO_BAD_VERSION: Uint8Array = errorReply(
  "ERR Protocol version is not an integer or out of range",
);
/** HELLO before AUTH, without its AUTH option. */
export const HELLO_NOAUTH: Uint8Array = errorReply(
  "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
);
/** CLIENT SETNAME / HELLO SETNAME with a bad name. */
export const BAD_CLIENT_NAME: Uint8Array = errorReply(
  "ERR Client names cannot contain spaces, newlines or special characters.",
);

/** Bytes of `buf[s, e)` up to the first NUL, at most `max` (what C's `%.*s` prints). */
function cString(buf: Uint8Array, s: number, e: number, max: number): Uint8Array {
  let end = Math.min(e, s + max);
  const nul = buf.subarray(s, end).indexOf(0);
  if (nul >= 0) end = s + nul;
  return buf.subarray(s, end);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}

/** The error for argument `i` quoted as `'%s'` in a Redis format: `<before>'<arg>'<after>`. */
export function errorWithArg(
  before: string,
  args: ArgReader,
  i: number,
  after: string,
): Uint8Array {
  const arg = cString(args.argBuf, args.argStart(i), args.argEnd(i), Infinity);
  return errorReply(concat([enc.encode(before), arg, enc.encode(after)]));
}

/**
 * `-ERR unknown command 'foo', with args beginning with: 'a' 'b' `: the name
 * and the first arguments, each cut to what Redis prints (128 bytes in
 * all), CR and LF shown as spaces.
 */
export function unknownCommand(args: ArgReader): Uint8Array {
  const buf = args.argBuf;
  const parts: Uint8Array[] = [
    enc.encode("ERR unknown command '"),
    cString(buf, args.argStart(0), args.argEnd(0), 128),
    enc.encode("', with args beginning with: "),
  ];
  let len = 0;
  const quote = enc.encode("'");
  const quoteSpace = enc.encode("' ");
  for (let i = 1; i < args.argc && len < 128; i++) {
    const arg = cString(buf, args.argStart(i), args.argEnd(i), 128 - len);
    parts.push(quote, arg, quoteSpace);
    len += arg.length + 3;
  }
  return errorReply(concat(parts));
}

/** `-ERR unknown subcommand 'foo'. Try CLIENT HELP.` (the container name as typed, upper-cased). */
export function unknownSubcommand(args: ArgReader): Uint8Array {
  const buf = args.argBuf;
  const name = cString(buf, args.argStart(0), args.argEnd(0), Infinity).slice();
  for (let i = 0; i < name.length; i++) if (name[i] >= 97 && name[i] <= 122) name[i] -= 32;
  return errorReply(concat([
    enc.encode("ERR unknown subcommand '"),
    cString(buf, args.argStart(1), args.argEnd(1), 128),
    enc.encode("'. Try "),
    name,
    enc.encode(" HELP."),
  ]));
}

/** `-ERR wrong number of arguments for 'get' command` (the canonical name, `client|setname` for subcommands). */
export function wrongArity(name: string): Uint8Array {
  return errorReply(`ERR wrong number of arguments for '${name}' command`);
}

/**
 * A command the proxy does not serve (keyless, admin, pub/sub, transactions,
 * blocking...), with the policy's reason when it has one.
 */
export function unsupported(name: string, why: string | null = null): Uint8Array {
  return errorReply(`ERR unsupported command '${name}'${why === null ? "" : `: ${why}`}`);
}

/** Keys of a command that must live on one server map to different servers. */
export function crossServer(name: string): Uint8Array {
  return errorReply(
    `ERR keys in '${name}' command map to different servers; give them a common hash tag (e.g. {t}a and {t}b with hash_tag "{}") to keep them on one server`,
  );
}

/** A script command without keys: the proxy routes scripts by their keys. */
export function noKeys(name: string): Uint8Array {
  return errorReply(
    `ERR '${name}' with no keys is not supported by the proxy: scripts are routed by their keys, pass at least one`,
  );
}

/** SELECT of a database other than 0 (or the pool's own). */
export function selectNotAllowed(db: number): Uint8Array {
  const pool = db === 0 ? "" : ` (redis_db ${db} on the servers)`;
  return errorReply(`ERR SELECT is not allowed through the proxy: only db 0 is served${pool}`);
}

/** A command (COPY ... DB <n>) naming a database other than the pool's own on the servers. */
export function otherDbNotAllowed(name: string, db: number): Uint8Array {
  const pool = db === 0 ? "" : ` (redis_db ${db} on the servers)`;
  return errorReply(
    `ERR ${name.toUpperCase()} to another database is not allowed through the proxy: only db 0 is served${pool}`,
  );
}

/** EXEC outside a transaction (Redis's text). */
export const EXEC_WITHOUT_MULTI: Uint8Array = errorReply("ERR EXEC without MULTI");
/** DISCARD outside a transaction (Redis's text). */
export const DISCARD_WITHOUT_MULTI: Uint8Array = errorReply("ERR DISCARD without MULTI");
/** MULTI inside a transaction (Redis's text). */
export const MULTI_NESTED: Uint8Array = errorReply("ERR MULTI calls can not be nested");
/** WATCH inside MULTI (Redis's text). */
export const WATCH_IN_MULTI: Uint8Array = errorReply("ERR WATCH inside MULTI is not allowed");
/** EXEC after an error while queueing (Redis's text). */
export const EXECABORT: Uint8Array = errorReply(
  "EXECABORT Transaction discarded because of previous errors.",
);

/** A command that needs a dedicated server connection could not get one. */
export function dedicatedFailed(name: string, reason: string): Uint8Array {
  return errorReply(`ERR cannot serve '${name}': ${reason}`);
}

/** A key of a transaction on another server than the transaction's. */
export function otherServerInTransaction(name: string): Uint8Array {
  return errorReply(
    `ERR '${name}' in a transaction maps to another server than the transaction's keys; every key of a transaction (WATCHed ones too) must live on one server: give them a common hash tag (e.g. {t}a and {t}b with hash_tag "{}")`,
  );
}

/** A command the proxy cannot run inside MULTI. */
export function notInTransaction(name: string): Uint8Array {
  return errorReply(
    `ERR '${name}' is not supported inside MULTI by the proxy: a transaction runs on one server`,
  );
}

/** The transaction's server connection failed. */
export function transactionLost(reason: string): Uint8Array {
  return errorReply(
    `ERR the transaction's server connection failed (${reason}); the transaction is discarded`,
  );
}

/** A command not allowed in a subscribed RESP2 client's context (Redis's text). */
export function notInSubscribedContext(name: string): Uint8Array {
  return errorReply(
    `ERR Can't execute '${name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
  );
}

/** (P|S)SUBSCRIBE while keys are WATCHed. */
export const SUBSCRIBE_WHILE_WATCHING: Uint8Array = errorReply(
  "ERR subscribing while keys are WATCHed is not supported by the proxy: UNWATCH first",
);
