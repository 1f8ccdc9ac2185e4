import { deepStrictEqual } from "node:assert/strict";
import type { Collector, CollectRequest, CollectResult } from "../../lib/collect/collector.ts";
import { type FinalCountersSource, startFinalCounters } from "../../lib/collect/final_counters.ts";
import type { ByteCounts } from "../../lib/model/byte_counters.ts";
import type { Connection, Socket } from "../../lib/model/connection.ts";
import type { ConnectionEvent, StatusEvent } from "../../lib/model/monitor_event.ts";
import { addFinalCounters } from "../../lib/monitor/final_bytes.ts";
import { runMonitor } from "../../lib/monitor/run_monitor.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";

const KEY = "TCP 10.0.0.2 40000 203.0.113.7 443";

function socket(status: string, sent: number | null, received: number | null): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 40000,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status,
    pid: status === "TIME_WAIT" ? null : 1,
    process_name: status === "TIME_WAIT" ? null : "curl",
    process_path: null,
    user: null,
    inode: null,
    bytes_sent: sent,
    bytes_received: received,
  };
}

function connection(status: string, sent: number | null, received: number | null): Connection {
  return {
    ...socket(status, sent, received),
    timestamp: "2026-11-21T14:30:00.000+00:00",
    direction: "outgoing",
  };
}

/** A source that has heard `heard` (more can be added), and records what the polls waited for and forgot. */
function heardSource(
  heard: Map<string, ByteCounts>,
): FinalCountersSource & { waited: string[][]; forgotten: string[] } {
  const held = new Map<string, ByteCounts>();
  return {
    running: true,
    skipped: 0,
    waited: [],
    forgotten: [],
    forgetHeld(key) {
      this.forgotten.push(key);
      held.delete(key);
    },
    waitFor(keys) {
      this.waited.push([...keys]);
      return Promise.resolve();
    },
    take(key, hold) {
      const found = heard.get(key) ?? held.get(key);
      heard.delete(key);
      held.delete(key);
      if (found !== undefined && hold) held.set(key, found);
      return found;
    },
    takeNotes: () => [],
    close: () => Promise.resolve(),
  };
}

Deno.test("addFinalCounters() gives a connection entering TIME_WAIT its final counters, counts what they add once, and repeats them at its CLOSED", async () => {
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10, traffic: true });
  const source = heardSource(new Map([[KEY, { sent: 5_000, received: 300 }]]));
  const at = (s: number) => new Date(2026, 10, 21, 14, 30, s);
  const poll = async (connections: Connection[], s: number) => {
    const events = tracker.update(connections, at(s));
    await addFinalCounters(events, source, 100, tracker.traffic);
    return events;
  };
  await poll([connection("ESTABLISHED", 1_000, 0)], 0);
  const [state] = await poll([connection("TIME_WAIT", null, null)], 1);
  deepStrictEqual([state?.event, state?.connection.bytes_sent, state?.connection.bytes_received], [
    "STATE",
    5_000,
    300,
  ]);
  // The last reading said 1,000 and 0: what moved after it is counted in the poll that saw the close.
  deepStrictEqual([tracker.traffic?.machine.sent, tracker.traffic?.machine.received], [5_000, 300]);
  await poll([connection("TIME_WAIT", null, null)], 2);
  const [closed] = await poll([], 62);
  deepStrictEqual([closed?.event, closed?.connection.bytes_sent, closed?.connection.bytes_received], [
    "CLOSED",
    5_000,
    300,
  ]);
  deepStrictEqual([tracker.traffic?.machine.sent, tracker.traffic?.machine.received], [5_000, 300]);
  // It waited for the TIME_WAIT's counters, not for the CLOSED's (held since).
  deepStrictEqual(source.waited, [[KEY]]);
});

