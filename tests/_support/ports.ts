/**
 * Support for tests, the benchmark and the tools alike: free loopback ports
 * and waiting for a port to answer. One copy, because every process-starting
 * helper in the tree needs both.
 *
 * @module
 */

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): number {
  return freePorts(1)[0]!;
}

/** `n` distinct free TCP ports on 127.0.0.1 (all bound at once, then released). */
export function freePorts(n: number): number[] {
  const listeners = Array.from(
    { length: n },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
  const ports = listeners.map((l) => l.addr.port);
  for (const l of listeners) l.close();
  return ports;
}

/**
 * Waits until 127.0.0.1:`port` accepts a connection. Throws after `ms`, or
 * as soon as `gone()` returns a reason (the process meant to listen exited).
 */
export async function waitForPort(
  port: number,
  ms = 5000,
  gone?: () => string | null,
): Promise<void> {
  const until = Date.now() + ms;
  while (true) {
    try {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      c.close();
      return;
    } catch (err) {
      const reason = gone?.() ?? null;
      if (reason !== null) throw new Error(`${reason} before listening on 127.0.0.1:${port}`);
      if (Date.now() > until) {
        throw new Error(`Cannot connect to 127.0.0.1:${port} after ${ms} ms: ${err}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
