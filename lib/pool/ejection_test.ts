/**
 * The ejection rule and one event loop's authority: the count is the
 * server's, the ejection comes at server_failure_limit with
 * auto_eject_hosts only, once, and a response restarts the count.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type Ejectable, type EjectableServer, ejectionDue, LOCAL_EJECTION } from "./ejection.ts";

Deno.test("ejectionDue: at the limit, with auto_eject_hosts, when not ejected already", () => {
  assert.equal(ejectionDue(1, 2, true, false), false);
  assert.equal(ejectionDue(2, 2, true, false), true);
  assert.equal(ejectionDue(3, 2, true, false), true);
  assert.equal(ejectionDue(5, 2, false, false), false);
  assert.equal(ejectionDue(5, 2, true, true), false);
});

Deno.test("LOCAL_EJECTION counts on the server, ejects once at the limit, and a response restarts", () => {
  const server: EjectableServer = {
    name: "s",
    address: { transport: "tcp", host: "127.0.0.1", port: 1 },
    failures: 0,
    retryAt: 0,
  };
  const ejections: [number, boolean, number][] = [];
  const pool: Ejectable = {
    name: "p",
    autoEject: true,
    failureLimit: 2,
    retryTimeout: 1000,
    eject(s, at, until, counted, failures) {
      s.retryAt = until;
      ejections.push([until - at, counted, failures]);
    },
    readmit(s) {
      s.retryAt = 0;
    },
  };
  LOCAL_EJECTION.failure(pool, server);
  LOCAL_EJECTION.recovered(pool, server);
  assert.equal(server.failures, 0);
  LOCAL_EJECTION.failure(pool, server);
  assert.deepEqual(ejections, []);
  LOCAL_EJECTION.failure(pool, server);
  LOCAL_EJECTION.failure(pool, server);
  assert.deepEqual(ejections, [[1000, true, 2]], "ejected once, for the retry timeout");
  assert.equal(LOCAL_EJECTION.poolTimesReturn, true);
  // As twemproxy: the count starts again at the ejection (the failure
  // while ejected is the only one left), so a server back from its retry
  // timeout is ejected again only after the limit again.
  assert.equal(server.failures, 1, "the count restarted at the ejection");
  pool.readmit(server);
  LOCAL_EJECTION.recovered(pool, server);
  LOCAL_EJECTION.failure(pool, server);
  assert.equal(ejections.length, 1, "one failure after the return does not eject");
  LOCAL_EJECTION.failure(pool, server);
  assert.deepEqual(ejections[1], [1000, true, 2]);
});