Deno.test("addFinalCounters() gives a connection whose socket ended at FIN_WAIT_2 its final counters there, repeats them at its TIME_WAIT, and counts them once", async () => {
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10, traffic: true });
  const source = heardSource(new Map([[KEY, { sent: 7_000, received: 900 }]]));
  const at = (s: number) => new Date(2026, 10, 21, 14, 30, s);
  const poll = async (connections: Connection[], s: number) => {
    const events = tracker.update(connections, at(s));
    await addFinalCounters(events, source, 100, tracker.traffic);
    return events;
  };
  await poll([connection("ESTABLISHED", 1_000, 0)], 0);
  const [finWait] = await poll([connection("FIN_WAIT_2", null, null)], 1);
  deepStrictEqual([
    finWait?.connection.status,
    finWait?.connection.bytes_sent,
    finWait?.connection.bytes_received,
  ], [
    "FIN_WAIT_2",
    7_000,
    900,
  ]);
  await poll([connection("FIN_WAIT_2", null, null)], 2);
  const [timeWait] = await poll([connection("TIME_WAIT", null, null)], 5);
  deepStrictEqual([
    timeWait?.previous_status,
    timeWait?.connection.bytes_sent,
    timeWait?.connection.bytes_received,
  ], [
    "FIN_WAIT_2",
    7_000,
    900,
  ]);
  deepStrictEqual([tracker.traffic?.machine.sent, tracker.traffic?.machine.received], [7_000, 900]);
  // The FIN_WAIT_2 poll did not wait (a socket only shut down goes on); the TIME_WAIT's found them held.
  deepStrictEqual(source.waited, [[KEY]]);
});

Deno.test("addFinalCounters() gives a vanished connection's CLOSED its final counters; a close not heard keeps the last reading", async () => {
  const source = heardSource(new Map([[KEY, { sent: 9_000, received: 10 }]]));
  const other = { ...connection("ESTABLISHED", 70, 7), local_port: 40001 };
  const events: ConnectionEvent[] = [
    { event: "CLOSED", connection: connection("ESTABLISHED", 1_000, 0) },
    { event: "CLOSED", connection: other },
    // Not closing: untouched, and nothing waited for.
    { event: "NEW", connection: { ...connection("ESTABLISHED", 1, 1), local_port: 40002 } },
    { event: "STATE", connection: { ...connection("FIN_WAIT_2", 1, 1), local_port: 40003 } },
  ];
  await addFinalCounters(events, source, 100);
  deepStrictEqual(events.map((e) => [e.connection.bytes_sent, e.connection.bytes_received]), [
    [9_000, 10],
    [70, 7],
    [1, 1],
    [1, 1],
  ]);
  deepStrictEqual(source.waited, [[KEY, "TCP 10.0.0.2 40001 203.0.113.7 443"]]);
});

/** ss -E's final counters as startFinalCounters keeps them, from the lines the test `say`s, on `now` if given. */
function saidFinalCounters(now?: () => number): { source: FinalCountersSource; say: (line: string) => void } {
  let say = (_line: string) => {};
  const source = startFinalCounters({
    stream: (_command, _args, options) => {
      say = options.onLine;
      return { exited: new Promise(() => {}), close: () => Promise.resolve() };
    },
    ...(now === undefined ? {} : { now }),
  });
  if (typeof source === "string") throw new Error(source);
  return { source, say: (line) => say(line) };
}

/** A collector that lists one connection until `closeAt` polls, and records what each poll asked for. */
function recordingCollector(closeAt: number): Collector & { asked: boolean[] } {
  const asked: boolean[] = [];
  return {
    name: "ss",
    asked,
    collect(request?: CollectRequest): Promise<CollectResult> {
      const counters = request?.counters ?? true;
      asked.push(counters);
      const poll = asked.length;
      // Its counters grow by 100 a poll; a reading without counters keeps the last read (as the ss dump does).
      const lastRead = asked.lastIndexOf(true) + 1;
      const sockets = poll >= closeAt ? [] : [socket("ESTABLISHED", 100 * lastRead, 0)];
      return Promise.resolve({ sockets, skipped: [], notes: [] });
    },
  };
}

function loop(source: FinalCountersSource | null, collector: Collector, count: number) {
  let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
  const statuses: StatusEvent[] = [];
  const closed: ConnectionEvent[] = [];
  const notes: string[] = [];
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10, traffic: true });
  return {
    statuses,
    closed,
    notes,
    run: () =>
      runMonitor(tracker, { timeUnitMs: 1000, count, keep: () => true, countersEvery: 10 }, {
        collector,
        now: () => new Date(now),
        sleep: (ms) => {
          now += ms;
          return Promise.resolve();
        },
        output: {
          onPoll: (events, status) => {
            if (status !== null) statuses.push(status);
            for (const e of events) if (e.event === "CLOSED") closed.push(e);
            return Promise.resolve();
          },
          close: () => Promise.resolve(),
        },
        log: null,
        note: (line) => notes.push(line),
        stop: new AbortController().signal,
        finalCounters: source,
      }),
  };
}

