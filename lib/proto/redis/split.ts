/**
 * Splits a multi-key request (MGET, DEL, UNLINK, EXISTS, TOUCH: keys; MSET:
 * key-value pairs) into one request per server, each with that server's
 * keys in their original order, with the merger the policy names for the
 * command (`policy.ts`). When every key lives on one server the request is not split: the
 * caller forwards it whole. Cost is linear in the number of keys.
 *
 * A RESP request's keys go into the fragments as the client sent them: a
 * run of consecutive keys for one server is one range of the request's
 * bytes, copied at once (a 10,000-key MGET over 2 servers: about 5,000
 * copies instead of 10,000 re-encoded arguments; the split took 1.2 ms of
 * which a third went to re-encoding). The MGET merger gets the same runs.
 *
 * @module
 */
import type { Merger, RequestSink } from "../types.ts";
import type { ArgReader, CommandSpec } from "./command_spec.ts";
import { bulkSize, headerSize, writeBulk, writeHeader } from "./encode.ts";
import { mergeMgetRuns, mergerFor } from "./merge.ts";
import { copyInto } from "../../bytes/copy.ts";
import { RESP_ARRAY } from "./type_bytes.ts";

/** A fragment the splitter fills in again for every split. */
interface Part {
  server: number;
  bytes: Uint8Array;
  start: number;
  end: number;
}

/**
 * Whether the RESP argument at `buf[s, e)` has CR LF where Redis skips bytes
 * unread: after its length line's CR, and after its data.
 */
function canonical(buf: Uint8Array, s: number, e: number): boolean {
  return buf[s - 1] === 10 && buf[e] === 13 && buf[e + 1] === 10;
}

/** Scratch buffers above this size are dropped after the split that needed them. */
const MAX_IDLE_SCRATCH = 1 << 20;

/**
 * Reusable per-protocol scratch space for splitting: the parts of a split
 * are written back to back into one buffer kept from one request to the
 * next (the sink copies them into the servers' output before it returns),
 * so a split allocates only what its merger keeps.
 */
export class Splitter {
  #partOfKey = new Int32Array(64);
  /** Runs of consecutive keys on one part: part, number of keys. */
  #runs = new Int32Array(128);
  /** Per key: where its bytes start and end in the request, to copy them as they are. */
  #from = new Float64Array(64);
  #to = new Float64Array(64);
  #partOfServer = new Int32Array(0);
  /** Per part: keys, bytes of its keys, write cursor. */
  #keysOfPart = new Int32Array(8);
  #sizeOfPart = new Int32Array(8);
  #cursor = new Int32Array(8);
  #partServer = new Int32Array(8);
  #scratch = new Uint8Array(4096);
  #fragments: Part[] = [];
  #names = new Map<string, Uint8Array>();
  #mergers = new Map<string, Merger>();

