/**
 * Commands the proxy answers itself: PING, ECHO, QUIT, SELECT, AUTH,
 * HELLO, RESET, CLIENT SETNAME/GETNAME/ID/INFO/SETINFO and COMMAND
 * (COUNT, INFO, DOCS, LIST, bare). Replies follow redis-server 7.0's
 * texts and are written in the client's RESP version (HELLO 2 or 3), with
 * the types redis-server uses for each (maps, sets, verbatim strings,
 * nulls).
 *
 * @module
 */
import type { RequestSink } from "../types.ts";
import type { RedisClientState } from "./client_state.ts";
import {
  type ArgReader,
  COMMAND_TABLE,
  type CommandSpec,
  equalsIgnoreCase,
} from "./command_spec.ts";
import { OK, ReplyBuilder, type RespVersion } from "./encode.ts";
import {
  AUTH_NOT_SET,
  BAD_CLIENT_NAME,
  errorWithArg,
  HELLO_BAD_VERSION,
  HELLO_NOAUTH,
  NOPROTO,
  NOT_INTEGER,
  selectNotAllowed,
  SYNTAX,
  unsupported,
  wrongArity,
  WRONGPASS,
} from "./errors.ts";

/** What local commands need to know about the proxy. */
export interface LocalOptions {
  /** The pool's `redis_auth` password as bytes, or null. */
  readonly auth: Uint8Array | null;
  /** The pool's `redis_db`. */
  readonly db: number;
  /** The proxy version (HELLO). */
  readonly version: string;
  /** The text of INFO. */
  readonly info: () => string;
}

const enc = new TextEncoder();
const w = (s: string) => enc.encode(s);
const PONG = w("+PONG\r\n");
const RESET = w("+RESET\r\n");
const DEFAULT_USER = w("default");
const AUTH = w("auth");
const SETNAME = w("setname");
const LIB_NAME = w("lib-name");
const LIB_VER = w("lib-ver");

/**
 * Whether `a[as, ae)` equals `b`, in time that depends on `b`'s length
 * only (passwords).
 */
export function safeEqual(a: Uint8Array, as: number, ae: number, b: Uint8Array): boolean {
  const la = ae - as;
  let diff = la ^ b.length;
  for (let i = 0; i < b.length; i++) diff |= (i < la ? a[as + i] : 0) ^ b[i];
  return diff === 0;
}

/**
 * Parses `buf[s, e)` as Redis's string2ll does (an optional minus, digits,
 * no leading zero); null when it is not such a number or is beyond 2^53.
 */