Deno.test("runMonitor({ countersEvery }) with final counters reads them at the first poll, each status poll and the last; a close takes the kernel's", async () => {
  const collector = recordingCollector(25);
  const source = heardSource(new Map([[KEY, { sent: 2_468, received: 13 }]]));
  const run = loop(source, collector, 27);
  await run.run();
  const read = collector.asked.flatMap((counters, i) => (counters ? [i + 1] : []));
  deepStrictEqual(read, [1, 10, 20, 27]);
  // Each status poll reads them: its totals are what the kernel counted then.
  deepStrictEqual(run.statuses.map((s) => s.bytes_sent), [1_000, 2_000]);
  // The connection closed at poll 25, after the reading at 20 (2,000): its CLOSED and the totals have the
  // kernel's final counters.
  deepStrictEqual(run.closed.map((e) => [e.connection.bytes_sent, e.connection.bytes_received]), [[
    2_468,
    13,
  ]]);
});

Deno.test("runMonitor({ countersEvery }) reads the counters at every poll without final counters, and once ss -E stops", async () => {
  const alone = recordingCollector(100);
  await loop(null, alone, 12).run();
  deepStrictEqual(alone.asked, new Array(12).fill(true));
  const collector = recordingCollector(100);
  const source = { ...heardSource(new Map()), running: true };
  let polls = 0;
  const stopping: Collector = {
    name: "ss",
    collect: (request) => {
      // ss -E stops after the 3rd poll.
      if (++polls === 3) source.running = false;
      return collector.collect(request);
    },
  };
  await loop(source, stopping, 12).run();
  deepStrictEqual(collector.asked, [true, false, false, ...new Array(9).fill(true)]);
});

Deno.test("runMonitor({ countersEvery }) ends a --duration run, and one stopped, with one more poll that reads the counters", async () => {
  for (const how of ["duration", "stop"] as const) {
    const collector = recordingCollector(100);
    const stop = new AbortController();
    const counting: Collector = {
      name: "ss",
      collect: (request) => {
        const reading = collector.collect(request);
        if (how === "stop" && collector.asked.length === 15) stop.abort();
        return reading;
      },
    };
    let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
    const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10, traffic: true });
    await runMonitor(tracker, {
      timeUnitMs: 1000,
      keep: () => true,
      countersEvery: 10,
      ...(how === "duration" ? { durationMs: 15_000 } : {}),
    }, {
      collector: counting,
      now: () => new Date(now),
      sleep: (ms) => {
        now += ms;
        return Promise.resolve();
      },
      output: { onPoll: () => Promise.resolve(), close: () => Promise.resolve() },
      log: null,
      note: () => {},
      stop: stop.signal,
      finalCounters: heardSource(new Map()),
    });
    const read = collector.asked.flatMap((counters, i) => (counters ? [i + 1] : []));
    // The 16th poll is the last: the run's totals and history's last sightings are read then.
    deepStrictEqual(read, [1, 10, 16], how);
    deepStrictEqual(tracker.traffic?.machine.sent, 1_600, how);
  }
});

Deno.test("addFinalCounters(): a connection on an earlier one's four-tuple (its TIME_WAIT reused) does not take what that one held", async () => {
  let now = 0;
  const { source, say } = saidFinalCounters(() => now);
  // The first connection ends, its TIME_WAIT holds its final counters.
  say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:70000 bytes_acked:70001 bytes_received:10");
  const first: ConnectionEvent[] = [
    { event: "STATE", previous_status: "ESTABLISHED", connection: connection("TIME_WAIT", 69_000, 10) },
  ];
  await addFinalCounters(first, source, 100, null, now++);
  deepStrictEqual(first[0]!.connection.bytes_sent, 70_000);
  // The kernel gives the TIME_WAIT's four-tuple to a new connection: a poll lists it live (the tracker ends the
  // earlier one, with what it held, and reports the new one).
  await addFinalCounters(
    [
      { event: "CLOSED", connection: connection("TIME_WAIT", 69_000, 10) },
      { event: "NEW", connection: connection("ESTABLISHED", 0, 0) },
    ],
    source,
    100,
    null,
    now++,
  );
  // It is aborted (reported without its addresses and counters): its CLOSED keeps its last reading.
  say("UNCONN 0 0 0.0.0.0:40000 203.0.113.7:*");
  const second: ConnectionEvent[] = [{ event: "CLOSED", connection: connection("ESTABLISHED", 500, 3) }];
  await addFinalCounters(second, source, 100, null, now++);
  deepStrictEqual([second[0]!.connection.bytes_sent, second[0]!.connection.bytes_received], [500, 3]);
  await source.close();
});

