/**
 * Records where the real nutcracker sends keys, for every hash x {ketama,
 * modula}, and writes tests/fixtures/placement/*.json.
 *
 * Each configuration mixes weights, named servers (`host:port:weight name`),
 * unnamed servers (name `host:port`) and port-11211 servers (name `host`,
 * on loopback aliases 127.0.2.x); one uses `hash_tag: "{}"` with tagged keys,
 * one has auto-ejection with a server whose port has no listener (a request
 * to a key it owns fails and ejects it; the placements recorded are those of
 * the rebuilt ring).
 *
 * Backends are fake RESP servers that record which one receives each key;
 * nutcracker's pools listen on unix sockets. Only 127.0.0.0/8 is used.
 *
 * Run: deno run -A tools/gen_placement_fixtures.ts
 *
 * @module
 */
import {
  FakeBackends,
  formatFiles,
  HASH_NAMES,
  Nutcracker,
  type PoolSpec,
  Prng,
  type Reply,
  RespClient,
  toHex,
  utf8,
} from "./gen_fixtures_support.ts";

const DISTS = ["ketama", "modula"] as const;
/** One character per key: the server's index in config order. */
const DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz";

const OUT = new URL("../tests/fixtures/placement/", import.meta.url);

/** One server of a configuration. `port: 0` = any free port (then it must be named). */
interface ServerDef {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly name?: string;
  /** No listener: connections to it are refused. */
  readonly dead?: boolean;
}

/** One configuration to record. */
interface ConfigDef {
  readonly id: string;
  readonly description: string;
  readonly keys: "generic" | "tagged";
  readonly hashTag?: string;
  readonly eject?: boolean;
  readonly servers: readonly ServerDef[];
}

const LONG_300 = "long-server-name-".padEnd(300, "0123456789");
const LONG_270 = "x".repeat(270);

