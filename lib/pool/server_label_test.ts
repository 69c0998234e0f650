import assert from "node:assert/strict";
import { serverLabel } from "./server.ts";

Deno.test("serverLabel() puts the address beside a name that does not say it", () => {
  const tcp = { transport: "tcp", host: "127.0.0.1", port: 11211 } as const;
  // twemproxy names a port-11211 server by its host alone: the log shows the port too.
  assert.equal(serverLabel("127.0.0.1", tcp), "'127.0.0.1' (127.0.0.1:11211)");
  assert.equal(serverLabel("cache-1", tcp), "'cache-1' (127.0.0.1:11211)");
  assert.equal(serverLabel("127.0.0.1:11211", tcp), "'127.0.0.1:11211'");
  assert.equal(
    serverLabel("v6", { transport: "tcp", host: "::1", port: 6379 }),
    "'v6' ([::1]:6379)",
  );
  assert.equal(
    serverLabel("sock", { transport: "unix", path: "/tmp/r.sock" } as never),
    "'sock' (/tmp/r.sock)",
  );
  assert.equal(serverLabel("master", null), "'master'");
});
