import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { openSession, type SessionPlatform } from "../../lib/cli/session.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import { monitorFilter } from "../../lib/monitor/monitor_filter.ts";
import type { MonitorOutput } from "../../lib/monitor/monitor_output.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { io, options, scripted, socket } from "./_monitor_io.ts";

function platform(readings: Parameters<typeof scripted>[0]): SessionPlatform & { notes: string[] } {
  const run = io(scripted(readings));
  const notes: string[] = [];
  return { ...run.io, env: new Map(), os: "linux", notes };
}

function recorded(): MonitorOutput & { events: ConnectionEvent[]; closed: number } {
  const output = {
    events: [] as ConnectionEvent[],
    closed: 0,
    onPoll: (events: readonly ConnectionEvent[]) => Promise.resolve(void output.events.push(...events)),
    close: () => Promise.resolve(void output.closed++),
  };
  return output;
}

const LOOP = {
  timeUnitMs: 1000,
  count: 2,
  keep: monitorFilter({ filterLocal: false, hidden: null, outgoing: false }),
};

Deno.test("openSession() runs the loop into the output, counts alerts and keeps the first ones in full", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const list = join(dir, "ips.txt");
    await Deno.writeTextFile(list, "198.51.100.7\n203.0.113.9\n");
    const flags = options(["--store", "none", "--blocklist", list, "--include-private"]);
    const io = platform([[socket("198.51.100.7", 50000)], [
      socket("198.51.100.7", 50000),
      socket("203.0.113.9", 50001),
    ]]);
    const session = await openSession(flags, io, {
      note: (line) => io.notes.push(line),
      format: "ndjson",
      recordsNeeded: false,
      onNameAnswer: () => {},
      alertsListed: 1,
    });
    const output = recorded();
    const stop = new AbortController();
    const tracker = new Tracker({ width: 60, groupBy: "ip", maxClosedRows: 100 });
    try {
      const result = await session.run(tracker, LOOP, output, stop.signal);
      deepStrictEqual(result.polls, 2);
    } finally {
      await session.close(output);
    }
    deepStrictEqual(output.events.filter((e) => e.event === "ALERT").length, 2);
    deepStrictEqual(session.alertCount, 2);
    deepStrictEqual(session.alertsListed.map((a) => a.event.connection.remote_ip), ["198.51.100.7"]);
    ok(session.watch.reasonFor("203.0.113.9") !== null);
    ok(output.closed >= 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openSession() closes the output and the history it opened when the loop never ran", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = join(dir, "history.db");
    await Deno.writeTextFile(join(dir, "none.txt"), "");
    const flags = options(["--store", "sqlite", "--db", db, "--blocklist", join(dir, "none.txt")]);
    const io = platform([[]]);
    const session = await openSession(flags, io, {
      note: (line) => io.notes.push(line),
      format: "text",
      recordsNeeded: false,
      onNameAnswer: () => {},
      alertsListed: 0,
    });
    ok(session.recorder !== null, io.notes.join("\n"));
    const output = recorded();
    await session.close(output);
    deepStrictEqual(output.closed, 1);
    deepStrictEqual(output.events, []);
    // A closed database answers no more queries.
    const store = session.recorder.store;
    let refused = false;
    await store.snapshots().catch(() => (refused = true));
    ok(refused, "the history is still open");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
