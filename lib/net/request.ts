/**
 * A request on its way through the proxy: owed a reply by exactly one client
 * (or by nobody, for handshake requests), possibly split into fragments.
 * Every request ends exactly once: a response, a merged reply, a local
 * reply, or an error reply.
 *
 * @module
 */
import type { Merger, ReplyFilter } from "../proto/types.ts";
import { ForwardFlags } from "../proto/types.ts";
import { PartStore } from "./part_store.ts";

/** The side of a client connection that requests report back to. */
export interface ReplyTarget {
  /** The request is done; `reply` (null = nothing to send) goes out in request order. */
  complete(req: Request, reply: Uint8Array | null): void;
  /** The request is done with the response `buf[start, end)` (copied if it must wait). */
  completeFrom(req: Request, buf: Uint8Array, start: number, end: number): void;
}

/** One request, or one fragment of a split request. */
export class Request {
  /** Who is owed the reply; null for internal requests (backend handshake). */
  readonly target: ReplyTarget | null;
  /** {@link ForwardFlags}. */
  readonly flags: number;
  /** Set when done while an earlier request of the same client is still pending. */
  reply: Uint8Array | null = null;
  /** Whether the request has its reply (waiting for its turn in the client's queue). */
  done = false;
  /** For a fragment: the split request it belongs to. */
  readonly parent: Request | null;
  /** For a fragment: its position among the parent's parts. */
  readonly index: number;
  /** For a split request: parts still outstanding. */
  pending = 0;
  /** For a split request: the parts' replies, in fragment order. */
  parts: Uint8Array[] | null = null;
  /** For a split request: builds the reply from the parts. */
  merge: Merger | null = null;
  /** For a split request: where parts that arrived from a server wait for the last one. */
  #store: PartStore | null = null;
  /** Bytes sent to the server (for queue stats). */
  size = 0;
  /** When the request times out (ms, performance.now() clock); 0 = never. */
  deadline = 0;
  /** When the proxy read the request (ms, performance.now() clock); 0 = internal or local. */
  readAt = 0;
  /** With {@link ForwardFlags.Filtered}: whether the server's response reaches the client. */
  filter: ReplyFilter | null = null;

  private constructor(
    target: ReplyTarget | null,
    flags: number,
    parent: Request | null,
    index: number,
  ) {
    this.target = target;
    this.flags = flags;
    this.parent = parent;
    this.index = index;
  }

  /** A reply the proxy gives itself, already done, waiting for its turn in `target`'s queue. */
  static local(target: ReplyTarget, reply: Uint8Array): Request {
    const req = new Request(target, 0, null, 0);
    req.reply = reply;
    req.done = true;
    return req;
  }

  /**
   * A request read at `readAt` and forwarded whole to one server ({@link ForwardFlags}
   * `flags`); with `filter`, the server's response reaches the client only when it keeps it.
   */
  static forward(
    target: ReplyTarget,
    flags: number,
    readAt: number,
    filter?: ReplyFilter,
  ): Request {
    const req = new Request(
      target,
      filter === undefined ? flags : flags | ForwardFlags.Filtered,
      null,
      0,
    );
    req.readAt = readAt;
    if (filter !== undefined) req.filter = filter;
    return req;
  }

  /**
   * A request read at `readAt` and split into `count` fragments; `merge`
   * builds its reply from theirs, in fragment order.
   */
  static split(target: ReplyTarget, count: number, merge: Merger, readAt: number): Request {
    const req = new Request(target, 0, null, 0);
    req.pending = count;
    req.parts = new Array<Uint8Array>(count);
    req.#store = new PartStore(count);
    req.merge = merge;
    req.readAt = readAt;
    return req;
  }

  /** Fragment `index` of the split request `parent`. */
  static fragment(parent: Request, index: number): Request {
    const req = new Request(null, 0, parent, index);
    req.readAt = parent.readAt;
    return req;
  }

  /**
   * A request the proxy sends for itself (the backend handshake): nobody is
   * owed its reply. `step` is its place in the handshake (kept in `index`).
   */
  static internal(step = 0): Request {
    return new Request(null, 0, null, step);
  }

  /** The server's response is `buf[start, end)`. */
  respond(buf: Uint8Array, start: number, end: number): void {
    const parent = this.parent;
    if (parent !== null) {
      if (parent.pending === 1) {
        parent.parts![this.index] = buf.subarray(start, end);
        parent.pending = 0;
        parent.#merge();
      } else {
        parent.#store!.put(this.index, buf, start, end);
        parent.pending--;
      }
      return;
    }
    const target = this.target;
    if (target === null) return;
    const flags = this.flags;
    if (flags === 0) target.completeFrom(this, buf, start, end);
    else if ((flags & ForwardFlags.Quiet) !== 0) target.complete(this, null);
    else if (this.filter!(buf, start, end)) target.completeFrom(this, buf, start, end);
    else target.complete(this, null);
  }

  /** The request could not be served; `reply` is the protocol's error reply (never filtered). */
  fail(reply: Uint8Array): void {
    const parent = this.parent;
    if (parent !== null) parent.#part(this.index, reply);
    else this.target?.complete(this, (this.flags & ForwardFlags.Quiet) !== 0 ? null : reply);
  }

  #part(index: number, reply: Uint8Array): void {
    this.parts![index] = reply;
    if (--this.pending === 0) this.#merge();
  }

  /**
   * Merges the parts. The last part to arrive is merged straight from its
   * server's input buffer, the others from the store; the merged reply may
   * be a view of a buffer the merger reuses. All of these are valid only
   * now, so the reply goes out through `completeFrom`, which copies it.
   */
  #merge(): void {
    const parts = this.parts!;
    const store = this.#store!;
    store.views(parts);
    const reply = this.merge!(parts);
    this.target?.completeFrom(this, reply, 0, reply.length);
    store.release();
    parts.fill(EMPTY);
  }
}

const EMPTY = new Uint8Array(0);
