import { deepStrictEqual, match, rejects } from "node:assert/strict";
import type { Collector, CollectResult } from "../../lib/collect/collector.ts";
import type { Socket } from "../../lib/model/connection.ts";
import type { ConnectionEvent, StatusEvent } from "../../lib/model/monitor_event.ts";
import { type MonitorIo, runMonitor } from "../../lib/monitor/run_monitor.ts";
import type { MonitorOutput } from "../../lib/monitor/monitor_output.ts";
import type { PollInfo } from "../../lib/model/poll_info.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { ToolError } from "../../lib/model/errors.ts";
import { pendingTrace, quietTrace } from "./_trace_feed.ts";

function socket(remotePort: number): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 40000 + remotePort,
    remote_ip: "203.0.113.7",
    remote_port: remotePort,
    status: "ESTABLISHED",
    pid: 1,
    process_name: "curl",
    process_path: null,
    user: null,
    inode: null,
  };
}

/** A collector that plays a script, one reading per poll (the last one repeats); an Error entry throws. */
function scripted(readings: (Socket[] | Error)[]): Collector & { polls: number } {
  const collector = {
    name: "scripted",
    polls: 0,
    collect(): Promise<CollectResult> {
      const reading = readings[Math.min(collector.polls++, readings.length - 1)] ?? [];
      if (reading instanceof Error) return Promise.reject(reading);
      return Promise.resolve({ sockets: reading, skipped: [], notes: ["a note"] });
    },
  };
  return collector;
}

/** A clock that only moves when the monitor sleeps. */
function fakeClock() {
  let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
  const slept: number[] = [];
  return {
    slept,
    now: () => new Date(now),
    sleep: (ms: number) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

/**
 * What runMonitor reads from and writes to in a test that looks only at `collector` and what `io` gives: a fake
 * clock, an output and notes that go nowhere, no log, and no stop.
 */
function quietIo(collector: Collector, io: Partial<MonitorIo> = {}): MonitorIo {
  return {
    collector,
    ...fakeClock(),
    output: recordingOutput().output,
    log: null,
    note: () => {},
    stop: new AbortController().signal,
    ...io,
  };
}

function recordingOutput() {
  const polls: { events: ConnectionEvent[]; status: StatusEvent | null; info?: PollInfo }[] = [];
  let closed = 0;
  const output: MonitorOutput = {
    onPoll: (events, status, _at, info) => {
      polls.push({ events: [...events], status, ...(info === undefined ? {} : { info }) });
      return Promise.resolve();
    },
    close: () => {
      closed++;
      return Promise.resolve();
    },
  };
  return { output, polls, closed: () => closed };
}

Deno.test("runMonitor() polls once per time unit and stops after --count polls", async () => {
  const clock = fakeClock();
  const out = recordingOutput();
  const notes: string[] = [];
  const result = await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1000,
    count: 3,
    keep: () => true,
  }, {
    collector: scripted([[socket(443)], [socket(443), socket(80)], []]),
    ...clock,
    output: out.output,
    log: null,
    note: (line) => notes.push(line),
    stop: new AbortController().signal,
  });
  deepStrictEqual(result.polls, 3);
  deepStrictEqual(clock.slept, [1000, 1000]);
  deepStrictEqual(out.polls.map((p) => p.events.map((e) => e.event)), [["NEW"], ["NEW"], [
    "CLOSED",
    "CLOSED",
  ]]);
  deepStrictEqual(notes, ["note: a note"]);
  deepStrictEqual(out.closed(), 1);
});

Deno.test("runMonitor() ends at --duration and reports status every 10 polls", async () => {
  const clock = fakeClock();
  const out = recordingOutput();
  const result = await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 500,
    durationMs: 10_000,
    keep: () => true,
  }, {
    collector: scripted([[socket(443)]]),
    ...clock,
    output: out.output,
    log: null,
    note: () => {},
    stop: new AbortController().signal,
  });
  deepStrictEqual(result.polls, 20);
  deepStrictEqual(result.runtimeMs, 10_000);
  const statuses = out.polls.flatMap((p) => (p.status === null ? [] : [p.status]));
  deepStrictEqual(statuses.map((s) => [s.active_rows, s.connections, s.runtime_seconds]), [[1, 1, 5], [
    1,
    1,
    10,
  ]]);
});

