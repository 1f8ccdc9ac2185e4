import { deepStrictEqual } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { Collector, CollectResult } from "../../lib/collect/collector.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { HistoryRecorder } from "../../lib/monitor/history_recorder.ts";
import type { MonitorOutput } from "../../lib/monitor/monitor_output.ts";
import { type MonitorLoopOptions, runMonitor, type TraceFeed } from "../../lib/monitor/run_monitor.ts";
import type { TraceEvent } from "../../lib/model/trace_event.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { MemoryStore } from "../../lib/store/memory_store.ts";
import { SqliteStore } from "../../lib/store/sqlite_store.ts";
import { openDatabase } from "../sqlite_opener.ts";

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
const unowned: Socket = { ...owned, pid: null, process_name: null };
const START = new Date(2026, 11, 3, 10, 0, 0).getTime();

/**
 * Run the monitor from START, one poll a second, on scripted readings (a reading that is an Error fails its
 * poll) and, with `reports`, a scripted tracer (each poll drains the next batch), into a real history file;
 * the rows `sql` selects from it afterwards (its `?` parameters are START), and the events of each output.
 */
async function runWithHistory(
  readings: (Socket[] | Error)[],
  loop: Pick<MonitorLoopOptions, "count" | "durationMs">,
  sql: string,
  reports?: TraceEvent[][],
): Promise<{ rows: Record<string, unknown>[]; outputs: string[][] }> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/history.db`;
  try {
    let polls = 0;
    const collector: Collector = {
      name: "scripted",
      collect: (): Promise<CollectResult> => {
        const reading = readings[polls++]!;
        return reading instanceof Error
          ? Promise.reject(reading)
          : Promise.resolve({ sockets: reading, skipped: [], notes: [] });
      },
    };
    let drains = 0;
    const trace: TraceFeed | null = reports === undefined
      ? null
      : { drain: () => Promise.resolve(reports[drains++] ?? []), takeNotes: () => [] };
    let now = START;
    const outputs: string[][] = [];
    const output: MonitorOutput = {
      onPoll: (events) => {
        outputs.push(events.map((e) => `${e.event} ${e.connection.local_port}`));
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    };
    const history = new HistoryRecorder(SqliteStore.open(path, { openDatabase }), {
      describe: () => ({}),
      note: () => {},
      fallback: () => new MemoryStore(),
      flushIntervalMs: 60_000,
    });
    await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
      timeUnitMs: 1000,
      keep: () => true,
      ...loop,
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
      const rows = db.prepare(sql).all(...Array.from({ length: sql.split("?").length - 1 }, () => START))
        .map((row) => ({ ...row }));
      return { rows, outputs };
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The monitor's whole chain into a real history file: the tracker's events and the slots they carry, through
 * runMonitor and the recorder, to SqliteStore, which finds a connection it opened by its slot only (no key). A
 * link that dropped the slots (the owner learned, or the last sightings at the end) would lose the owner or the
 * last counters without an error.
 */
Deno.test("runMonitor() with history: a process learned late and the last counters reach the connection's record", async () => {
  // Poll 1: nothing. Poll 2: the socket, its process not known yet. Poll 3: a walk names it, 5 bytes sent.
  // Poll 4 (the last): 9 bytes sent; the run ends with it open.
  const { rows } = await runWithHistory(
    [
      [],
      [{ ...unowned, bytes_sent: 1, bytes_received: 0 }],
      [{ ...owned, bytes_sent: 5, bytes_received: 0 }],
      [{ ...owned, bytes_sent: 9, bytes_received: 4 }],
    ],
    { count: 4 },
    "SELECT pid, process_name, bytes_sent, bytes_received, closed_at FROM connections",
  );
  deepStrictEqual(rows, [{
    pid: 1,
    process_name: "curl",
    bytes_sent: 9,
    bytes_received: 4,
    closed_at: null,
  }]);
});

/** The record of the connection on port 40443: its process, and when it opened and closed (ms after START). */
const RECORD =
  "SELECT local_port, pid, process_name, opened_at - ? AS opened, closed_at - ? AS closed FROM connections WHERE local_port = 40443";

/**
 * `--trace`'s reports: poll 1 (at 0 s) takes the reports of an earlier connection (the tracer reports opens, as
 * bpftrace does); with `reported`, poll 3 (2 s) takes those of the connection on port 40443: its open (at
 * 0.9 s, with the process) and close (at 1.2 s).
 */
function reports(reported: boolean): TraceEvent[][] {
  const other = { ...owned, local_port: 40999, inode: null };
  return [
    [
      { kind: "open", at: START - 500, socket: other, direction: "outgoing" },
      { kind: "close", at: START - 400, socket: { ...other, status: "CLOSE" }, direction: null },
    ],
    [],
    !reported ? [] : [
      { kind: "open", at: START + 900, socket: { ...owned, inode: null }, direction: "outgoing" },
      {
        kind: "close",
        at: START + 1200,
        socket: { ...unowned, inode: null, status: "CLOSE" },
        direction: null,
      },
    ],
  ];
}

Deno.test("runMonitor() with --trace and history: a tracer's late report of an open gives one record, with the process, closed", async () => {
  // Poll 2 (1 s) lists the connection without its process, poll 3 no longer: its NEW waited for the report, so
  // the record is written once, with the process and the tracer's times.
  deepStrictEqual((await runWithHistory([[], [unowned], []], { count: 3 }, RECORD, reports(true))).rows, [
    { local_port: 40443, pid: 1, process_name: "curl", opened: 900, closed: 1200 },
  ]);
  // Listed at the first poll (reported at once, without its process): the report names the process of that
  // record, and closes it.
  deepStrictEqual(
    (await runWithHistory([[unowned], [unowned], []], { count: 3 }, RECORD, reports(true))).rows,
    [
      { local_port: 40443, pid: 1, process_name: "curl", opened: 0, closed: 1200 },
    ],
  );
});

Deno.test("runMonitor() with --trace and history: a connection that waits for the tracer's report when the run ends is recorded", async () => {
  // Listed at 1 s without its process, and no report before the run ends: reported as polling alone would have,
  // from when it was first seen, still open. The run ends by --count (its last poll), by --duration (the
  // tracer's final poll, at 1.5 s), or with a final poll that could not read the sockets.
  const waiting = [{ local_port: 40443, pid: null, process_name: null, opened: 1000, closed: null }];
  const [byCount, byDuration, failed] = [
    await runWithHistory([[], [unowned], [unowned]], { count: 3 }, RECORD, reports(false)),
    await runWithHistory([[], [unowned], [unowned]], { durationMs: 1500 }, RECORD, reports(false)),
    await runWithHistory(
      [[], [unowned], new Error("ss failed")],
      { durationMs: 1500 },
      RECORD,
      reports(false),
    ),
  ];
  deepStrictEqual([byCount.rows, byDuration.rows, failed.rows], [waiting, waiting, waiting]);
  // Its NEW comes with the last poll's events; after a final poll that failed, on its own.
  const outputs = [["NEW 40999", "CLOSED 40999"], [], ["NEW 40443"]];
  deepStrictEqual([byCount.outputs, byDuration.outputs, failed.outputs], [outputs, outputs, outputs]);
});