Deno.test("addFinalCounters(): a connection on a reused four-tuple whose report comes after the poll saw it close waits for it, not for what the earlier one held", async () => {
  let now = 0;
  const { source, say } = saidFinalCounters(() => now);
  say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:70000 bytes_acked:70001 bytes_received:10");
  await addFinalCounters(
    [
      { event: "STATE", previous_status: "ESTABLISHED", connection: connection("TIME_WAIT", 69_000, 10) },
    ],
    source,
    100,
    null,
    now++,
  );
  await addFinalCounters(
    [
      { event: "CLOSED", connection: connection("TIME_WAIT", 69_000, 10) },
      { event: "NEW", connection: connection("ESTABLISHED", 0, 0) },
    ],
    source,
    100,
    null,
    now++,
  );
  // It closes first too; the poll sees its TIME_WAIT before its report is read (in a later task).
  const second: ConnectionEvent[] = [
    { event: "STATE", previous_status: "ESTABLISHED", connection: connection("TIME_WAIT", 400, 3) },
  ];
  const taking = addFinalCounters(second, source, 60_000, null, now++);
  setTimeout(() =>
    say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:500 bytes_acked:501 bytes_received:4")
  );
  await taking;
  deepStrictEqual([second[0]!.connection.bytes_sent, second[0]!.connection.bytes_received], [500, 4]);
  await source.close();
});

Deno.test("addFinalCounters(): a TIME_WAIT's CLOSED takes what it held also when a new connection on its four-tuple is listed in the same poll", async () => {
  const source = heardSource(new Map([[KEY, { sent: 70_000, received: 10 }]]));
  await addFinalCounters(
    [
      { event: "STATE", previous_status: "ESTABLISHED", connection: connection("TIME_WAIT", 69_000, 10) },
    ],
    source,
    100,
  );
  deepStrictEqual(source.forgotten, []);
  const events: ConnectionEvent[] = [
    { event: "CLOSED", connection: connection("TIME_WAIT", 69_000, 10) },
    { event: "NEW", connection: connection("ESTABLISHED", 0, 0) },
  ];
  await addFinalCounters(events, source, 100);
  deepStrictEqual(events[0]!.connection.bytes_sent, 70_000);
  deepStrictEqual(source.forgotten, [KEY]);
  source.forgotten.length = 0;
  // A connection entering or in TIME_WAIT or FIN_WAIT_2 is not a live one.
  await addFinalCounters(
    [
      { event: "NEW", connection: connection("TIME_WAIT", 1, 1) },
      { event: "STATE", previous_status: "ESTABLISHED", connection: connection("FIN_WAIT_2", 1, 1) },
    ],
    source,
    100,
  );
  deepStrictEqual(source.forgotten, []);
});

