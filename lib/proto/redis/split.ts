/**
 * Splits a multi-key request (MGET, DEL, UNLINK, EXISTS, TOUCH: keys; MSET:
 * key-value pairs) into one request per server, each with that server's
 * keys in their original order, with the merger the policy names for the
 * command (`policy.ts`). When every key lives on one server the request is not split: the
 * caller forwards it whole. Cost is linear in the number of keys.
 *
 * @module
 */
import type { Merger, RequestSink } from "../types.ts";
import type { ArgReader, CommandSpec } from "./command_spec.ts";
import { bulkSize, headerSize, writeBulk, writeHeader } from "./encode.ts";
import { mergeMget, mergerFor } from "./merge.ts";
import { RESP_ARRAY } from "./type_bytes.ts";

/** A fragment the splitter fills in again for every split. */
interface Part {
  server: number;
  bytes: Uint8Array;
  start: number;
  end: number;
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
  #serverOfKey = new Int32Array(64);
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
    if (this.#serverOfKey.length < nkeys) this.#serverOfKey = new Int32Array(nkeys * 2);
    const serverOfKey = this.#serverOfKey;
    const first = sink.serverOf(buf, args.argStart(1), args.argEnd(1));
    if (first < 0) return false;
    serverOfKey[0] = first;
    let allSame = true;
    for (let i = 1; i < nkeys; i++) {
      const a = 1 + i * step;
      const s = sink.serverOf(buf, args.argStart(a), args.argEnd(a));
      if (s < 0) return false;
      serverOfKey[i] = s;
      if (s !== first) allSame = false;
    }
    if (allSame) return false;

    // Parts in order of first appearance; each key's part; sizes.
    const servers = sink.serverCount;
    if (this.#partOfServer.length < servers) this.#partOfServer = new Int32Array(servers);
    const partOfServer = this.#partOfServer;
    partOfServer.fill(-1, 0, servers);
    if (this.#keysOfPart.length < servers + 1) this.#grow(servers + 1);
    const keysOfPart = this.#keysOfPart;
    const sizeOfPart = this.#sizeOfPart;
    const partServer = this.#partServer;
    // Kept by the MGET merger: a plain array (on the JS heap, no backing store).
    const partOfKey: number[] | null = how === "mget" ? new Array<number>(nkeys) : null;
    const keyPart = this.#serverOfKey; // reused in place: key i's part replaces its server
    let parts = 0;
    for (let i = 0; i < nkeys; i++) {
      const server = serverOfKey[i]!;
      let p = server < servers ? partOfServer[server]! : -1;
      if (p < 0) {
        p = parts++;
        if (server < servers) partOfServer[server] = p;
        partServer[p] = server;
        keysOfPart[p] = 0;
        sizeOfPart[p] = 0;
      }
      keyPart[i] = p;
      if (partOfKey !== null) partOfKey[i] = p;
      keysOfPart[p]!++;
      const a = 1 + i * step;
      let size = bulkSize(args.argEnd(a) - args.argStart(a));
      if (step === 2) size += bulkSize(args.argEnd(a + 1) - args.argStart(a + 1));
      sizeOfPart[p]! += size;
    }

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
    for (let i = 0; i < nkeys; i++) {
      const p = keyPart[i]!;
      const a = 1 + i * step;
      let pos = writeBulk(out, cursor[p]!, buf, args.argStart(a), args.argEnd(a));
      if (step === 2) pos = writeBulk(out, pos, buf, args.argStart(a + 1), args.argEnd(a + 1));
      cursor[p] = pos;
    }
    for (let p = 0; p < parts; p++) fragments[p]!.end = cursor[p]!;
    fragments.length = parts;

    let merge: Merger;
    if (how === "mget") {
      const counts = new Array<number>(parts);
      for (let p = 0; p < parts; p++) counts[p] = keysOfPart[p]!;
      merge = mergeMget(partOfKey!, counts);
    } else {
      merge = this.#merger(how, name);
    }
    sink.fanOut(fragments, merge);
    if (out.length > MAX_IDLE_SCRATCH) this.#scratch = new Uint8Array(4096);
    return true;
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
