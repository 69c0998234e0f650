/**
 * Test support for the core's unit tests: a tiny line protocol that fills
 * the {@link Protocol} interface, so lib/net and lib/pool are tested without
 * Redis's or memcached's rules (the core knows no protocol either). Requests
 * and responses are CRLF-terminated lines:
 *
 * - `get <key>`: forwarded to the key's server; `quiet <key>`: the same, the
 *   reply dropped ({@link ForwardFlags.Quiet});
 * - `mget <k1> <k2> ...`: split into one `get` per key, replies joined in
 *   key order; `all`: sent to every server, replies joined in pool order;
 * - `ping`: answered `pong` by the proxy; `quit`: `bye`, then close;
 * - a line starting with `!`: a framing error (`-framing`, then close).
 *
 * A response line starting with `-` is an error reply (and fails the
 * handshake); a line starting with `#` cannot be framed.
 *
 * @module
 */
import {
  type ClientState,
  ForwardFlags,
  type Fragment,
  FRAMING_ERROR,
  NEED_MORE,
  type Protocol,
  type RequestParser,
  type RequestSink,
  type ResponseParser,
} from "../../lib/proto/types.ts";
import { bytesOf, concat, latin1 } from "./bytes.ts";

function lineEnd(buf: Uint8Array, start: number, end: number): number {
  for (let i = start; i + 1 < end; i++) if (buf[i] === 13 && buf[i + 1] === 10) return i + 2;
  return -1;
}

class LineRequests implements RequestParser {
  needed = 0;
  error: Uint8Array | null = null;

  parse(buf: Uint8Array, start: number, end: number): number {
    const e = lineEnd(buf, start, end);
    if (e < 0) return NEED_MORE;
    if (buf[start] === 0x21) {
      this.error = bytesOf("-framing\r\n");
      return FRAMING_ERROR;
    }
    return e;
  }
}

class LineResponses implements ResponseParser {
  needed = 0;
  isError = false;

  parse(buf: Uint8Array, start: number, end: number): number {
    if (buf[start] === 0x23) return FRAMING_ERROR;
    const e = lineEnd(buf, start, end);
    if (e < 0) return NEED_MORE;
    this.isError = buf[start] === 0x2d;
    return e;
  }
}

/**
 * Joins the replies into one buffer reused by every merge, as the real
 * mergers do (lib/proto/reply_scratch.ts): the core must copy a merged
 * reply before it merges the next.
 */
const join = (replies: readonly Uint8Array[]): Uint8Array => {
  const joined = concat(replies);
  if (joined.length > joinBuffer.length) joinBuffer = new Uint8Array(2 * joined.length);
  joinBuffer.set(joined);
  return joinBuffer.subarray(0, joined.length);
};
let joinBuffer = new Uint8Array(256);

/** The line protocol; `handshake` lines are sent first on every server connection. */
export class LineProtocol implements Protocol {
  readonly name = "memcache" as const;
  readonly #handshake: readonly Uint8Array[];

  constructor(handshake: readonly string[] = []) {
    this.#handshake = handshake.map(bytesOf);
  }

  newRequestParser(_state: ClientState): RequestParser {
    return new LineRequests();
  }

  newResponseParser(): ResponseParser {
    return new LineResponses();
  }

  newClientState(): ClientState {
    return { trusted: true, connSet: 0 };
  }

  handle(
    _parser: RequestParser,
    _state: ClientState,
    buf: Uint8Array,
    start: number,
    end: number,
    sink: RequestSink,
  ): void {
    const words = latin1(buf.subarray(start, end - 2)).split(" ");
    const verb = words[0];
    const keyStart = start + verb!.length + 1;
    switch (verb) {
      case "get":
        sink.forward(buf, start, end, keyStart, end - 2);
        return;
      case "quiet":
        sink.forward(buf, start, end, keyStart, end - 2, ForwardFlags.Quiet);
        return;
      case "mget": {
        const fragments: Fragment[] = words.slice(1).map((key) => {
          const k = bytesOf(key);
          return { server: sink.serverOf(k, 0, k.length), bytes: bytesOf(`get ${key}\r\n`) };
        });
        sink.fanOut(fragments, join);
        return;
      }
      case "all":
        sink.broadcast(bytesOf("all\r\n"), join);
        return;
      case "ping":
        sink.local(bytesOf("pong\r\n"));
        return;
      case "quit":
        sink.local(bytesOf("bye\r\n"));
        sink.closeAfterReplies();
        return;
      default:
        sink.local(bytesOf(`-unknown ${verb}\r\n`));
    }
  }

  errorReply(reason: string): Uint8Array {
    return bytesOf(`-${reason}\r\n`);
  }

  /** One set of server connections. */
  readonly connSets = 1;

  handshake(_set: number): readonly Uint8Array[] {
    return this.#handshake;
  }

  /** Any error reply fails the handshake. */
  handshakeFailure(
    _set: number,
    step: number,
    buf: Uint8Array,
    start: number,
    end: number,
    isError: boolean,
  ): string | null {
    return isError
      ? `handshake step ${step} refused: ${latin1(buf.subarray(start, end - 2))}`
      : null;
  }
}

/** What a request's client was told, in the order requests completed. */
export class RecordingTarget {
  /** Each completion: the request and its reply as text (null: nothing sent). */
  readonly replies: { readonly id: number; readonly reply: string | null }[] = [];
  readonly #ids = new WeakMap<object, number>();

  /** Names a request so that {@link replies} can say which one completed. */
  name<T extends object>(req: T, id: number): T {
    this.#ids.set(req, id);
    return req;
  }

  complete(req: object, reply: Uint8Array | null): void {
    this.replies.push({
      id: this.#ids.get(req) ?? -1,
      reply: reply === null ? null : latin1(reply),
    });
  }

  completeFrom(req: object, buf: Uint8Array, start: number, end: number): void {
    this.complete(req, buf.subarray(start, end));
  }
}