Deno.test("runMonitor() stops when asked and still closes the output", async () => {
  const clock = fakeClock();
  const out = recordingOutput();
  const stop = new AbortController();
  const collector = scripted([[socket(443)]]);
  const result = await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1000,
    keep: () => true,
  }, {
    collector: {
      name: "stopping",
      collect: () => {
        if (collector.polls === 4) stop.abort();
        return collector.collect();
      },
    },
    ...clock,
    output: out.output,
    log: null,
    note: () => {},
    stop: stop.signal,
  });
  deepStrictEqual(result.polls, 5);
  deepStrictEqual(out.closed(), 1);
});

Deno.test("runMonitor() fails on a first poll that fails, and skips a later one with one warning", async () => {
  const out = recordingOutput();
  const io = { ...fakeClock(), output: out.output, log: null, stop: new AbortController().signal };
  const tracker = () => new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 });
  await rejects(
    runMonitor(tracker(), { timeUnitMs: 1000, count: 3, keep: () => true }, {
      ...io,
      collector: scripted([new Error("ss died")]),
      note: () => {},
    }),
    /ss died/,
  );
  deepStrictEqual(out.closed(), 1);
  const notes: string[] = [];
  const result = await runMonitor(tracker(), { timeUnitMs: 1000, count: 4, keep: () => true }, {
    ...io,
    collector: scripted([[socket(443)], new Error("ss died"), new Error("ss died"), [socket(443)], [
      socket(443),
    ]]),
    note: (line) => notes.push(line),
  });
  deepStrictEqual([result.polls, result.failedPolls], [4, 2]);
  deepStrictEqual(notes.filter((n) => n.startsWith("warning")).length, 1);
  match(notes.find((n) => n.startsWith("warning")) ?? "", /a poll failed and was skipped: ss died/);
});

Deno.test("runMonitor() skips a first poll whose tool ran out of time (a busy machine), with the warning", async () => {
  const out = recordingOutput();
  const io = { ...fakeClock(), output: out.output, log: null, stop: new AbortController().signal };
  const notes: string[] = [];
  const slow = new ToolError('"ss -tunapeH" did not finish within 30 s (killed by SIGKILL)', {
    timedOut: true,
  });
  const result = await runMonitor(
    new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }),
    { timeUnitMs: 1000, count: 2, keep: () => true },
    { ...io, collector: scripted([slow, [socket(443)]]), note: (line) => notes.push(line) },
  );
  deepStrictEqual([result.polls, result.failedPolls], [2, 1]);
  deepStrictEqual(out.polls[0]?.events.map((e) => e.event), ["NEW"]);
  match(
    notes.find((n) => n.startsWith("warning")) ?? "",
    /a poll failed and was skipped: "ss -tunapeH" did not/,
  );
});

Deno.test("runMonitor() measures polls that take longer than the time unit and keeps the timeline on time", async () => {
  const clock = fakeClock();
  const out = recordingOutput();
  const collector = scripted([[socket(443)]]);
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10, timeUnitMs: 1000 });
  const result = await runMonitor(
    tracker,
    { timeUnitMs: 1000, count: 10, keep: () => true, statusEvery: 5 },
    {
      ...clock,
      // Each reading takes 1.4 s of the clock.
      collector: { name: "slow", collect: () => clock.sleep(1400).then(() => collector.collect()) },
      output: out.output,
      log: null,
      note: () => {},
      stop: new AbortController().signal,
    },
  );
  deepStrictEqual(
    clock.slept.filter((ms) => ms !== 1400 && ms !== 0),
    [],
    "waited between polls that overran",
  );
  deepStrictEqual([result.pollTimes.count, result.pollTimes.overran, result.pollTimes.maxMs], [10, 10, 1400]);
  deepStrictEqual(out.polls[4]?.info?.recentMs, 1400);
  deepStrictEqual(out.polls[4]?.status?.poll_seconds, 1.4);
  // Ten polls over 12.6 s: the last one is in column 13 (12.6 s rounded), not column 9.
  deepStrictEqual(tracker.column, 13);
});