const CONFIGS: readonly ConfigDef[] = [
  {
    id: "mixed",
    description: "weights 1,2,3,5; named, unnamed and port-11211 servers, listed out of name order",
    keys: "generic",
    servers: [
      { host: "127.0.0.1", port: 0, weight: 1, name: "alpha" },
      { host: "127.0.1.1", port: 17001, weight: 2 },
      { host: "127.0.2.1", port: 11211, weight: 3 },
      { host: "127.0.0.1", port: 0, weight: 5, name: "beta" },
      { host: "127.0.1.2", port: 17002, weight: 1 },
      { host: "127.0.2.2", port: 11211, weight: 2 },
      { host: "127.0.0.1", port: 0, weight: 3, name: "cache-03.example.com" },
      { host: "127.0.1.10", port: 9000, weight: 1 },
    ],
  },
  {
    id: "equal",
    description: "six unnamed weight-1 servers (one on port 11211), names of different lengths",
    keys: "generic",
    servers: [
      { host: "127.0.1.21", port: 17101, weight: 1 },
      { host: "127.0.1.3", port: 8000, weight: 1 },
      { host: "127.0.1.22", port: 6000, weight: 1 },
      { host: "127.0.2.3", port: 11211, weight: 1 },
      { host: "127.0.1.23", port: 17102, weight: 1 },
      { host: "127.0.1.4", port: 17103, weight: 1 },
    ],
  },
  {
    id: "equal25",
    description:
      "25 unnamed weight-1 servers: in single precision each gets 156 ketama points, not 160",
    keys: "generic",
    servers: Array.from({ length: 25 }, (_, i) => ({
      host: `127.0.4.${i + 1}`,
      port: 17400 + i * 7,
      weight: 1,
    })),
  },
  {
    id: "heavy",
    description:
      "skewed weights 1,200,100,7,3: the weight-1 server gets 0 ketama points; UTF-8 name",
    keys: "generic",
    servers: [
      { host: "127.0.0.1", port: 0, weight: 1, name: "tiny" },
      { host: "127.0.0.1", port: 0, weight: 200, name: "huge" },
      { host: "127.0.0.1", port: 0, weight: 100, name: "big" },
      { host: "127.0.0.1", port: 0, weight: 7, name: "seven" },
      { host: "127.0.0.1", port: 0, weight: 3, name: "ünïcødé-сервер" },
    ],
  },
  {
    id: "longname",
    description: "names of 300 and 270 bytes: ketama hashes at most 272 bytes of `name-i`",
    keys: "generic",
    servers: [
      { host: "127.0.0.1", port: 0, weight: 1, name: LONG_300 },
      { host: "127.0.0.1", port: 0, weight: 1, name: LONG_270 },
      { host: "127.0.0.1", port: 0, weight: 2, name: "short" },
    ],
  },
  {
    id: "tagged",
    description: 'hash_tag "{}" over the "mixed" servers, keys with and without tags',
    keys: "tagged",
    hashTag: "{}",
    servers: [
      { host: "127.0.0.1", port: 0, weight: 1, name: "alpha" },
      { host: "127.0.1.1", port: 17001, weight: 2 },
      { host: "127.0.2.1", port: 11211, weight: 3 },
      { host: "127.0.0.1", port: 0, weight: 5, name: "beta" },
      { host: "127.0.1.2", port: 17002, weight: 1 },
      { host: "127.0.2.2", port: 11211, weight: 2 },
      { host: "127.0.0.1", port: 0, weight: 3, name: "cache-03.example.com" },
      { host: "127.0.1.10", port: 9000, weight: 1 },
    ],
  },
  {
    id: "eject",
    description:
      "auto_eject_hosts, server_failure_limit 1: server 2 has no listener; one request " +
      "to a key it owns ejects it; placements are those after the ejection (trigger = that key; " +
      "null when no key reaches the dead server, as with ketama + the 15-bit crc32: no ejection)",
    keys: "generic",
    eject: true,
    servers: [
      { host: "127.0.0.1", port: 0, weight: 1, name: "e-one" },
      { host: "127.0.1.31", port: 17201, weight: 2 },
      { host: "127.0.3.1", port: 17202, weight: 3, dead: true },
      { host: "127.0.2.4", port: 11211, weight: 1 },
      { host: "127.0.0.1", port: 0, weight: 2, name: "e-five" },
    ],
  },
];

/** The name twemproxy gives a server line (see conf_add_server). */
function serverName(s: ServerDef): string {
  if (s.name !== undefined) return s.name;
  return s.port === 11211 ? s.host : `${s.host}:${s.port}`;
}

/** Deterministic keys of all kinds, no tags needed: 3000 unique keys. */
function genericKeys(): Uint8Array[] {
  const rng = new Prng(20240601);
  const keys = new UniqueKeys();
  keys.push(new Uint8Array(0));
  for (let i = 0; i < 1000; i++) keys.push(utf8(`key:${i}`));
  for (let i = 0; i < 400; i++) {
    keys.push(utf8(`user:${rng.next()}:${rng.ascii(1 + rng.below(10))}`));
  }
  for (let i = 0; i < 500; i++) keys.push(utf8(rng.ascii(1 + rng.below(40))));
  for (let i = 0; i < 500; i++) keys.push(rng.bytes(1 + rng.below(32)));
  for (let i = 0; i < 200; i++) keys.push(utf8(String(rng.next())));
  for (let i = 0; i < 20; i++) {
    const len = 100 + rng.below(1400);
    keys.push(i % 2 === 0 ? utf8(rng.ascii(len)) : rng.bytes(len));
  }
  for (let i = 0; keys.length < 3000; i++) keys.push(utf8(`obj-${i}`));
  return keys.list;
}

/** Random ASCII without braces. */
function plain(rng: Prng, len: number): string {
  return rng.ascii(len).replace(/[{}]/g, "_");
}

