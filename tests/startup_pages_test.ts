/**
 * End-to-end: once nutmeg listens it lets the deno executable's start-up
 * pages go (lib/runtime/startup_pages.ts), and it goes on serving: the
 * pages the proxy runs on come back when used.
 */
import assert from "node:assert/strict";
import { RawClient, startRedis } from "./_support/servers.ts";
import { startNutmeg, until } from "./_support/nutmeg_process.ts";

/** Resident kB of `pid`'s read-only mappings of the deno executable. */
async function executableKb(pid: number): Promise<number> {
  const smaps = await Deno.readTextFile(`/proc/${pid}/smaps`);
  const exe = await Deno.realPath(`/proc/${pid}/exe`);
  let kb = 0;
  let counting = false;
  for (const line of smaps.split("\n")) {
    const m = /^[0-9a-f]+-[0-9a-f]+ (\S{4}) \S+ \S+ \S+ *(.*)$/.exec(line);
    if (m !== null) counting = m[2] === exe && !m[1]!.includes("w");
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (counting && rss !== null) kb += Number(rss[1]);
  }
  return kb;
}

Deno.test({
  name: "nutmeg lets its start-up pages go once it listens, and serves on",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using redis = await startRedis();
    const conf =
      `alpha:\n  listen: AUTO\n  redis: true\n  servers:\n    - 127.0.0.1:${redis.port}:1\n`;
    await using nm = await startNutmeg(conf, { flags: ["-v", "6"], waitForStats: true });
    const line = /start-up done: ([\d.]+) MB of the deno executable's pages unmapped/;
    assert.ok(await until(async () => line.test(await nm.log()), 10_000), await nm.log());
    const droppedKb = Number(line.exec(await nm.log())![1]) * 1024;
    for (let i = 0; i < 20; i++) {
      await using c = await RawClient.connect(nm.port);
      await c.send(`*3\r\n$3\r\nSET\r\n$3\r\nk:${i % 10}\r\n$2\r\nok\r\n`);
      assert.equal(await c.readLine(), "+OK");
      await c.send(`*2\r\n$3\r\nGET\r\n$3\r\nk:${i % 10}\r\n`);
      assert.equal(await c.readUntilText("ok\r\n"), "$2\r\nok\r\n");
    }
    await using stats = await RawClient.connect(nm.statsPort);
    assert.ok(await stats.closedWithin(5000), "the stats port sent its JSON and closed");
    const json = JSON.parse(new TextDecoder().decode(stats.buffered));
    assert.ok(`127.0.0.1:${redis.port}` in json.alpha, JSON.stringify(json));
    // Serving brought back what it runs on, not everything start-up touched.
    const now = await executableKb(nm.pid);
    assert.ok(now < droppedKb, `${now} kB resident now, ${droppedKb} kB were dropped`);
    assert.ok(nm.running());
  },
});
