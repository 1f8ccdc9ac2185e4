/**
 * runMonitor() stopped while it reads the sockets, with a tracer: what the tracer saw since the latest poll is
 * reported (and so logged and recorded) over the connections that poll listed, with no new reading.
 */
import { deepStrictEqual } from "node:assert/strict";
import type { Collector, CollectResult } from "../../lib/collect/collector.ts";
import type { Socket } from "../../lib/model/connection.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import type { TraceEvent } from "../../lib/model/trace_event.ts";
import { runMonitor } from "../../lib/monitor/run_monitor.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { ToolError } from "../../lib/model/errors.ts";
import { pendingTrace } from "./_trace_feed.ts";

const START = new Date(2026, 10, 21, 14, 30, 0).getTime();

function socket(localPort: number, pid = 1): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: localPort,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status: "ESTABLISHED",
    pid,
    process_name: pid === 1 ? "curl" : "python3",
    process_path: null,
    user: null,
    inode: null,
  };
}

/**
 * Polls at 0 s and 1 s list one connection (40443); between 1 s and 2 s the tracer sees 50001 open and close and
 * 50002 open. `cut` is the reading that the stop cuts short (its tools killed): poll 3 at 2 s, or the last poll
 * made after a stop that comes in the sleep after poll 2.
 */
async function stoppedRun(cut: "poll 1" | "poll 3" | "last poll") {
  const stop = new AbortController();
  let now = START;
  let readings = 0;
  const collector: Collector = {
    name: "scripted",
    collect(): Promise<CollectResult> {
      const cutAt = cut === "poll 1" ? 1 : 3;
      if (++readings < cutAt) return Promise.resolve({ sockets: [socket(40443)], skipped: [], notes: [] });
      if (cut !== "last poll") queueMicrotask(() => stop.abort());
      const killed = new ToolError('"ss -tanpiOH" did not finish (killed by SIGKILL)');
      return new Promise((_, reject) =>
        stop.signal.aborted ? reject(killed) : stop.signal.addEventListener("abort", () => reject(killed))
      );
    },
  };
  const pending: TraceEvent[] = [
    { kind: "open", at: START + 1500, socket: socket(50001, 77), direction: "outgoing" },
    { kind: "close", at: START + 1520, socket: socket(50001, 77), direction: null },
    { kind: "open", at: START + 1800, socket: socket(50002, 77), direction: "outgoing" },
  ];
  const { trace, befores } = pendingTrace(pending);
  const written: string[][] = [];
  const logged: ConnectionEvent[][] = [];
  const notes: string[] = [];
  const result = await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1000,
    keep: () => true,
  }, {
    collector,
    now: () => new Date(now),
    sleep: (ms) => {
      now += ms;
      if (cut === "last poll" && readings === 2) stop.abort();
      return Promise.resolve();
    },
    output: {
      onPoll: (events) => {
        written.push(events.map((e) => `${e.event} ${e.connection.local_port} ${e.connection.pid}`));
        return Promise.resolve();
      },
      close: () => Promise.resolve(),
    },
    log: {
      record: (events: ConnectionEvent[]) => void logged.push(events),
      maybeFlush: () => Promise.resolve(),
      flush: () => Promise.resolve(),
    } as unknown as NonNullable<Parameters<typeof runMonitor>[2]["log"]>,
    note: (line) => notes.push(line),
    stop: stop.signal,
    trace,
  });
  return { result, readings, written, logged, notes, befores };
}

Deno.test("runMonitor() stopped during poll 3 reports the tracer's events since poll 2, with no new reading", async () => {
  const run = await stoppedRun("poll 3");
  deepStrictEqual([run.result.polls, run.result.failedPolls, run.readings, run.notes], [2, 0, 3, []]);
  deepStrictEqual(run.befores.at(-1), Infinity);
  // 40443, which poll 3 did not get to read, stays open: no reading said it closed.
  deepStrictEqual(run.written, [["NEW 40443 1"], [], ["NEW 50001 77", "CLOSED 50001 77", "NEW 50002 77"]]);
  deepStrictEqual(run.logged.map((events) => events.length), [1, 0, 3]);
});

Deno.test("runMonitor() whose last poll after a stop is ended reports the tracer's events without it, as a note", async () => {
  const run = await stoppedRun("last poll");
  deepStrictEqual([run.result.polls, run.result.failedPolls, run.readings], [2, 0, 3]);
  deepStrictEqual(run.notes, [
    'note: the last poll was ended 0 s after the stop: "ss -tanpiOH" did not finish (killed by SIGKILL)',
  ]);
  deepStrictEqual(run.written, [["NEW 40443 1"], [], ["NEW 50001 77", "CLOSED 50001 77", "NEW 50002 77"]]);
});

Deno.test("runMonitor() stopped during its first poll reports what the tracer saw, and no connection polled", async () => {
  const run = await stoppedRun("poll 1");
  deepStrictEqual([run.result.polls, run.result.failedPolls, run.readings, run.notes], [0, 0, 1, []]);
  deepStrictEqual(run.written, [["NEW 50001 77", "CLOSED 50001 77", "NEW 50002 77"]]);
});