export function parseInteger(buf: Uint8Array, s: number, e: number): number | null {
  if (e <= s || e - s > 17) return null;
  let p = s;
  let neg = false;
  if (buf[p] === 45) {
    neg = true;
    p++;
    if (p === e) return null;
  }
  if (buf[p] === 48) return e - p === 1 && !neg ? 0 : null;
  let n = 0;
  for (; p < e; p++) {
    const d = buf[p] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** Whether a client name or attribute value is printable ASCII without spaces. */
function validAttr(buf: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (buf[i] < 33 || buf[i] > 126) return false;
  return true;
}

/** The local commands of one protocol instance. */
export class LocalCommands {
  #options: LocalOptions;

  /**
   * Creates the local commands of one protocol instance.
   *
   * @param options the proxy facts local replies use
   */
  constructor(options: LocalOptions) {
    this.#options = options;
  }

  /** Answers the request `args` (command `spec`, arity already checked) through `sink`. */
  run(spec: CommandSpec, args: ArgReader, state: RedisClientState, sink: RequestSink): void {
    switch (spec.name) {
      case "ping":
        if (args.argc > 2) sink.local(wrongArity("ping"));
        else if (args.argc === 2) sink.local(bulkOf(args, 1));
        else sink.local(PONG);
        return;
      case "echo":
        sink.local(bulkOf(args, 1));
        return;
      case "quit":
        sink.local(OK);
        sink.closeAfterReplies();
        return;
      case "select":
        sink.local(this.#select(args));
        return;
      case "auth":
        sink.local(this.#auth(args, state));
        return;
      case "hello":
        sink.local(this.#hello(args, state));
        return;
      case "reset":
        state.reset();
        sink.local(RESET);
        return;
      case "client|setname":
        sink.local(this.#setName(args, 2, state) ?? OK);
        return;
      case "client|getname":
        sink.local(new ReplyBuilder(state.resp).bulk(state.name).finish());
        return;
      case "client|id":
        sink.local(new ReplyBuilder().integer(state.id).finish());
        return;
      case "client|info":
        sink.local(new ReplyBuilder(state.resp).verbatim(clientInfo(state)).finish());
        return;
      case "client|setinfo":
        sink.local(this.#setInfo(args, state));
        return;
      case "command":
      case "command|info":
        sink.local(commandInfo(args, spec.name === "command" ? 1 : 2, state.resp));
        return;
      case "command|count":
        sink.local(new ReplyBuilder().integer(supportedTop().length).finish());
        return;
      case "command|docs":
        sink.local(commandDocs(args, state.resp));
        return;
      case "command|list":
        sink.local(args.argc > 2 ? unsupported("command|list") : commandList(state.resp));
        return;
      default:
        sink.local(unsupported(spec.name));
    }
  }

  #select(args: ArgReader): Uint8Array {
    const id = parseInteger(args.argBuf, args.argStart(1), args.argEnd(1));
    if (id === null || id > 2147483647 || id < -2147483648) return NOT_INTEGER;
    if (id === 0 || id === this.#options.db) return OK;
    return selectNotAllowed(this.#options.db);
  }

  /** Checks a user and password; true when they are right. */
  #credentials(args: ArgReader, user: number, pass: number): boolean {
    const buf = args.argBuf;
    // Usernames are case-sensitive; the proxy has the default user only.
    const userOk = user < 0 ||
      safeEqual(buf, args.argStart(user), args.argEnd(user), DEFAULT_USER);
    const password = this.#options.auth;
    // Without a password, the default user takes any (Redis's nopass).
    const passOk = password === null ||
      safeEqual(buf, args.argStart(pass), args.argEnd(pass), password);
    return userOk && passOk;
  }

  #auth(args: ArgReader, state: RedisClientState): Uint8Array {
    if (args.argc > 3) return SYNTAX;
    if (args.argc === 2) {
      if (this.#options.auth === null) return AUTH_NOT_SET;
      if (!this.#credentials(args, -1, 1)) return WRONGPASS;
    } else if (!this.#credentials(args, 1, 2)) return WRONGPASS;
    state.authenticate();
    return OK;
  }

  /**
   * HELLO [2|3 [AUTH user pass] [SETNAME name]], as redis-server 7.0 runs
   * it: the version is checked first, then the options in order (AUTH
   * authenticates at once, a bad name fails), then the client must be
   * authenticated; only then are the name and the RESP version set, and the
   * reply is written in the new version. No version keeps the current one.
   */
  #hello(args: ArgReader, state: RedisClientState): Uint8Array {
    const buf = args.argBuf;
    let version: RespVersion = state.resp;
    if (args.argc >= 2) {
      const v = parseInteger(buf, args.argStart(1), args.argEnd(1));
      if (v === null) return HELLO_BAD_VERSION;
      if (v !== 2 && v !== 3) return NOPROTO;
      version = v;
    }
    let nameArg = -1;
    for (let j = 2; j < args.argc; j++) {
      const more = args.argc - 1 - j;
      const s = args.argStart(j);
      const e = args.argEnd(j);
      if (equalsIgnoreCase(buf, s, e, AUTH) && more >= 2) {
        if (!this.#credentials(args, j + 1, j + 2)) return WRONGPASS;
        state.authenticate();
        j += 2;
      } else if (equalsIgnoreCase(buf, s, e, SETNAME) && more >= 1) {
        if (!validAttr(buf, args.argStart(j + 1), args.argEnd(j + 1))) return BAD_CLIENT_NAME;
        nameArg = j + 1;
        j++;
      } else {
        return errorWithArg("ERR Syntax error in HELLO option '", args, j, "'");
      }
    }
    if (!state.authenticated) return HELLO_NOAUTH;
    if (nameArg >= 0) this.#setName(args, nameArg, state);
    state.connSet = version - 2;
    return new ReplyBuilder(version).map(7)
      .bulk("server").bulk("nutmeg")
      .bulk("version").bulk(this.#options.version)
      .bulk("proto").integer(version)
      .bulk("id").integer(state.id)
      .bulk("mode").bulk("standalone")
      .bulk("role").bulk("master")
      .bulk("modules").array(0)
      .finish();
  }

  /** Sets the client name from argument `i`; the error reply, or null. */
  #setName(args: ArgReader, i: number, state: RedisClientState): Uint8Array | null {
    const s = args.argStart(i);
    const e = args.argEnd(i);
    if (!validAttr(args.argBuf, s, e)) return BAD_CLIENT_NAME;
    state.name = e > s ? args.argBuf.slice(s, e) : null;
    return null;
  }

  #setInfo(args: ArgReader, state: RedisClientState): Uint8Array {
    const buf = args.argBuf;
    const as = args.argStart(2);
    const ae = args.argEnd(2);
    const isName = equalsIgnoreCase(buf, as, ae, LIB_NAME);
    if (!isName && !equalsIgnoreCase(buf, as, ae, LIB_VER)) {
      return errorWithArg("ERR Unrecognized option '", args, 2, "'");
    }
    const s = args.argStart(3);
    const e = args.argEnd(3);
    if (!validAttr(buf, s, e)) {
      return errorWithArg(
        "ERR ",
        args,
        2,
        " cannot contain spaces, newlines or special characters.",
      );
    }
    const value = e > s ? buf.slice(s, e) : null;
    if (isName) state.libName = value;
    else state.libVer = value;
    return OK;
  }
}

function bulkOf(args: ArgReader, i: number): Uint8Array {
  return new ReplyBuilder().bulk(args.argBuf.subarray(args.argStart(i), args.argEnd(i))).finish();
}

function clientInfo(state: RedisClientState): Uint8Array {
  const d = new TextDecoder("latin1");
  const text = (b: Uint8Array | null) => (b === null ? "" : d.decode(b));
  return enc.encode(
    `id=${state.id} name=${text(state.name)} db=0 user=default resp=${state.resp} lib-name=${
      text(state.libName)
    } lib-ver=${text(state.libVer)}\n`,
  );
}

/** Top-level commands the proxy serves, in table order. */
function supportedTop(): CommandSpec[] {
  return COMMAND_TABLE.all.filter((s) => s.supported);
}

function supportedSubs(spec: CommandSpec): CommandSpec[] {
  return spec.subcommands === null ? [] : spec.subcommands.all.filter((s) => s.supported);
}

/** A served command or subcommand by name (`get`, `client|setname`), any case; else null. */
function servedByName(buf: Uint8Array, s: number, e: number): CommandSpec | null {
  const bar = buf.subarray(s, e).indexOf(124);
  let spec = COMMAND_TABLE.lookup(buf, s, bar < 0 ? e : s + bar);
  if (spec !== null && bar >= 0) spec = spec.subcommands?.lookup(buf, s + bar + 1, e) ?? null;
  return spec !== null && spec.supported ? spec : null;
}

/** One COMMAND INFO entry (key specs and tips are not reported). */
function infoEntry(b: ReplyBuilder, spec: CommandSpec): void {
  b.array(10).bulk(spec.name).integer(spec.arity);
  b.set(spec.flags.length);
  for (const f of spec.flags) b.simple(f);
  b.integer(spec.firstKey).integer(spec.lastKey).integer(spec.keyStep);
  b.set(spec.acl.length);
  for (const a of spec.acl) b.simple(a);
  // Tips and key specs (not reported), then the subcommands: sets in RESP3.
  b.set(0).set(0);
  const subs = supportedSubs(spec);
  b.set(subs.length);
  for (const s of subs) infoEntry(b, s);
}

/** COMMAND / COMMAND INFO [name...] (names from argument `from`). */
function commandInfo(args: ArgReader, from: number, resp: RespVersion): Uint8Array {
  const b = new ReplyBuilder(resp);
  if (args.argc <= from) {
    const all = supportedTop();
    b.array(all.length);
    for (const s of all) infoEntry(b, s);
    return b.finish();
  }
  b.array(args.argc - from);
  for (let i = from; i < args.argc; i++) {
    const spec = servedByName(args.argBuf, args.argStart(i), args.argEnd(i));
    if (spec === null) b.null();
    else infoEntry(b, spec);
  }
  return b.finish();
}

/** One COMMAND DOCS entry: summary, since, group, complexity, subcommands. */
function docsEntry(b: ReplyBuilder, spec: CommandSpec): void {
  const subs = supportedSubs(spec);
  b.map(subs.length > 0 ? 5 : 4);
  b.bulk("summary").bulk(spec.summary);
  b.bulk("since").bulk(spec.since);
  b.bulk("group").bulk(spec.group);
  b.bulk("complexity").bulk(spec.complexity);
  if (subs.length > 0) {
    b.bulk("subcommands").map(subs.length);
    for (const s of subs) {
      b.bulk(s.name);
      docsEntry(b, s);
    }
  }
}

/** COMMAND DOCS [name...]: a map of name to docs; unknown names are left out. */
function commandDocs(args: ArgReader, resp: RespVersion): Uint8Array {
  const specs: CommandSpec[] = [];
  if (args.argc <= 2) specs.push(...supportedTop());
  else {
    for (let i = 2; i < args.argc; i++) {
      const spec = servedByName(args.argBuf, args.argStart(i), args.argEnd(i));
      if (spec !== null) specs.push(spec);
    }
  }
  const b = new ReplyBuilder(resp).map(specs.length);
  for (const s of specs) {
    b.bulk(s.name);
    docsEntry(b, s);
  }
  return b.finish();
}

/** COMMAND LIST: the names of the served commands and subcommands. */
function commandList(resp: RespVersion): Uint8Array {
  const names: string[] = [];
  for (const s of supportedTop()) {
    names.push(s.name);
    for (const sub of supportedSubs(s)) names.push(sub.name);
  }
  const b = new ReplyBuilder(resp).array(names.length);
  for (const n of names) b.bulk(n);
  return b.finish();
}
