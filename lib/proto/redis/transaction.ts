/**
 * A Redis transaction through the proxy: WATCH and MULTI pin the client to
 * a server connection dedicated to it, to the one server every key of the
 * transaction (WATCHed keys included) lives on, until EXEC, DISCARD or
 * UNWATCH (outside MULTI) ends it; the connection is then closed, so no
 * WATCH or MULTI state outlives the transaction.
 *
 * The server is the one of the first key: WATCH's, or the first keyed
 * command inside MULTI (MULTI itself names none). Until then MULTI is
 * answered by the proxy and keyless commands (PING, ECHO) are kept and
 * answered QUEUED; they are sent after MULTI once the server is known. A
 * command whose keys live elsewhere, or that the proxy cannot run on one
 * server, gets an error reply and marks the transaction as Redis marks one
 * after an error while queueing: EXEC then replies EXECABORT.
 *
 * Outside MULTI (after WATCH), commands for the pinned server travel on the
 * pinned connection, in order with the WATCH; the others take the ordinary
 * path.
 *
 * @module
 */
import type { DedicatedLink, RequestSink } from "../types.ts";
import type { RedisClientState } from "./client_state.ts";
import { encodeCommand, OK } from "./encode.ts";
import {
  dedicatedFailed,
  DISCARD_WITHOUT_MULTI,
  EXEC_WITHOUT_MULTI,
  EXECABORT,
  MULTI_NESTED,
  notInTransaction,
  otherServerInTransaction,
  SUBSCRIBE_WHILE_WATCHING,
  transactionLost,
  WATCH_IN_MULTI,
} from "./errors.ts";
import type { Session, SessionHost, SessionRequest } from "./session.ts";

const MULTI = encodeCommand(["MULTI"]);
const EXEC = encodeCommand(["EXEC"]);
const DISCARD = encodeCommand(["DISCARD"]);
const QUEUED = new TextEncoder().encode("+QUEUED\r\n");
const EMPTY_ARRAY = new TextEncoder().encode("*0\r\n");

/** Keyless commands that may be queued in a transaction (the server runs them). */
const KEYLESS_QUEUEABLE = new Set(["ping", "echo"]);

/** One client's transaction. */
export class Transaction implements Session {
  readonly #state: RedisClientState;
  #link: DedicatedLink | null = null;
  /** The transaction's server, or -1 while no key has named it. */
  #server = -1;
  #multi = false;
  /** An error while queueing: EXEC replies EXECABORT. */
  #dirty = false;
  /** Why the pinned connection failed, or null. */
  #lost: string | null = null;
  /** Keyless commands queued before the server was known (answered QUEUED). */
  #queued: Uint8Array[] = [];

  /** A transaction for the client with `state` (the caller sets `state.session`). */
  constructor(state: RedisClientState) {
    this.#state = state;
  }

