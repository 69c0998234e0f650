/**
 * Routing a multi-key retrieval (`get`, `gets`, `gat`, `gats`): to one
 * server as it came when all its keys live there, else split into one
 * request per server (keys in request order within each) whose replies are
 * merged back in the order of the request's keys.
 *
 * @module
 */
import type { Fragment, RequestSink } from "../types.ts";
import { retrievalMerger } from "./merge.ts";
import type { MemcacheRequestParser } from "./request_parser.ts";

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

/** Routes retrievals; holds arrays reused from one request to the next. */
export class RetrievalRouter {
  /** Server of each key of the request being routed. */
  #servers = new Int32Array(64);
  /** Per server index + 1: its fragment in the request being split, or -1. */
  #slots = new Int32Array(0);

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

  /** Builds one request per server, all in one buffer, and fans them out. */
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
    const fragmentServers: number[] = [];
    const sizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = servers[i]!;
      let slot = slots[s + 1]!;
      if (slot < 0) {
        // -1 (no live server) gets its own fragment: the core fails it.
        slot = slots[s + 1] = fragmentServers.length;
        fragmentServers.push(s);
        sizes.push(prefixLength + 2);
      }
      const k = 2 * (first + i);
      sizes[slot]! += 1 + t[k + 1]! - t[k]!;
    }
    const n = fragmentServers.length;
    let total = 0;
    for (let f = 0; f < n; f++) total += sizes[f]!;
    const out = new Uint8Array(total);
    const pos = new Int32Array(n);
    const offsets = new Int32Array(n);
    let at = 0;
    for (let f = 0; f < n; f++) {
      offsets[f] = at;
      for (let j = 0; j < prefixLength; j++) out[at + j] = buf[prefixStart + j]!;
      pos[f] = at + prefixLength;
      at += sizes[f]!;
    }
    const keys = new Int32Array(3 * count);
    for (let i = 0; i < count; i++) {
      const f = slots[servers[i]! + 1]!;
      const k = 2 * (first + i);
      const ks = start + t[k]!;
      const length = t[k + 1]! - t[k]!;
      let p = pos[f]!;
      out[p++] = SP;
      for (let j = 0; j < length; j++) out[p + j] = buf[ks + j]!;
      keys[3 * i] = f;
      keys[3 * i + 1] = p - offsets[f]!;
      keys[3 * i + 2] = length;
      pos[f] = p + length;
    }
    const fragments: Fragment[] = new Array(n);
    const bytes: Uint8Array[] = new Array(n);
    for (let f = 0; f < n; f++) {
      const p = pos[f]!;
      out[p] = CR;
      out[p + 1] = LF;
      bytes[f] = out.subarray(offsets[f]!, p + 2);
      fragments[f] = { server: fragmentServers[f]!, bytes: bytes[f]! };
      slots[fragmentServers[f]! + 1] = -1;
    }
    sink.fanOut(fragments, retrievalMerger({ fragments: bytes, keys, count }));
  }
}
