import assert from "node:assert/strict";
import { Logger } from "./logger.ts";
import { installLogSignals } from "./signals.ts";

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

Deno.test({
  name: "installLogSignals() raises on SIGTTIN, lowers on SIGTTOU, reopens on SIGHUP",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dir = await Deno.makeTempDir();
    const file = `${dir}/n.log`;
    const log = new Logger({ level: 5, file });
    const dispose = installLogSignals(log);
    try {
      Deno.kill(Deno.pid, "SIGTTIN");
      await until(() => log.level === 6);
      assert.equal(log.level, 6);
      // Signals of one kind sent together may merge: wait for each.
      Deno.kill(Deno.pid, "SIGTTOU");
      await until(() => log.level === 5);
      Deno.kill(Deno.pid, "SIGTTOU");
      await until(() => log.level === 4);
      assert.equal(log.level, 4);

      await Deno.rename(file, `${dir}/n.log.1`);
      Deno.kill(Deno.pid, "SIGHUP");
      await until(() => {
        try {
          Deno.statSync(file);
          return true;
        } catch {
          return false;
        }
      });
      log.warn("after rotation");
      const rotated = await Deno.readTextFile(`${dir}/n.log.1`);
      assert.match(rotated, /signal SIGTTIN received, up logging level\n.*up log level to 6\n/);
      assert.match(rotated, /down log level to 4\n/);
      assert.match(await Deno.readTextFile(file), /\] after rotation\n$/);
    } finally {
      dispose();
      dispose(); // idempotent
      log.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
