/**
 * Generates `lib/proto/redis/commands.ts`, the facts about every command,
 * from a real redis-server's `COMMAND INFO` and `COMMAND DOCS` (arity,
 * flags, key specs, docs). How the proxy serves each command is not decided
 * here: that is the hand-written table of `lib/proto/redis/policy.ts`.
 *
 * ```sh
 * deno run -A tools/gen_redis_commands.ts [--redis-server=/path/to/redis-server] [--twemproxy=/path/to/twemproxy.git]
 * ```
 *
 * It starts redis-server itself (on a free loopback port) and refuses to
 * write anything unless that server is {@link PINNED_REDIS_VERSION}, the
 * version the recorded replies are from. With
 * `--twemproxy`, it also refreshes `testdata/nc_redis_commands.txt`, the
 * command list of twemproxy's `src/proto/nc_redis.c`, which the table test
 * checks against.
 *
 * @module
 */
import { Connection, redisVersion } from "../tests/_support/redis_connection.ts";
import type { RespValue } from "../tests/_support/resp_decode.ts";
import { startRedis } from "../tests/_support/servers.ts";

/** Where the table and its test data live. */
const here = new URL("../lib/proto/redis/", import.meta.url);

/**
 * The redis-server version the table and the recorded replies
 * (`testdata/redis_<version>_replies.json`) are pinned to. The generator
 * refuses any other version: moving to another Redis means re-recording the
 * replies with `capture_redis_replies.ts` too, and then changing this line.
 */
export const PINNED_REDIS_VERSION = "7.0.15";

/**
 * Commands newer than the redis-server the table is generated from, added
 * by hand: [name, arity, flags, acl, group, since, summary, complexity].
 */
const EXTRA:
  readonly (readonly [string, number, string, string, string, string, string, string])[] = [
    [
      "client|setinfo",
      4,
      "noscript loading stale",
      "@slow @connection",
      "connection",
      "7.2.0",
      "Sets information specific to the client or connection.",
      "O(1)",
    ],
  ];

// ---------------------------------------------------------------------------

function str(v: RespValue | undefined): string {
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && "simple" in v) return v.simple;
  if (typeof v === "number") return String(v);
  throw new TypeError(`Cannot read string: ${JSON.stringify(v)}`);
}

function arr(v: RespValue | undefined): RespValue[] {
  if (Array.isArray(v)) return v;
  throw new TypeError(`Cannot read array: ${JSON.stringify(v)}`);
}

function num(v: RespValue | undefined): number {
  if (typeof v === "number") return v;
  throw new TypeError(`Cannot read integer: ${JSON.stringify(v)}`);
}

/** A flat RESP2 map as a JS map. */
function fields(v: RespValue | undefined): Map<string, RespValue> {
  const a = arr(v);
  const m = new Map<string, RespValue>();
  for (let i = 0; i + 1 < a.length; i += 2) m.set(str(a[i]), a[i + 1] ?? null);
  return m;
}

/**
 * Turns Redis key specs into the table's compact form (see
 * `command_spec.ts`): `1`, `1..-1`, `1..-1/2`, `2#0+1`, `STORE>6`, ...
 */
function keySpecs(name: string, specs: RespValue[]): string {
  const out: string[] = [];
  for (const spec of specs) {
    const f = fields(spec);
    const flags = arr(f.get("flags")).map(str);
    if (flags.includes("not_key")) continue;
    const bs = fields(f.get("begin_search"));
    const fk = fields(f.get("find_keys"));
    const bsType = str(bs.get("type"));
    if (bsType === "unknown") continue;
    const bsSpec = fields(bs.get("spec"));
    let begin: string;
    if (bsType === "index") begin = String(num(bsSpec.get("index")));
    else if (bsType === "keyword") {
      begin = `${str(bsSpec.get("keyword"))}>${num(bsSpec.get("startfrom"))}`;
    } else throw new Error(`${name}: begin_search ${bsType}`);
    const fkType = str(fk.get("type"));
    const fkSpec = fields(fk.get("spec"));
    let find: string;
    if (fkType === "range") {
      const last = num(fkSpec.get("lastkey"));
      const step = num(fkSpec.get("keystep"));
      const limit = num(fkSpec.get("limit"));
      find = last === 0 && step === 1 && limit === 0 ? "" : `..${last}`;
      if (step !== 1) find += `/${step}`;
      if (limit !== 0) find += `:${limit}`;
    } else if (fkType === "keynum") {
      find = `#${num(fkSpec.get("keynumidx"))}+${num(fkSpec.get("firstkey"))}`;
      const step = num(fkSpec.get("keystep"));
      if (step !== 1) find += `/${step}`;
    } else throw new Error(`${name}: find_keys ${fkType}`);
    out.push(begin + find);
  }
  // SORT's STORE option is an "unknown" spec in Redis (it uses sortGetKeys).
  if (name === "sort") out.push("sort-store");
  return out.join(";");
}

type Row = [string, number, string, string, string, string, string, string, string, string];

