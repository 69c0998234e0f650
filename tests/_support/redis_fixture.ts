/**
 * Test support: the recorded redis-server fixture
 * (`lib/proto/redis/testdata/redis_<version>_replies.json`, written by
 * `tools/capture_redis_replies.ts`): its shape, how its text is packed, and
 * loading it for the tests.
 *
 * @module
 */

/** The password of the `auth` server. */
export const PASSWORD = "secret";

/** A request case: what is sent, to which server. */
export interface RequestCase {
  readonly name: string;
  /** `plain`: no password; `auth`: requirepass {@link PASSWORD}. */
  readonly server: "plain" | "auth";
  /** Bytes sent, as a latin1 string. */
  readonly send: string;
}

/**
 * Text stored in the fixture: a latin1 string, with long runs of one
 * character written as `[char, count]` to keep the file small.
 */
export type Packed = readonly (string | readonly [string, number])[];

/** Writes runs of 64 or more of one character as `[char, count]`. */
export function pack(s: string): Packed {
  const out: (string | [string, number])[] = [];
  let lit = "";
  for (let i = 0; i < s.length;) {
    let j = i + 1;
    while (j < s.length && s[j] === s[i]) j++;
    if (j - i >= 64) {
      if (lit !== "") out.push(lit);
      lit = "";
      out.push([s[i]!, j - i]);
    } else lit += s.slice(i, j);
    i = j;
  }
  if (lit !== "" || out.length === 0) out.push(lit);
  return out;
}

/** The string {@link pack} packed. */
export function unpack(p: Packed): string {
  return p.map((x) => (typeof x === "string" ? x : x[0].repeat(x[1]))).join("");
}

/** A recorded request case (`send` and `reply` packed). */
export interface RecordedRequest {
  readonly name: string;
  readonly server: "plain" | "auth";
  readonly send: Packed;
  /** Bytes received. */
  readonly reply: Packed;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

/** A response case: a command whose raw reply is recorded. */
export interface ResponseCase {
  readonly name: string;
  /** 2 or 3: the protocol the connection speaks (HELLO 3 first). */
  readonly resp: 2 | 3;
  /** Commands run first (replies dropped), then `command`. */
  readonly setup: readonly (readonly string[])[];
  readonly command: readonly string[];
}

/** A recorded response case. */
export interface RecordedResponse extends ResponseCase {
  /** The raw reply. */
  readonly reply: Packed;
}

/** The fixture file. */
export interface ReplyFixture {
  readonly version: string;
  readonly requests: readonly RecordedRequest[];
  readonly responses: readonly RecordedResponse[];
}

/** The recorded redis-server fixture, unpacked. */
export interface Fixture {
  readonly version: string;
  readonly requests: readonly {
    name: string;
    server: "plain" | "auth";
    send: string;
    reply: string;
    closed: boolean;
  }[];
  readonly responses: readonly {
    name: string;
    resp: 2 | 3;
    command: readonly string[];
    reply: string;
  }[];
}

/** Loads `lib/proto/redis/testdata/redis_7.0.15_replies.json`. */
export function loadFixture(): Fixture {
  const raw = JSON.parse(
    Deno.readTextFileSync(
      new URL("../../lib/proto/redis/testdata/redis_7.0.15_replies.json", import.meta.url),
    ),
  ) as ReplyFixture;
  return {
    version: raw.version,
    requests: raw.requests.map((r) => ({ ...r, send: unpack(r.send), reply: unpack(r.reply) })),
    responses: raw.responses.map((r) => ({ ...r, reply: unpack(r.reply) })),
  };
}