Deno.test("runMonitor() tells the output how many connections and rows the filter hid", async () => {
  const out = recordingOutput();
  await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1000,
    count: 1,
    keep: (c) => c.remote_port === 80,
  }, {
    ...fakeClock(),
    collector: scripted([[socket(443), socket(80), socket(22), {
      ...socket(8080),
      remote_ip: "198.51.100.9",
    }]]),
    output: out.output,
    log: null,
    note: () => {},
    stop: new AbortController().signal,
  });
  deepStrictEqual([out.polls[0]?.info?.hiddenConnections, out.polls[0]?.info?.hiddenRows], [3, 2]);
});

Deno.test("runMonitor() applies the filter before tracking", async () => {
  const out = recordingOutput();
  await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1000,
    count: 1,
    keep: (c) => c.remote_port === 80,
  }, {
    ...fakeClock(),
    collector: scripted([[socket(443), socket(80)]]),
    output: out.output,
    log: null,
    note: () => {},
    stop: new AbortController().signal,
  });
  deepStrictEqual(out.polls[0]?.events.map((e) => e.connection.remote_port), [80]);
});

function tracedSocket(localPort: number): Socket {
  return { ...socket(443), local_port: localPort, pid: 77, process_name: "python3" };
}

Deno.test("runMonitor() adds the tracer's events to each poll, and polls once more at the end to lose none", async () => {
  const clock = fakeClock();
  const out = recordingOutput();
  const start = clock.now().getTime();
  // Two connections that lived between polls: one during the run, one after the last poll of the loop.
  const pending = [
    { kind: "open" as const, at: start + 200, socket: tracedSocket(50001), direction: "outgoing" as const },
    { kind: "close" as const, at: start + 220, socket: tracedSocket(50001), direction: null },
    { kind: "open" as const, at: start + 2500, socket: tracedSocket(50002), direction: "outgoing" as const },
  ];
  const { trace, befores } = pendingTrace(pending);
  const result = await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1000,
    durationMs: 2000,
    keep: () => true,
  }, {
    collector: scripted([[]]),
    now: clock.now,
    sleep: clock.sleep,
    output: out.output,
    log: null,
    note: () => {},
    stop: new AbortController().signal,
    trace,
  });
  // Polls at 0 s, 1 s and (the duration ends at 2 s) one last one that drains everything.
  deepStrictEqual(result.polls, 3);
  deepStrictEqual(befores.at(-1), Infinity);
  const events = out.polls.flatMap((p) =>
    p.events.map((e) => `${e.event} ${e.connection.local_port} ${e.connection.pid}`)
  );
  deepStrictEqual(events, ["NEW 50001 77", "CLOSED 50001 77", "NEW 50002 77"]);
});

Deno.test("runMonitor() does not poll again after --count when tracing", async () => {
  const collector = scripted([[]]);
  await runMonitor(
    new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }),
    { timeUnitMs: 1000, count: 2, keep: () => true },
    quietIo(collector, { trace: quietTrace(["note: from the tracer"]) }),
  );
  deepStrictEqual(collector.polls, 2);
});