  /**
   * Splits the request `args` (command `name`, keys from argument 1 on,
   * `step` 1 for keys, 2 for key-value pairs) over the servers owning its
   * keys and hands the parts to `sink.fanOut`. Returns false, doing
   * nothing, when all keys are on one server (or no server is live): then
   * the request is to be forwarded whole.
   */
  split(spec: CommandSpec, args: ArgReader, step: number, sink: RequestSink): boolean {
    const name = spec.name;
    const how = spec.merge;
    if (how === null || how === "info") {
      throw new TypeError(`Cannot split '${name}': policy.ts names no merger for split parts`);
    }
    const buf = args.argBuf;
    const nkeys = Math.floor((args.argc - 1) / step);
    const resp = args.resp;

    // Each key's part (parts in order of first appearance), and the size of
    // each part's keys: for a RESP request, the bytes of its arguments as
    // the client sent them (`$<len>\r\n<data>\r\n`, canonical in length).
    const servers = sink.serverCount;
    // One server (or none live): every key is on it, nothing to look at.
    if (servers <= 1) return false;
    if (this.#partOfServer.length < servers) this.#partOfServer = new Int32Array(servers);
    const partOfServer = this.#partOfServer;
    partOfServer.fill(-1, 0, servers);
    if (this.#keysOfPart.length < servers + 1) this.#grow(servers + 1);
    if (this.#partOfKey.length < nkeys) this.#partOfKey = new Int32Array(nkeys * 2);
    const keysOfPart = this.#keysOfPart;
    const sizeOfPart = this.#sizeOfPart;
    const partServer = this.#partServer;
    const partOfKey = this.#partOfKey;
    // Each key's bytes in the request when they can be copied as they are
    // (from -1 when not), so that the writing pass reads no offsets again.
    if (this.#from.length < nkeys) {
      this.#from = new Float64Array(nkeys * 2);
      this.#to = new Float64Array(nkeys * 2);
    }
    const fromOf = this.#from;
    const toOf = this.#to;
    let parts = 0;
    let prevEnd = args.argEnd(0);
    for (let i = 0; i < nkeys; i++) {
      const a = 1 + i * step;
      const ks = args.argStart(a);
      const ke = args.argEnd(a);
      const server = sink.serverOf(buf, ks, ke);
      if (server < 0) return false;
      let p = server < servers ? partOfServer[server]! : -1;
      if (p < 0) {
        p = parts++;
        if (server < servers) partOfServer[server] = p;
        partServer[p] = server;
        keysOfPart[p] = 0;
        sizeOfPart[p] = 0;
      }
      partOfKey[i] = p;
      keysOfPart[p]!++;
      let end = ke;
      let raw = resp && canonical(buf, ks, ke);
      if (step === 2) {
        const vs = args.argStart(a + 1);
        end = args.argEnd(a + 1);
        raw &&= canonical(buf, vs, end);
        if (!resp) sizeOfPart[p]! += bulkSize(end - vs);
      }
      if (resp) sizeOfPart[p]! += end - prevEnd;
      else sizeOfPart[p]! += bulkSize(ke - ks);
      fromOf[i] = raw ? prevEnd + 2 : -1;
      toOf[i] = end + 2;
      prevEnd = end;
    }
    // All keys on one server: the request goes whole.
    if (parts === 1) return false;

    // Write each part: header, command name, then its keys in request order.
    const nameBytes = this.#nameBytes(name);
    let total = 0;
    for (let p = 0; p < parts; p++) {
      total += headerSize(1 + keysOfPart[p]! * step) + bulkSize(nameBytes.length) + sizeOfPart[p]!;
    }
    if (this.#scratch.length < total) {
      this.#scratch = new Uint8Array(Math.max(total, this.#scratch.length * 2));
    }
    const out = this.#scratch;
    const cursor = this.#cursor;
    const fragments = this.#fragments;
    let at = 0;
    for (let p = 0; p < parts; p++) {
      let frag = fragments[p];
      if (frag === undefined) fragments[p] = frag = { server: 0, bytes: out, start: 0, end: 0 };
      frag.server = partServer[p]!;
      frag.bytes = out;
      frag.start = at;
      let pos = writeHeader(out, at, RESP_ARRAY, 1 + keysOfPart[p]! * step);
      pos = writeBulk(out, pos, nameBytes, 0, nameBytes.length);
      cursor[p] = pos;
      at = pos + sizeOfPart[p]!;
    }
    // Runs of consecutive keys on one part, for the MGET merger (part, count
    // pairs) and for the copy: in a RESP request a run's arguments are one
    // range of bytes, copied at once when they are in canonical form (the
    // bytes Redis skips unread are CR LF).
    if (this.#runs.length < 2 * nkeys) this.#runs = new Int32Array(2 * nkeys);
    const runs = this.#runs;
    let nruns = 0;
    let runPart = -1;
    let copyStart = 0;
    let copyEnd = -1;
    for (let i = 0; i < nkeys; i++) {
      const p = partOfKey[i]!;
      if (p === runPart) runs[2 * nruns - 1]!++;
      else {
        runs[2 * nruns] = p;
        runs[2 * nruns + 1] = 1;
        nruns++;
      }
      const from = fromOf[i]!;
      if (from >= 0) {
        const to = toOf[i]!;
        if (p === runPart && from === copyEnd) {
          copyEnd = to;
          continue;
        }
        if (copyEnd >= 0) this.#copy(out, runPart, buf, copyStart, copyEnd);
        copyStart = from;
        copyEnd = to;
      } else {
        if (copyEnd >= 0) this.#copy(out, runPart, buf, copyStart, copyEnd);
        copyEnd = -1;
        const a = 1 + i * step;
        let pos = writeBulk(out, cursor[p]!, buf, args.argStart(a), args.argEnd(a));
        if (step === 2) pos = writeBulk(out, pos, buf, args.argStart(a + 1), args.argEnd(a + 1));
        cursor[p] = pos;
      }
      runPart = p;
    }
    if (copyEnd >= 0) this.#copy(out, runPart, buf, copyStart, copyEnd);
    for (let p = 0; p < parts; p++) fragments[p]!.end = cursor[p]!;
    fragments.length = parts;

    let merge: Merger;
    if (how === "mget") {
      const counts = new Array<number>(parts);
      for (let p = 0; p < parts; p++) counts[p] = keysOfPart[p]!;
      // Kept by the merger: a plain array (on the JS heap, no backing store).
      const kept = new Array<number>(2 * nruns);
      for (let j = 0; j < 2 * nruns; j++) kept[j] = runs[j]!;
      merge = mergeMgetRuns(kept, nkeys, counts);
    } else {
      merge = this.#merger(how, name);
    }
    sink.fanOut(fragments, merge);
    if (out.length > MAX_IDLE_SCRATCH) this.#scratch = new Uint8Array(4096);
    return true;
  }

  /** Appends `buf[s, e)` to part `p` at its cursor. */
  #copy(out: Uint8Array, p: number, buf: Uint8Array, s: number, e: number): void {
    const at = this.#cursor[p]!;
    copyInto(out, at, buf, s, e);
    this.#cursor[p] = at + e - s;
  }

  /** The command name as bytes, encoded once per name. */
  #nameBytes(name: string): Uint8Array {
    let bytes = this.#names.get(name);
    if (bytes === undefined) this.#names.set(name, bytes = new TextEncoder().encode(name));
    return bytes;
  }

  /** The merger of a command other than MGET (they keep no per-request state): made once. */
  #merger(how: Exclude<NonNullable<CommandSpec["merge"]>, "mget" | "info">, name: string): Merger {
    let merge = this.#mergers.get(name);
    if (merge === undefined) {
      merge = mergerFor(how, name);
      this.#mergers.set(name, merge);
    }
    return merge;
  }

  #grow(n: number): void {
    this.#keysOfPart = new Int32Array(n);
    this.#sizeOfPart = new Int32Array(n);
    this.#cursor = new Int32Array(n);
    this.#partServer = new Int32Array(n);
  }
}
