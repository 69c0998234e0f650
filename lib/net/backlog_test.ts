/**
 * applyBacklog on real loopback listeners: the backlog the kernel reports
 * for the socket (`ss -ltn`, its Send-Q column) is the pool's `backlog:`
 * afterwards; 511 and the default 512 leave Deno's socket as it is.
 */
import assert from "node:assert/strict";
import { applyBacklog, DENO_BACKLOG } from "./backlog.ts";
import { Listener } from "./listener.ts";

/** The backlog `ss` reports for the listening socket on 127.0.0.1:`port`. */
async function kernelBacklog(port: number): Promise<number> {
  const out = await new Deno.Command("ss", { args: ["-ltnH", `sport = :${port}`] }).output();
  const line = new TextDecoder().decode(out.stdout).trim().split("\n")[0] ?? "";
  // State Recv-Q Send-Q Local:Port Peer:Port
  return Number(line.split(/\s+/)[2]);
}

const linux = Deno.build.os === "linux";

Deno.test({
  name: "applyBacklog sets the kernel's listen backlog of a Deno listener",
  ignore: !linux,
  fn: async () => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    assert.equal(await kernelBacklog(port), DENO_BACKLOG, "Deno's own backlog");
    assert.equal(applyBacklog(listener, 1024), null);
    assert.equal(await kernelBacklog(port), 1024);
    assert.equal(applyBacklog(listener, 100), null);
    assert.equal(await kernelBacklog(port), 100);
  },
});

Deno.test({
  name: "applyBacklog leaves 511 and the default 512 as Deno made them",
  ignore: !linux,
  fn: async () => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    assert.equal(applyBacklog(listener, 512), null);
    assert.equal(await kernelBacklog(port), DENO_BACKLOG);
  },
});

Deno.test({
  name: "Listener listens with the backlog it is given",
  ignore: !linux,
  fn: async () => {
    const logs: string[] = [];
    const listener = new Listener(
      { transport: "tcp", host: "127.0.0.1", port: 0 },
      (conn) => conn.close(),
      (_level, message) => logs.push(message),
      null,
      false,
      2048,
    );
    listener.open();
    try {
      const port = (listener.addr as Deno.NetAddr).port;
      assert.equal(await kernelBacklog(port), 2048);
      assert.deepEqual(logs, []);
    } finally {
      await listener.close();
    }
  },
});
