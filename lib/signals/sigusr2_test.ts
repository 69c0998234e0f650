import assert from "node:assert/strict";
import { onSigusr2 } from "./sigusr2.ts";

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

Deno.test({
  name: "onSigusr2() runs the handler set last; restoring brings the previous one back",
  ignore: Deno.build.os === "windows",
  async fn() {
    const seen: string[] = [];
    const restoreA = onSigusr2(() => seen.push("a"));
    Deno.kill(Deno.pid, "SIGUSR2");
    await until(() => seen.length === 1);
    const restoreB = onSigusr2(() => seen.push("b"));
    Deno.kill(Deno.pid, "SIGUSR2");
    await until(() => seen.length === 2);
    restoreB();
    Deno.kill(Deno.pid, "SIGUSR2");
    await until(() => seen.length === 3);
    restoreA();
    // No handler: the signal is still hooked, so it is ignored rather than fatal.
    Deno.kill(Deno.pid, "SIGUSR2");
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, ["a", "b", "a"]);
  },
});