Deno.test("addFinalCounters() with the Tracker: a connection on a reused four-tuple first listed in FIN_WAIT_2 does not take the earlier one's final counters", async () => {
  let now = 0;
  const { source, say } = saidFinalCounters(() => now);
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 });
  const at = (s: number) => new Date(2026, 10, 21, 14, 30, s);
  const poll = async (connections: Connection[], s: number) => {
    const events = tracker.update(connections, at(s));
    await addFinalCounters(events, source, 100, null, now++);
    return events.map((e) => `${e.event} ${e.connection.status} ${e.connection.bytes_sent}`);
  };
  await poll([connection("ESTABLISHED", 69_000, 10)], 0);
  say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:70000 bytes_acked:70001 bytes_received:10");
  deepStrictEqual(await poll([connection("TIME_WAIT", null, null)], 1), ["STATE TIME_WAIT 70000"]);
  // The kernel gives the TIME_WAIT's four-tuple to a new connection, which sends 500 and closes, its FIN
  // acknowledged, before the next poll lists it (a timewait record, without counters); its report is read later.
  deepStrictEqual(await poll([connection("FIN_WAIT_2", null, null)], 2), [
    "CLOSED TIME_WAIT 70000",
    "NEW FIN_WAIT_2 null",
  ]);
  say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:500 bytes_acked:501 bytes_received:3");
  deepStrictEqual(await poll([connection("TIME_WAIT", null, null)], 3), ["STATE TIME_WAIT 500"]);
  deepStrictEqual(await poll([], 4), ["CLOSED TIME_WAIT 500"]);
  await source.close();
});

Deno.test("runMonitor() with the wall clock set back an hour between two polls: the close takes what ss -E heard since the poll before", async () => {
  const wallNow = Date.now;
  let step = 0;
  // The wall clock as the monitor and ss -E's source read it by default, set back later in the test.
  Date.now = () => wallNow() + step;
  try {
    // The clocks the monitor gives it (the defaults).
    const { source, say } = saidFinalCounters();
    const inner = recordingCollector(3);
    const collector: Collector = {
      name: "ss",
      collect: (request) => {
        if (inner.asked.length === 2) {
          // After poll 2: the clock is set back an hour; the connection ends and ss -E reports it.
          step = -3_600_000;
          say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:2468 bytes_acked:2469 bytes_received:13");
        }
        return inner.collect(request);
      },
    };
    const closed: ConnectionEvent[] = [];
    await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
      timeUnitMs: 1000,
      count: 3,
      keep: () => true,
    }, {
      collector,
      now: () => new Date(Date.now()),
      sleep: () => Promise.resolve(),
      output: {
        onPoll: (events) => {
          for (const e of events) if (e.event === "CLOSED") closed.push(e);
          return Promise.resolve();
        },
        close: () => Promise.resolve(),
      },
      log: null,
      note: () => {},
      stop: new AbortController().signal,
      finalCounters: source,
    });
    await source.close();
    deepStrictEqual(step, -3_600_000);
    // Not the last reading (200, 0): the kernel's, heard after the poll before though stamped an hour before it.
    deepStrictEqual(closed.map((e) => [e.connection.bytes_sent, e.connection.bytes_received]), [[2_468, 13]]);
  } finally {
    Date.now = wallNow;
  }
});

Deno.test("addFinalCounters(): a STATE out of TIME_WAIT into FIN_WAIT_2 (a new connection on the four-tuple, should a tracker say it so) does not take what the earlier one held", async () => {
  let now = 0;
  const { source, say } = saidFinalCounters(() => now);
  const poll = async (events: ConnectionEvent[]) => {
    await addFinalCounters(events, source, 100, null, now++);
    return events.map((e) => `${e.event} ${e.connection.status} ${e.connection.bytes_sent}`);
  };
  say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:70000 bytes_acked:70001 bytes_received:10");
  deepStrictEqual(
    await poll([
      { event: "STATE", previous_status: "ESTABLISHED", connection: connection("TIME_WAIT", 69_000, 10) },
    ]),
    ["STATE TIME_WAIT 70000"],
  );
  // A TIME_WAIT socket never goes to another state: this is a new connection, closed and acknowledged before
  // the poll; its report is read after it.
  deepStrictEqual(
    await poll([
      { event: "STATE", previous_status: "TIME_WAIT", connection: connection("FIN_WAIT_2", null, null) },
    ]),
    ["STATE FIN_WAIT_2 null"],
  );
  say("UNCONN 0 0 10.0.0.2:40000 203.0.113.7:443 bytes_sent:500 bytes_acked:501 bytes_received:3");
  deepStrictEqual(
    await poll([
      { event: "STATE", previous_status: "FIN_WAIT_2", connection: connection("TIME_WAIT", null, null) },
    ]),
    ["STATE TIME_WAIT 500"],
  );
  deepStrictEqual(await poll([{ event: "CLOSED", connection: connection("TIME_WAIT", null, null) }]), [
    "CLOSED TIME_WAIT 500",
  ]);
  await source.close();
});
