/**
 * The main thread's ejection decisions for `--workers N`: failures from
 * every worker add up, one ejection is broadcast (counted by the worker
 * whose failure decided it), a response anywhere restarts the count, and
 * the return is broadcast after the retry timeout.
 *
 * @module
 */
import assert from "node:assert/strict";
import { EjectionBoard } from "./ejection_board.ts";
import type { FailureReport, PlacementNote } from "./worker_protocol.ts";

const REF = { pool: "alpha", server: "r2", address: "127.0.0.1:2" };

function report(retryTimeout = 60_000): FailureReport {
  return { ...REF, limit: 3, autoEject: true, retryTimeout };
}

Deno.test("EjectionBoard adds up the failures of every worker and broadcasts one ejection", () => {
  const notes: PlacementNote[] = [];
  const board = new EjectionBoard((n) => notes.push(n));
  try {
    board.failure(report(), 0);
    assert.deepEqual(notes.map((n) => n.t), ["failing"], "a run of failures begins");
    board.failure(report(), 1);
    board.recovered(REF);
    board.failure(report(), 1);
    board.failure(report(), 0);
    assert.deepEqual(
      notes.map((n) => n.t),
      ["failing", "failing"],
      "a response restarted the count",
    );
    board.failure(report(), 1);
    const eject = notes.at(-1)!;
    assert.equal(eject.t, "eject");
    assert.equal(eject.t === "eject" && eject.counter, 1, "worker 1's failure decided it");
    assert.equal(eject.t === "eject" && eject.failures, 3);
    board.failure(report(), 0);
    assert.equal(notes.length, 3, "an ejected server is not ejected again");
    const again = board.inForce();
    assert.equal(again.length, 1);
    assert.equal(
      again[0]!.t === "eject" && again[0]!.counter,
      -1,
      "a restarted worker counts nothing",
    );
    assert.equal(again[0]!.t === "eject" && again[0]!.failures, 3, "the count that decided it");
    board.retain(() => false);
    assert.deepEqual(board.inForce(), [], "a server a reload removed is forgotten");
  } finally {
    board.close();
  }
});

Deno.test("EjectionBoard broadcasts the return after the retry timeout; without auto_eject_hosts nothing", async () => {
  const { promise, resolve } = Promise.withResolvers<PlacementNote>();
  const notes: PlacementNote[] = [];
  const board = new EjectionBoard((n) => {
    notes.push(n);
    if (n.t === "return") resolve(n);
  });
  try {
    for (let i = 0; i < 3; i++) {
      board.failure({ ...report(10), server: "off", autoEject: false }, 0);
    }
    assert.equal(notes.some((n) => n.t === "eject"), false);
    for (let i = 0; i < 3; i++) board.failure(report(10), 0);
    const back = await promise;
    assert.deepEqual(back, { t: "return", ...REF });
    assert.deepEqual(board.inForce(), []);
    // As twemproxy: the count restarted at the ejection, so the returned
    // server needs server_failure_limit new failures to go again.
    const ejects = () => notes.filter((n) => n.t === "eject").length;
    board.failure(report(10), 0);
    board.failure(report(10), 1);
    assert.equal(ejects(), 1, "two failures after the return do not eject");
    board.failure(report(10), 0);
    assert.equal(ejects(), 2);
  } finally {
    board.close();
  }
});