/** Deterministic keys with `{...}` tags in many shapes: 2000 unique keys. */
function taggedKeys(): Uint8Array[] {
  const rng = new Prng(777);
  const keys = new UniqueKeys();
  for (const k of ["{}", "{", "}", "}{", "{a}"]) keys.push(utf8(k));
  for (let i = 0; keys.length < 2000; i++) {
    switch (i % 12) {
      case 0:
        keys.push(utf8(`{user${i % 97}}:profile:${i}`));
        break;
      case 1:
        keys.push(utf8(`session:{${plain(rng, 1 + rng.below(8))}}:${i}`));
        break;
      case 2:
        keys.push(utf8(`{}${i}`)); // empty tag: the whole key is hashed
        break;
      case 3:
        keys.push(utf8(`nobrace${i}`));
        break;
      case 4:
        keys.push(utf8(`open{only${i}`)); // no closing brace: whole key
        break;
      case 5:
        keys.push(utf8(`close}only{${i}`)); // "}" before "{": whole key
        break;
      case 6:
        keys.push(utf8(`}{x${i % 13}}`));
        break;
      case 7:
        keys.push(utf8(`a{b${i % 5}}c{d${i}}`)); // first tag wins
        break;
      case 8:
        keys.push(utf8(`{{n${i % 7}}}${i}`)); // tag is "{n.."
        break;
      case 9:
        keys.push(utf8(`${i}{t${i % 3}}`));
        break;
      case 10: {
        const tag = rng.bytes(1 + rng.below(6)).map((b) => (b === 0x7b || b === 0x7d ? 0x80 : b));
        keys.push(
          Uint8Array.from([...rng.bytes(rng.below(5)), 0x7b, ...tag, 0x7d, ...utf8(`${i}`)]),
        );
        break;
      }
      default:
        keys.push(utf8(`{${i % 11}}${plain(rng, rng.below(20))}`));
    }
  }
  return keys.list;
}

/** A list of keys that silently drops repeats. */
class UniqueKeys {
  readonly list: Uint8Array[] = [];
  readonly #seen = new Set<string>();

