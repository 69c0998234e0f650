/**
 * Splits a multi-key request (MGET, DEL, UNLINK, EXISTS, TOUCH: keys; MSET:
 * key-value pairs) into one request per server, each with that server's
 * keys in their original order, with the merger the policy names for the
 * command (`policy.ts`). When every key lives on one server the request is not split: the
 * caller forwards it whole. Cost is linear in the number of keys.
 *
 * @module
 */
import type { Fragment, Merger, RequestSink } from "../types.ts";
import type { ArgReader, CommandSpec } from "./command_spec.ts";
import { bulkSize, headerSize, writeBulk, writeHeader } from "./encode.ts";
import { mergeMget, mergerFor } from "./merge.ts";
import { RESP_ARRAY } from "./type_bytes.ts";

/** Reusable per-protocol scratch space for splitting. */
export class Splitter {
  #serverOfKey = new Int32Array(64);
  #partOfServer = new Int32Array(0);

  /**
   * Splits the request `args` (command `spec`, keys from argument 1 on,
   * `step` 1 for keys, 2 for key-value pairs) over the servers owning its
   * keys and hands the parts to `sink.fanOut`. Returns false, doing
   * nothing, when all keys are on one server (or no server is live): then
   * the request is to be forwarded whole.
   */
  split(spec: CommandSpec, args: ArgReader, step: number, sink: RequestSink): boolean {
    const name = spec.name;
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
    const partOfKey = new Int32Array(nkeys);
    const partServers: number[] = [];
    const keysOfPart: number[] = [];
    const sizeOfPart: number[] = [];
    for (let i = 0; i < nkeys; i++) {
      const server = serverOfKey[i];
      let p = server < servers ? partOfServer[server] : -1;
      if (p < 0) {
        p = partServers.length;
        if (server < servers) partOfServer[server] = p;
        partServers.push(server);
        keysOfPart.push(0);
        sizeOfPart.push(0);
      }
      partOfKey[i] = p;
      keysOfPart[p]!++;
      const a = 1 + i * step;
      let size = bulkSize(args.argEnd(a) - args.argStart(a));
      if (step === 2) size += bulkSize(args.argEnd(a + 1) - args.argStart(a + 1));
      sizeOfPart[p]! += size;
    }

    // Write each part: header, command name, then its keys in request order.
    const nameBytes = new TextEncoder().encode(name);
    const parts = partServers.length;
    const outs: Uint8Array[] = new Array(parts);
    const cursor = new Float64Array(parts);
    for (let p = 0; p < parts; p++) {
      const argc = 1 + keysOfPart[p]! * step;
      const out = new Uint8Array(headerSize(argc) + bulkSize(nameBytes.length) + sizeOfPart[p]!);
      let pos = writeHeader(out, 0, RESP_ARRAY, argc);
      pos = writeBulk(out, pos, nameBytes, 0, nameBytes.length);
      outs[p] = out;
      cursor[p] = pos;
    }
    for (let i = 0; i < nkeys; i++) {
      const p = partOfKey[i]!;
      const out = outs[p]!;
      const a = 1 + i * step;
      let pos = writeBulk(out, cursor[p]!, buf, args.argStart(a), args.argEnd(a));
      if (step === 2) pos = writeBulk(out, pos, buf, args.argStart(a + 1), args.argEnd(a + 1));
      cursor[p] = pos;
    }
    const fragments: Fragment[] = new Array(parts);
    for (let p = 0; p < parts; p++) fragments[p] = { server: partServers[p]!, bytes: outs[p]! };

    const how = spec.merge;
    if (how === null) throw new TypeError(`Cannot split '${name}': policy.ts names no merger`);
    const merge: Merger = how === "mget"
      ? mergeMget(partOfKey, Int32Array.from(keysOfPart))
      : mergerFor(how, name);
    sink.fanOut(fragments, merge);
    return true;
  }
}