function rowFrom(info: RespValue[], docs: Map<string, RespValue>): Row {
  const name = str(info[0]);
  const d = docs;
  return [
    name,
    num(info[1]),
    keySpecs(name, arr(info[8])),
    arr(info[2]).map(str).join(" "),
    `${num(info[3])} ${num(info[4])} ${num(info[5])}`,
    arr(info[6]).map(str).join(" "),
    str(d.get("group")),
    str(d.get("since")),
    str(d.get("summary")),
    d.has("complexity") ? str(d.get("complexity")) : "",
  ];
}

async function main(): Promise<void> {
  const twemproxy = Deno.args.find((a) => a.startsWith("--twemproxy="))?.slice(12);
  const binary = Deno.args.find((a) => a.startsWith("--redis-server="))?.slice(15);
  await using server = await startRedis(undefined, [], binary);
  const version = await redisVersion(server.port);
  if (version !== PINNED_REDIS_VERSION) {
    throw new Error(
      `Cannot generate commands.ts: ${binary ?? "redis-server"} is ${version}, the table ` +
        `and testdata/redis_${PINNED_REDIS_VERSION}_replies.json are pinned to ` +
        `${PINNED_REDIS_VERSION}. Pass --redis-server=/path/to/redis-server-${PINNED_REDIS_VERSION}, ` +
        `or move the pin: re-record the replies with tools/capture_redis_replies.ts, then change ` +
        `PINNED_REDIS_VERSION in tools/gen_redis_commands.ts.`,
    );
  }
  const conn = await Connection.open(server.port);
  const info = arr(await conn.call(["COMMAND", "INFO"]));
  const docsAll = fields(await conn.call(["COMMAND", "DOCS"]));
  conn.close();

  const rows: Row[] = [];
  for (const entry of info) {
    const e = arr(entry);
    const name = str(e[0]);
    const d = fields(docsAll.get(name));
    const subs = arr(e[9]);
    rows.push(rowFrom(e, d));
    const subDocs = d.has("subcommands") ? fields(d.get("subcommands")) : new Map();
    for (const s of subs) {
      const se = arr(s);
      rows.push(rowFrom(se, fields(subDocs.get(str(se[0])))));
    }
  }
  for (const [name, arity, flags, acl, group, since, summary, complexity] of EXTRA) {
    if (rows.some((r) => r[0] === name)) continue;
    rows.push([
      name,
      arity,
      "",
      flags,
      "0 0 0",
      acl,
      group,
      since,
      summary,
      complexity,
    ]);
  }
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  const lines = rows.map((r) => `  ${JSON.stringify(r)},`).join("\n");
  const text = `// deno-fmt-ignore-file
/**
 * The facts about every command of redis-server ${version} (and
 * subcommands as \`container|sub\`): Redis's arity, flags, key specs and
 * docs. The single source of truth for command names, arity checks, key
 * positions and COMMAND replies. How the proxy serves each command is not
 * here: that is the hand-written table of \`policy.ts\`.
 *
 * GENERATED by \`tools/gen_redis_commands.ts\` from redis-server ${version}
 * (the version the recorded replies are pinned to). Do not edit by hand.
 *
 * Columns: name, arity (negative = at least), key specs (see
 * \`command_spec.ts\`), flags, legacy first/last/step, ACL categories,
 * group, since, summary, complexity.
 *
 * @module
 */

/** One row of {@link COMMANDS}. */
export type CommandRow = readonly [
  name: string,
  arity: number,
  keys: string,
  flags: string,
  firstLastStep: string,
  acl: string,
  group: string,
  since: string,
  summary: string,
  complexity: string,
];

/** Version of the redis-server the table was generated from. */
export const COMMANDS_REDIS_VERSION = ${JSON.stringify(version)};

/** Every command, sorted by name. */
export const COMMANDS: readonly CommandRow[] = [
${lines}
];
`;
  await Deno.writeTextFile(new URL("commands.ts", here), text);
  console.log(`wrote commands.ts: ${rows.length} rows from redis ${version}`);

  if (twemproxy !== undefined) {
    const out = await new Deno.Command("git", {
      args: ["-C", twemproxy, "show", "HEAD:src/proto/nc_redis.c"],
      stdout: "piped",
    }).output();
    const src = new TextDecoder().decode(out.stdout);
    const names = new Set<string>();
    for (const m of src.matchAll(/MSG_REQ_REDIS_([A-Z_]+)/g)) names.add(m[1]!.toLowerCase());
    const list = [...names].sort();
    await Deno.mkdir(new URL("testdata/", here), { recursive: true });
    await Deno.writeTextFile(
      new URL("testdata/nc_redis_commands.txt", here),
      `# Commands named in twemproxy's src/proto/nc_redis.c (MSG_REQ_REDIS_*), one a line.\n# Generated by tools/gen_redis_commands.ts --twemproxy.\n${
        list.join("\n")
      }\n`,
    );
    console.log(`wrote testdata/nc_redis_commands.txt: ${list.length} commands`);
  }
}

if (import.meta.main) await main();
