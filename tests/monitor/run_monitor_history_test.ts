import { deepStrictEqual } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Collector, CollectResult } from "../../lib/collect/collector.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { HistoryRecorder } from "../../lib/monitor/history_recorder.ts";
import type { MonitorOutput } from "../../lib/monitor/monitor_output.ts";
import { runMonitor, type TraceFeed } from "../../lib/monitor/run_monitor.ts";
import type { TraceEvent } from "../../lib/model/trace_event.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { MemoryStore } from "../../lib/store/memory_store.ts";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";

const owned: Socket = {
  protocol: "TCP",
  family: 4,
  local_ip: "10.0.0.2",
  local_port: 40443,
  remote_ip: "203.0.113.7",
  remote_port: 443,
  status: "ESTABLISHED",
  pid: 1,
  process_name: "curl",
  process_path: null,
  user: null,
  inode: 7,
};

/**
 * The monitor's whole chain into a real history file: the tracker's events and the slots they carry, through
 * runMonitor and the recorder, to SqliteStore, which finds a connection it opened by its slot only (no key). A
 * link that dropped the slots (the owner learned, or the last sightings at the end) would lose the owner or the
 * last counters without an error.
 */
Deno.test("runMonitor() with history: a process learned late and the last counters reach the connection's record", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.db`;
  try {
    // Poll 1: nothing. Poll 2: the socket, its process not known yet. Poll 3: a walk names it, 5 bytes sent.
    // Poll 4 (the last): 9 bytes sent; the run ends with it open.
    const unowned = { ...owned, pid: null, process_name: null, bytes_sent: 1, bytes_received: 0 };
    const readings: Socket[][] = [
      [],
      [unowned],
      [{ ...owned, bytes_sent: 5, bytes_received: 0 }],
      [{ ...owned, bytes_sent: 9, bytes_received: 4 }],
    ];
    let polls = 0;
    const collector: Collector = {
      name: "scripted",
      collect: (): Promise<CollectResult> =>
        Promise.resolve({ sockets: readings[polls++]!, skipped: [], notes: [] }),
    };
    let now = new Date(2026, 11, 3, 10, 0, 0).getTime();
    const output: MonitorOutput = { onPoll: () => Promise.resolve(), close: () => Promise.resolve() };
    const history = new HistoryRecorder(SqliteStore.open(path), {
      describe: () => ({}),
      note: () => {},
      fallback: () => new MemoryStore(),
      flushIntervalMs: 60_000,
    });
    await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
      timeUnitMs: 1000,
      count: 4,
      keep: () => true,
    }, {
      collector,
      now: () => new Date(now),
      sleep: (ms: number) => {
        now += ms;
        return Promise.resolve();
      },
      output,
      log: null,
      history,
      note: () => {},
      stop: new AbortController().signal,
    });
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      deepStrictEqual(
        db.prepare("SELECT pid, process_name, bytes_sent, bytes_received, closed_at FROM connections").all()
          .map((row) => ({ ...row })),
        [{ pid: 1, process_name: "curl", bytes_sent: 9, bytes_received: 4, closed_at: null }],
      );
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * `--trace`'s late reports into a real history file: the tracer's report of a connection's open (with its
 * process) comes with the poll after the one that listed it without a process. One record per connection,
 * with its process, closed.
 */
async function tracedRun(first: Socket[], reported = true): Promise<Record<string, unknown>[]> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.db`;
  try {
    const start = new Date(2026, 11, 3, 10, 0, 0).getTime();
    const unowned = { ...owned, pid: null, process_name: null };
    // Poll 1 (at 0 s): `first`. Poll 2 (1 s): the connection, its process not known. Poll 3 (2 s): gone; the
    // tracer's reports of its open (at 0.9 s, with the process) and close (at 1.2 s) come with it; or, not
    // `reported`, still listed and no report (the run ends with that poll).
    const readings: Socket[][] = [first, [unowned], reported ? [] : [unowned]];
    // Poll 1 also takes the tracer's reports of an earlier connection: it reports opens (bpftrace does).
    const other = { ...owned, local_port: 40999, inode: null };
    const reports: TraceEvent[][] = [
      [
        { kind: "open", at: start - 500, socket: other, direction: "outgoing" },
        { kind: "close", at: start - 400, socket: { ...other, status: "CLOSE" }, direction: null },
      ],
      [],
      !reported ? [] : [
        { kind: "open", at: start + 900, socket: { ...owned, inode: null }, direction: "outgoing" },
        {
          kind: "close",
          at: start + 1200,
          socket: { ...unowned, inode: null, status: "CLOSE" },
          direction: null,
        },
      ],
    ];
    let polls = 0;
    let drains = 0;
    const collector: Collector = {
      name: "scripted",
      collect: (): Promise<CollectResult> =>
        Promise.resolve({ sockets: readings[polls++]!, skipped: [], notes: [] }),
    };
    const trace: TraceFeed = { drain: () => Promise.resolve(reports[drains++] ?? []), takeNotes: () => [] };
    let now = start;
    const output: MonitorOutput = { onPoll: () => Promise.resolve(), close: () => Promise.resolve() };
    const history = new HistoryRecorder(SqliteStore.open(path), {
      describe: () => ({}),
      note: () => {},
      fallback: () => new MemoryStore(),
      flushIntervalMs: 60_000,
    });
    await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
      timeUnitMs: 1000,
      count: 3,
      keep: () => true,
    }, {
      collector,
      now: () => new Date(now),
      sleep: (ms: number) => {
        now += ms;
        return Promise.resolve();
      },
      output,
      log: null,
      history,
      note: () => {},
      stop: new AbortController().signal,
      trace,
    });
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return db.prepare(
        "SELECT local_port, pid, process_name, opened_at - ? AS opened, closed_at - ? AS closed FROM connections WHERE local_port = 40443",
      )
        .all(start, start).map((row) => ({ ...row }));
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("runMonitor() with --trace and history: a tracer's late report of an open gives one record, with the process, closed", async () => {
  // Its NEW waited for the report: the record is written once, with the process and the tracer's times.
  deepStrictEqual(await tracedRun([]), [{
    local_port: 40443,
    pid: 1,
    process_name: "curl",
    opened: 900,
    closed: 1200,
  }]);
  // Listed at the first poll (reported at once, without its process): the report names the process of that
  // record, and closes it.
  const early = await tracedRun([{ ...owned, pid: null, process_name: null }]);
  deepStrictEqual(early, [{ local_port: 40443, pid: 1, process_name: "curl", opened: 0, closed: 1200 }]);
});

Deno.test("runMonitor() with --trace and history: a connection that waits for the tracer's report when the run ends is recorded", async () => {
  // Listed at polls 2 and 3 without its process, and no report before the run ends (--count 3): reported as
  // polling alone would have, from when it was first seen, still open.
  deepStrictEqual(await tracedRun([], false), [{
    local_port: 40443,
    pid: null,
    process_name: null,
    opened: 1000,
    closed: null,
  }]);
});
