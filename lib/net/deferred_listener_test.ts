import assert from "node:assert/strict";
import { DeferredListener, type Opened } from "./deferred_listener.ts";

const ASKED: Deno.NetAddr = { transport: "tcp", hostname: "127.0.0.1", port: 0 };

function opened(): Opened {
  return {
    listener: Deno.listen({ hostname: "127.0.0.1", port: 0 }),
    listening: Promise.resolve(),
  };
}

Deno.test("DeferredListener accepts on the real listener once it is there", async () => {
  const { promise, resolve } = Promise.withResolvers<Opened>();
  const l = new DeferredListener(promise, ASKED);
  assert.deepEqual(l.addr, ASKED, "the address asked for, meanwhile");
  const accepting = l.accept();
  const real = opened();
  resolve(real);
  await l.listening;
  assert.deepEqual(l.addr, real.listener.addr);
  const { port } = real.listener.addr as Deno.NetAddr;
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const served = await accepting;
  served.close();
  client.close();
  l.close();
  await assert.rejects(() => l.accept(), Deno.errors.BadResource);
});

Deno.test("DeferredListener closed early closes the real listener when it arrives", async () => {
  const { promise, resolve } = Promise.withResolvers<Opened>();
  const l = new DeferredListener(promise, ASKED);
  const accepting = l.accept();
  l.close();
  const real = opened();
  resolve(real);
  await assert.rejects(() => accepting, Deno.errors.BadResource);
  // The real listener is closed: accepting on it fails at once.
  await assert.rejects(() => real.listener.accept(), Deno.errors.BadResource);
});

Deno.test("DeferredListener passes on a failure to make or bind the real listener", async () => {
  const l = new DeferredListener(Promise.reject(new Error("no module")), ASKED);
  await assert.rejects(() => l.listening, /no module/);
  await assert.rejects(() => l.accept(), /no module/);
  l.close();
});
