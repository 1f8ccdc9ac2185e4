import { deepStrictEqual, ok } from "node:assert/strict";
import { openKernelEvents } from "../../lib/cli/kernel_events.ts";
import type { FinalCountersSource } from "../../lib/collect/final_counters.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { listing } from "../collect/_tcp_listing.ts";

/** A scripted ss -E that runs until closed. */
function handSource(): FinalCountersSource {
  let closed = false;
  return {
    get running() {
      return !closed;
    },
    skipped: 0,
    lines: 0,
    waitFor: () => Promise.resolve(),
    take: () => undefined,
    takeNotes: () => [],
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
}

Deno.test("openKernelEvents(): the ss -E switch waits for calm by a clock that never steps, not the wall clock", async () => {
  // The wall clock as the run reads it, to be set forward below (an NTP step, a VM restored).
  const wallClock = Date.now;
  let step = 0;
  Date.now = () => wallClock() + step;
  try {
    let starts = 0;
    const events = await openKernelEvents(
      { trace: false, sniffDns: false, finalCounters: true, timeUnit: 1 },
      {
        machine: { ...denoPlatform(), os: "linux" },
        note: () => {},
        startFinalCounters: () => {
          starts++;
          return handSource();
        },
      },
    );
    const switched = events.finalCounters;
    ok(switched !== null);
    deepStrictEqual(starts, 1);
    // Churn (1,000 TIME_WAIT: 16.7 closes a second, above the 12.6 break-even at 1,000 sockets): ss -E stops
    // after the next poll.
    await switched.afterPoll?.(listing(1_000, 1_000), []);
    await switched.afterPoll?.(listing(1_000, 1_000), []);
    deepStrictEqual(switched.takeNotes().filter((note) => note.startsWith("ss -E stopped")).length, 1);
    // Calm from now on; between two calm polls the wall clock is set an hour forward: no minute of calm has
    // passed, so ss -E stays off.
    await switched.afterPoll?.(listing(1_000, 0), []);
    step = 3_600_000;
    await switched.afterPoll?.(listing(1_000, 0), []);
    await switched.afterPoll?.(listing(1_000, 0), []);
    deepStrictEqual(starts, 1);
    deepStrictEqual(switched.running, false);
    await events.close();
  } finally {
    Date.now = wallClock;
  }
});
