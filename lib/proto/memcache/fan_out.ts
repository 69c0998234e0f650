/**
 * Routing a multi-key retrieval (`get`, `gets`, `gat`, `gats`): to one
 * server as it came when all its keys live there, else split into one
 * request per server (keys in request order within each) whose replies are
 * merged back in the order of the request's keys.
 *
 * @module
 */
import type { Fragment, RequestSink } from "../types.ts";
import { takeRetrievalSplit } from "./merge.ts";
import type { MemcacheRequestParser } from "./request_parser.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
/** A fragment buffer grown above this for one big request is not kept. */
const MAX_IDLE_SCRATCH = 256 * 1024;

/** Routes retrievals; holds arrays reused from one request to the next. */
export class RetrievalRouter {
  /** Server of each key of the request being routed. */
  #servers = new Int32Array(64);
  /** Per server index + 1: its fragment in the request being split, or -1. */
  #slots = new Int32Array(0);
  /** Per fragment: its server, its size, where its next key goes. */
  #fragmentServers: number[] = [];
  #sizes: number[] = [];
  #pos: number[] = [];
  /** The fragments of the request being split (objects reused from `#fragmentObjects`). */
  #fragments: Fragment[] = [];
  #fragmentObjects: { server: number; bytes: Uint8Array; start: number; end: number }[] = [];
  #out = new Uint8Array(4096);

  /**
   * Routes the retrieval `buf[start, end)` just parsed by `parser`.
   *
   * @example
   * ```ts ignore
   * router.route(parser, buf, start, end, sink);
   * ```
   */
  route(
    parser: MemcacheRequestParser,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    const t = parser.tokens;
    const first = parser.firstKey;
    const count = parser.tokenCount - first;
    const firstKeyStart = start + t[2 * first]!;
    const firstKeyEnd = start + t[2 * first + 1]!;
    if (count === 1 || sink.serverCount <= 1) {
      sink.forward(buf, start, end, firstKeyStart, firstKeyEnd);
      return;
    }
    let servers = this.#servers;
    if (servers.length < count) servers = this.#servers = new Int32Array(count * 2);
    const serverCount = sink.serverCount;
    let s0 = -1;
    let same = true;
    for (let i = 0; i < count; i++) {
      const k = 2 * (first + i);
      let s = sink.serverOf(buf, start + t[k]!, start + t[k + 1]!);
      if (s < 0 || s >= serverCount) s = -1; // none live: the core answers with an error
      servers[i] = s;
      if (i === 0) s0 = s;
      else if (s !== s0) same = false;
    }
    if (same) {
      sink.forward(buf, start, end, firstKeyStart, firstKeyEnd);
      return;
    }
    this.#split(parser, buf, start, sink, count);
  }

  /**
   * Builds one request per server, all in one reused buffer (the core
   * copies each into its server's output at once), and fans them out; the
   * keys the merger matches replies against go into a reused split state.
   */
  #split(
    parser: MemcacheRequestParser,
    buf: Uint8Array,
    start: number,
    sink: RequestSink,
    count: number,
  ): void {
    const t = parser.tokens;
    const first = parser.firstKey;
    const servers = this.#servers;
    let slots = this.#slots;
    const serverCount = sink.serverCount;
    if (slots.length < serverCount + 1) {
      slots = this.#slots = new Int32Array(serverCount + 1).fill(-1);
    }
    // The command and, for gat/gats, the exptime: copied as they came.
    const prefixStart = start + t[0]!;
    const prefixLength = t[2 * first - 1]! - t[0]!;
    const fragmentServers = this.#fragmentServers;
    const sizes = this.#sizes;
    let n = 0;
    let keyBytes = 0;
    for (let i = 0; i < count; i++) {
      const s = servers[i]!;
      let slot = slots[s + 1]!;
      if (slot < 0) {
        // -1 (no live server) gets its own fragment: the core fails it.
        slot = slots[s + 1] = n++;
        fragmentServers[slot] = s;
        sizes[slot] = prefixLength + 2;
      }
      const k = 2 * (first + i);
      const length = t[k + 1]! - t[k]!;
      sizes[slot]! += 1 + length;
      keyBytes += length;
    }
    let total = 0;
    for (let f = 0; f < n; f++) total += sizes[f]!;
    if (this.#out.length < total) this.#out = new Uint8Array(Math.max(total, 2 * this.#out.length));
    const out = this.#out;
    const pos = this.#pos;
    const fragments = this.#fragments;
    const objects = this.#fragmentObjects;
    fragments.length = n;
    let at = 0;
    for (let f = 0; f < n; f++) {
      const frag = objects[f] ??= { server: 0, bytes: out, start: 0, end: 0 };
      fragments[f] = frag;
      frag.server = fragmentServers[f]!;
      frag.bytes = out;
      frag.start = at;
      for (let j = 0; j < prefixLength; j++) out[at + j] = buf[prefixStart + j]!;
      pos[f] = at + prefixLength;
      at += sizes[f]!;
    }
    const split = takeRetrievalSplit(count, keyBytes);
    const keys = split.keys;
    const keyOut = split.keyBytes;
    let kp = 0;
    for (let i = 0; i < count; i++) {
      const f = slots[servers[i]! + 1]!;
      const k = 2 * (first + i);
      const ks = start + t[k]!;
      const length = t[k + 1]! - t[k]!;
      let p = pos[f]!;
      out[p++] = SP;
      for (let j = 0; j < length; j++) {
        const b = buf[ks + j]!;
        out[p + j] = b;
        keyOut[kp + j] = b;
      }
      keys[3 * i] = f;
      keys[3 * i + 1] = kp;
      keys[3 * i + 2] = length;
      kp += length;
      pos[f] = p + length;
    }
    for (let f = 0; f < n; f++) {
      const p = pos[f]!;
      out[p] = CR;
      out[p + 1] = LF;
      objects[f]!.end = p + 2;
      slots[fragmentServers[f]! + 1] = -1;
    }
    sink.fanOut(fragments, split.merger);
    if (out.length > MAX_IDLE_SCRATCH) this.#out = new Uint8Array(4096);
  }
}