  /** Handles a request of a client in a transaction. */
  handle(r: SessionRequest, host: SessionHost): boolean {
    const sink = r.sink;
    const name = r.spec.name;
    switch (name) {
      case "reset":
      case "quit":
        this.#end();
        return false;
      case "multi":
        if (this.#multi) sink.local(MULTI_NESTED);
        else if (this.#lost !== null) sink.local(transactionLost(this.#lost));
        else {
          this.#multi = true;
          if (this.#link !== null) this.#forward(r, host);
          else sink.local(OK);
        }
        return true;
      case "exec":
        this.#exec(r);
        return true;
      case "discard":
        if (!this.#multi) sink.local(DISCARD_WITHOUT_MULTI);
        else if (this.#link !== null && this.#lost === null) this.#forward(r, host);
        else sink.local(OK);
        if (this.#multi) this.#end();
        return true;
      case "watch":
        if (this.#multi) sink.local(WATCH_IN_MULTI);
        else this.#keyed(r, host);
        return true;
      case "unwatch":
        if (this.#multi) break;
        if (this.#link !== null && this.#lost === null) this.#forward(r, host);
        else sink.local(OK);
        this.#end();
        return true;
    }
    if (this.#lost !== null) {
      if (!this.#multi && r.spec.kind !== "subscribe") return false;
      sink.local(transactionLost(this.#lost));
      return true;
    }
    if (!this.#multi) {
      // WATCHing: the pinned server's commands go on the pinned connection.
      if (r.spec.kind === "subscribe") {
        sink.local(SUBSCRIBE_WHILE_WATCHING);
        return true;
      }
      const server = host.route(r);
      if (server !== this.#server) return false;
      const { bytes, start, end } = host.bytesOf(r);
      const ms = host.blockTimeout(r);
      if (ms !== null) this.#link!.forwardBlocking(bytes, start, end, ms);
      else this.#link!.forward(bytes, start, end);
      return true;
    }
    // Inside MULTI.
    switch (r.spec.kind) {
      case "forward":
      case "together":
      case "split":
      case "blocking":
      case "channel":
      case "transaction":
        this.#keyed(r, host);
        return true;
      case "local":
        if (KEYLESS_QUEUEABLE.has(name)) {
          if (this.#link !== null) this.#forward(r, host);
          else {
            const { bytes, start, end } = host.bytesOf(r);
            this.#queued.push(bytes.slice(start, end));
            sink.local(QUEUED);
          }
          return true;
        }
        break;
    }
    this.refused(sink, notInTransaction(name));
    return true;
  }

  /** An error while queueing: remembered for EXEC. */
  refused(sink: RequestSink, reply: Uint8Array): void {
    if (this.#multi) this.#dirty = true;
    sink.local(reply);
  }

  /** A command with keys (WATCH included): pins the server, or must match it. */
  #keyed(r: SessionRequest, host: SessionHost): void {
    const sink = r.sink;
    const server = host.route(r);
    if (typeof server !== "number") return this.refused(sink, server);
    if (server < 0) {
      // Keys Redis will refuse (a bad count): any server will say so.
      if (this.#link !== null) return this.#forward(r, host);
      return this.refused(sink, notInTransaction(r.spec.name));
    }
    if (this.#server >= 0 && server !== this.#server) {
      return this.refused(sink, otherServerInTransaction(r.spec.name));
    }
    if (this.#link === null && !this.#open(sink, server, r.spec.name)) return;
    this.#forward(r, host);
  }

  /** Opens the pinned connection; in MULTI, sends MULTI and what was queued first. */
  #open(sink: RequestSink, server: number, name: string): boolean {
    const link = sink.dedicate(server, null, (reason) => {
      if (this.#state.session === this) this.#lost = reason;
    });
    if (typeof link === "string") {
      this.refused(sink, dedicatedFailed(name, link));
      return false;
    }
    this.#link = link;
    this.#server = server;
    if (this.#multi) {
      link.send(MULTI, 0, MULTI.length, null);
      for (const q of this.#queued) link.send(q, 0, q.length, null);
      this.#queued = [];
    }
    return true;
  }

  #forward(r: SessionRequest, host: SessionHost): void {
    const { bytes, start, end } = host.bytesOf(r);
    this.#link!.forward(bytes, start, end);
  }

  #exec(r: SessionRequest): void {
    const sink = r.sink;
    if (!this.#multi) {
      sink.local(this.#lost !== null ? transactionLost(this.#lost) : EXEC_WITHOUT_MULTI);
      if (this.#lost !== null) this.#end();
      return;
    }
    if (this.#lost !== null) sink.local(transactionLost(this.#lost));
    else if (this.#dirty) {
      this.#link?.send(DISCARD, 0, DISCARD.length, null);
      sink.local(EXECABORT);
    } else if (this.#link !== null) {
      this.#link.forward(EXEC, 0, EXEC.length);
    } else if (this.#queued.length === 0) {
      sink.local(EMPTY_ARRAY);
    } else {
      // Only keyless commands: any live server runs them.
      const server = sink.serverOf(EXEC, 0, 0);
      if (server < 0) sink.local(dedicatedFailed("exec", "no server is live"));
      else if (this.#open(sink, server, "exec")) this.#link!.forward(EXEC, 0, EXEC.length);
    }
    this.#end();
  }

  /** The transaction is over: its connection closes once its replies are in. */
  #end(): void {
    if (this.#state.session === this) this.#state.session = null;
    this.#link?.release();
    this.#link = null;
  }
}
