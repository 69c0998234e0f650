import assert from "node:assert/strict";
import { checkSentinels, parseSentinel } from "./sentinel.ts";
import { parseConfig } from "./load.ts";

Deno.test("parseSentinel() reads host:port and [v6]:port, refuses the rest", () => {
  assert.deepEqual(parseSentinel("127.0.0.1:26379", 3), {
    host: "127.0.0.1",
    port: 26379,
    spec: "127.0.0.1:26379",
    line: 3,
  });
  assert.equal(parseSentinel("[::1]:26379", 1).host, "::1");
  assert.equal(parseSentinel("sentinel-a.local:5000", 1).port, 5000);
  assert.throws(() => parseSentinel("127.0.0.1", 1), /is not host:port/);
  assert.throws(() => parseSentinel("127.0.0.1:0", 1), /not a valid port/);
  assert.throws(() => parseSentinel("127.0.0.1:26379:1", 1), /host/);
  const twice = checkSentinels([parseSentinel("127.0.0.1:1", 4), parseSentinel("127.1:1", 5)]);
  assert.equal(twice?.index, 1);
  assert.match(twice?.error.reason ?? "", /already listed on line 4/);
});

const pool = (lines: string) => `p:\n  listen: 127.0.0.1:1\n  redis: true\n${lines}`;

Deno.test("sentinel pools: master lines, and the rules that go with them", () => {
  const config = parseConfig(
    pool(
      "  sentinels:\n    - 127.0.0.1:26379\n    - 127.0.0.1:26380\n  sentinel_auth: pw\n" +
        "  servers:\n    - alpha:1\n    - 127.0.0.1:6380:2 beta\n",
    ),
    "t.yml",
  );
  const p = config.pools[0]!;
  assert.deepEqual(p.sentinels.map((s) => s.port), [26379, 26380]);
  assert.equal(p.sentinelAuth, "pw");
  assert.deepEqual(p.servers.map((s) => [s.name, s.address, s.weight]), [
    ["beta", { transport: "tcp", host: "127.0.0.1", port: 6380 }, 2],
    ["alpha", null, 1],
  ]);
  const bad = (text: string, re: RegExp) => assert.throws(() => parseConfig(text, "t.yml"), re);
  bad(
    pool("  servers:\n    - alpha:1\n"),
    /key 'servers': server 'alpha:1' \(line 5\) needs a host, a port and a weight; .*only for pools with sentinels/,
  );
  bad(
    pool("  sentinels:\n    - 127.0.0.1:26379\n  servers:\n    - 127.0.0.1:6379:1\n"),
    /server '127\.0\.0\.1:6379:1' \(line 7\) has no master name/,
  );
  bad(
    "p:\n  listen: 127.0.0.1:1\n  sentinels:\n    - 127.0.0.1:26379\n  servers:\n    - a:1\n",
    /key 'sentinels': sentinels are only valid for a redis pool/,
  );
  bad(
    pool("  sentinel_auth: x\n  servers:\n    - 127.0.0.1:6379:1\n"),
    /sentinel_auth is set without sentinels/,
  );
  bad(pool("  sentinels:\n  servers:\n    - a:1\n"), /the sentinel list is empty/);
  bad(pool("  sentinels: 127.0.0.1:26379\n  servers:\n    - a:1\n"), /sentinels must be a list/);
  // Without sentinels, an IP with a port and no weight keeps its old message.
  bad(pool("  servers:\n    - 127.0.0.1:6379\n"), /needs a host, a port and a weight/);
});
