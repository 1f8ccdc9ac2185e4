import { deepStrictEqual } from "node:assert/strict";
import { CONFIRM_MS, TracerWaits } from "../../lib/monitor/tracer_waits.ts";
import { connection } from "./_connections.ts";

/** A connection a poll listed without its process (what waits for a tracer's report). */
const c = connection({ pid: null, process_name: null, process_path: null, user: null });

Deno.test("TracerWaits.awaitOwner() waits CONFIRM_MS from when the connection was first seen, then not", () => {
  const waits = new TracerWaits();
  deepStrictEqual(waits.awaitOwner("k", c, 500, 1000, 1), true);
  deepStrictEqual(waits.awaitOwner("k", c, undefined, 500 + CONFIRM_MS - 1, 2), true);
  deepStrictEqual(waits.awaitOwner("k", c, undefined, 500 + CONFIRM_MS, 3), false);
  // One first seen longer ago than that never waits.
  deepStrictEqual(waits.awaitOwner("old", c, 0, CONFIRM_MS, 1), false);
});

Deno.test("TracerWaits.sweep() hands over what waited in vain, with when a poll first missed it; a report ends the wait", () => {
  const waits = new TracerWaits();
  waits.awaitOwner("gone", c, undefined, 1000, 1);
  waits.awaitOwner("listed", c, undefined, 1000, 1);
  waits.awaitOwner("reported", c, undefined, 1000, 1);
  waits.reported("reported");
  const inVain: [string, number | null][] = [];
  const sweep = (round: number, at: number) =>
    waits.sweep(round, at, (key, a) => inVain.push([key, a.goneAt]));
  waits.awaitOwner("listed", c, undefined, 2000, 2);
  sweep(2, 2000); // "gone" was not listed by poll 2: gone at 2000
  deepStrictEqual(inVain, []);
  waits.awaitOwner("listed", c, undefined, 1000 + CONFIRM_MS, 3); // no longer waits: not updated
  sweep(3, 1000 + CONFIRM_MS);
  deepStrictEqual(inVain, [["gone", 2000], ["listed", 1000 + CONFIRM_MS]]);
  const drained: string[] = [];
  waits.drain((key) => drained.push(key));
  deepStrictEqual(drained, []);
});

Deno.test("TracerWaits.take() ends the wait of a connection that opens, and drain() hands over every wait at the end", () => {
  const waits = new TracerWaits();
  waits.awaitOwner("a", c, undefined, 1000, 1);
  waits.awaitOwner("b", c, undefined, 1000, 1);
  deepStrictEqual(waits.take("a")?.since, 1000);
  deepStrictEqual(waits.take("a"), undefined);
  const drained: string[] = [];
  waits.drain((key) => drained.push(key));
  deepStrictEqual(drained, ["b"]);
  deepStrictEqual(waits.take("b"), undefined);
});

Deno.test("TracerWaits.lingers() holds a lingering socket CONFIRM_MS; endListing() ends the wait of one not listed or listed open", () => {
  const waits = new TracerWaits();
  waits.beginPoll();
  deepStrictEqual(waits.lingers("tw", 1, 1000), true);
  waits.endListing(() => false);
  waits.beginPoll();
  deepStrictEqual(waits.lingers("tw", 2, 1000 + CONFIRM_MS - 1), true);
  waits.endListing(() => false);
  waits.beginPoll();
  deepStrictEqual(waits.lingers("tw", 3, 1000 + CONFIRM_MS), false);
  waits.endListing(() => false);
  // Not listed by a poll: its wait starts again when a poll lists it.
  waits.beginPoll();
  waits.endListing(() => false);
  waits.beginPoll();
  deepStrictEqual(waits.lingers("tw", 5, 10_000), true);
  waits.endListing(() => true); // listed open now
  waits.beginPoll();
  deepStrictEqual(waits.lingers("tw", 6, 10_000 + CONFIRM_MS), true);
});