Deno.test("runMonitor() stamps a socket the collector held back for its process with when it was first seen, and takes the owner a later poll learns", async () => {
  const clock = fakeClock();
  const start = clock.now().getTime();
  const out = recordingOutput();
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 });
  const learned: (number | null)[][] = [];
  const output: MonitorOutput = {
    onPoll: (events, status, at, info) => {
      learned.push(tracker.ownersLearned().map((learned) => learned.connection.pid));
      return out.output.onPoll(events, status, at, info);
    },
    close: () => out.output.close(),
  };
  const held = { ...socket(443), inode: 7 };
  const unowned = { ...held, pid: null, process_name: null };
  // Poll 1: nothing. Poll 2 (the socket was first listed 2.5 s before, held back): read without its process.
  // Poll 3: unchanged. Poll 4: a walk names it. Poll 5: it has closed.
  const readings: CollectResult[] = [
    { sockets: [], skipped: [], notes: [] },
    { sockets: [unowned], skipped: [], notes: [], waited: new Map([[7, 2_500]]) },
    { sockets: [unowned], skipped: [], notes: [] },
    { sockets: [held], skipped: [], notes: [] },
    { sockets: [], skipped: [], notes: [] },
  ];
  let polls = 0;
  const collector: Collector = {
    name: "scripted",
    collect: () => Promise.resolve(readings[polls++]!),
  };
  await runMonitor(tracker, { timeUnitMs: 1000, count: 5, keep: () => true }, {
    collector,
    ...clock,
    output,
    log: null,
    note: () => {},
    stop: new AbortController().signal,
  });
  const events = out.polls.flatMap((p) => p.events);
  deepStrictEqual(events.map((e) => [e.event, e.connection.pid]), [["NEW", null], ["CLOSED", 1]]);
  // First seen 2.5 s before the poll that reported it (the second, at start + 1 s).
  deepStrictEqual(Date.parse(events[0]!.connection.timestamp), start + 1_000 - 2_500);
  deepStrictEqual(learned, [[], [], [], [1], []]);
  // It lived from when it was first seen to the poll that saw it gone (start + 4 s).
  deepStrictEqual(events[1]!.duration_s, 5.5);
});

/**
 * A collector whose reading number `hangAt` (1-based) never ends by itself: it stops the run, and the stop ends
 * the reading with the error of a killed tool, as a command's stop ends the tools of a reading in flight
 * (lib/cli/stoppable_programs.ts).
 */
function hangingAt(hangAt: number, stop: AbortController): Collector & { polls: number } {
  const collector = {
    name: "hanging",
    polls: 0,
    collect(): Promise<CollectResult> {
      // A reading after the stop (the last poll) is not cut short: it reads.
      if (++collector.polls < hangAt || stop.signal.aborted) {
        return Promise.resolve({ sockets: [socket(443)], skipped: [], notes: [] });
      }
      // The reading is under way: stop now, as a signal would.
      queueMicrotask(() => stop.abort());
      return new Promise((_, reject) =>
        stop.signal.addEventListener(
          "abort",
          () => reject(new ToolError('"find -L /proc/1/fd" did not finish within 120 s (killed by SIGKILL)')),
        )
      );
    },
  };
  return collector;
}

for (const hangAt of [1, 3]) {
  Deno.test(`runMonitor() ends the run when a stop cuts poll ${hangAt} short: no failure, no last poll`, async () => {
    const out = recordingOutput();
    const stopper = new AbortController();
    const collector = hangingAt(hangAt, stopper);
    const notes: string[] = [];
    const result = await runMonitor(
      new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }),
      { timeUnitMs: 1000, keep: () => true },
      quietIo(collector, {
        output: out.output,
        note: (line) => notes.push(line),
        stop: stopper.signal,
        // With a tracer the run polls once more at its end: not after a poll the stop cut short.
        trace: quietTrace(),
      }),
    );
    deepStrictEqual(
      [result.polls, result.failedPolls, collector.polls, notes, out.closed()],
      [hangAt - 1, 0, hangAt, [], 1],
    );
  });
}

Deno.test("runMonitor() stopped before its first poll makes none, not even the tracer's last one", async () => {
  const collector = scripted([[socket(443)]]);
  const stopper = new AbortController();
  stopper.abort();
  const result = await runMonitor(
    new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }),
    { timeUnitMs: 1000, keep: () => true },
    quietIo(collector, { stop: stopper.signal, trace: quietTrace() }),
  );
  deepStrictEqual([result.polls, collector.polls], [0, 0]);
});