  push(key: Uint8Array): void {
    const h = toHex(key);
    if (this.#seen.has(h)) return;
    this.#seen.add(h);
    this.list.push(key);
  }

  get length(): number {
    return this.list.length;
  }
}

/** Reads the backends' record into a placement string (one digit per key, config index). */
function placement(
  keys: readonly Uint8Array[],
  replies: readonly Reply[],
  backends: FakeBackends,
  backendToServer: readonly number[],
  what: string,
): string {
  let out = "";
  keys.forEach((k, i) => {
    if (replies[i].kind !== "nil") {
      throw new Error(`${what}: key ${toHex(k)} got ${JSON.stringify(replies[i])}`);
    }
    const b = backends.seen.get(toHex(k));
    if (b === undefined) throw new Error(`${what}: key ${toHex(k)} reached no backend`);
    out += DIGITS[backendToServer[b]];
  });
  return out;
}

/** Asserts that nothing listens on a dead server's address. */
async function assertRefused(host: string, port: number): Promise<void> {
  try {
    const c = await Deno.connect({ hostname: host, port });
    c.close();
  } catch (e) {
    if (e instanceof Deno.errors.ConnectionRefused) return;
    throw e;
  }
  throw new Error(`${host}:${port} is meant to be dead but accepts connections`);
}

async function record(config: ConfigDef, keys: readonly Uint8Array[]): Promise<unknown> {
  const liveDefs = config.servers.map((s, i) => ({ s, i })).filter(({ s }) => !s.dead);
  for (const { s } of liveDefs) {
    if (s.port === 0 && s.name === undefined) throw new Error("port 0 servers must be named");
  }
  for (const s of config.servers) if (s.dead) await assertRefused(s.host, s.port);
  const backends = FakeBackends.start(
    liveDefs.map(({ s }) => ({ hostname: s.host, port: s.port })),
  );
  const backendToServer = liveDefs.map(({ i }) => i);
  const lines = config.servers.map((s, i) => {
    const port = s.port === 0 ? backends.ports[backendToServer.indexOf(i)] : s.port;
    return `${s.host}:${port}:${s.weight}${s.name === undefined ? "" : ` ${s.name}`}`;
  });
  const pools: PoolSpec[] = [];
  for (const dist of DISTS) {
    for (const hash of HASH_NAMES) {
      const settings: Record<string, string | number | boolean> = {
        hash,
        distribution: dist,
        redis: true,
      };
      if (config.hashTag !== undefined) settings.hash_tag = config.hashTag;
      if (config.eject) {
        settings.auto_eject_hosts = true;
        settings.server_failure_limit = 1;
        settings.server_retry_timeout = 600000;
      }
      pools.push({ name: `${dist}_${hash}`, settings, servers: lines });
    }
  }

  const placements: Record<string, Record<string, string>> = { ketama: {}, modula: {} };
  const triggers: Record<string, Record<string, string | null>> = { ketama: {}, modula: {} };
  const dead = config.servers.findIndex((s) => s.dead);
  const nc = await Nutcracker.start(pools);
  try {
    for (const dist of DISTS) {
      for (const hash of HASH_NAMES) {
        const what = `${config.id} ${dist} ${hash}`;
        const client = await RespClient.connect(nc.socket(`${dist}_${hash}`));
        try {
          backends.reset();
          if (config.eject) {
            // One key at a time until one fails: it was owned by the dead server.
            let trigger = -1;
            for (let i = 0; i < keys.length && trigger < 0; i++) {
              const [r] = await client.getAll([keys[i]]);
              if (r.kind === "error") {
                if (!/refused/i.test(r.message)) throw new Error(`${what}: ${r.message}`);
                trigger = i;
              }
            }
            // With a narrow hash (crc32 is 15 bits) ketama may never reach the dead server:
            // then nothing is ejected and the trigger is null.
            triggers[dist][hash] = trigger < 0 ? null : toHex(keys[trigger]);
          }
          backends.reset();
          const replies = await client.getAll(keys);
          placements[dist][hash] = placement(keys, replies, backends, backendToServer, what);
          if (dead >= 0 && placements[dist][hash].includes(DIGITS[dead])) {
            throw new Error(`${what}: the dead server got keys`);
          }
        } finally {
          client.close();
        }
      }
    }
  } finally {
    await nc.stop();
    await backends.close();
  }

  return {
    description: config.description,
    generator: "tools/gen_placement_fixtures.ts (nutcracker 0.5.0)",
    keys: `keys_${config.keys}.json`,
    hash_tag: config.hashTag ?? null,
    ...(config.eject
      ? {
        auto_eject_hosts: true,
        server_failure_limit: 1,
        server_retry_timeout: 600000,
        dead,
      }
      : {}),
    servers: config.servers.map((s) => ({
      line: `${s.host}:${s.port === 0 ? "PORT" : s.port}:${s.weight}${
        s.name === undefined ? "" : ` ${s.name}`
      }`,
      name: serverName(s),
      weight: s.weight,
    })),
    placement_encoding: `one character per key: the server's index in "servers" (digits ${DIGITS})`,
    placements,
    ...(config.eject ? { triggers } : {}),
  };
}

async function main(): Promise<void> {
  const keySets = { generic: genericKeys(), tagged: taggedKeys() };
  await Deno.mkdir(OUT, { recursive: true });
  const written: string[] = [];
  for (const [name, keys] of Object.entries(keySets)) {
    const file = new URL(`keys_${name}.json`, OUT);
    await Deno.writeTextFile(file, JSON.stringify({ keys: keys.map(toHex) }) + "\n");
    written.push(file.pathname);
    console.log(`wrote ${file.pathname}: ${keys.length} keys`);
  }
  for (const config of CONFIGS) {
    const fixture = await record(config, keySets[config.keys]);
    const file = new URL(`${config.id}.json`, OUT);
    await Deno.writeTextFile(file, JSON.stringify(fixture, null, 2) + "\n");
    written.push(file.pathname);
    console.log(`wrote ${file.pathname}`);
  }
  await formatFiles(written);
}

if (import.meta.main) await main();
