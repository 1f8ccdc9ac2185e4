import { deepStrictEqual, ok } from "node:assert/strict";
import type { Collector, CollectRequest, CollectResult } from "../../lib/collect/collector.ts";
import { type FinalCountersSource, startFinalCounters } from "../../lib/collect/final_counters.ts";
import {
  breakEvenRate,
  CALM_MS,
  pollCounts,
  SparseDecision,
  switchFinalCounters,
} from "../../lib/collect/final_counters_switch.ts";
import type { ByteCounts } from "../../lib/model/byte_counters.ts";
import type { Connection, Socket } from "../../lib/model/connection.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import { runMonitor } from "../../lib/monitor/run_monitor.ts";
import type { TracedChange } from "../../lib/monitor/traced_changes.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { listing, tcp } from "./_tcp_listing.ts";

/** A scripted ss -E: `destroyed(n)` is n lines written; `heard` what take() finds. */
function handSource(heard = new Map<string, ByteCounts>()) {
  let lines = 0;
  let closed = false;
  const source: FinalCountersSource = {
    get running() {
      return !closed;
    },
    skipped: 0,
    get lines() {
      return lines;
    },
    waitFor: () => Promise.resolve(),
    take: (key) => {
      const found = heard.get(key);
      heard.delete(key);
      return found;
    },
    takeNotes: () => [],
    close: () => {
      closed = true;
      return Promise.resolve();
    },
  };
  return { source, heard, destroyed: (n: number) => lines += n, closed: () => closed };
}

Deno.test("breakEvenRate() is what skipping tcp_info saves over what a destroyed socket costs ss -E", () => {
  deepStrictEqual(Math.round(breakEvenRate(1_000, 1_000) * 10) / 10, 12.6);
  deepStrictEqual(Math.round(breakEvenRate(10_000, 1_000)), 126);
  // A poll every 2 s saves half as much a second.
  deepStrictEqual(Math.round(breakEvenRate(1_000, 2_000) * 10) / 10, 6.3);
  // Never below 5 a second: at a few sockets either costs next to nothing, and bytes at close stay exact.
  deepStrictEqual(breakEvenRate(0, 1_000), 5);
  deepStrictEqual(breakEvenRate(100, 1_000), 5);
});

Deno.test("pollCounts() counts live TCP sockets and TIME_WAIT ones, not UDP", () => {
  const udp = { ...tcp(53), protocol: "UDP" as const, status: "UNCONN" };
  deepStrictEqual(pollCounts([...listing(3, 2), udp]), { sockets: 3, timeWait: 2, closed: 0 });
});

Deno.test("SparseDecision: above the break-even rate sparse stops; back on after a minute below half of it", () => {
  const decision = new SparseDecision(1_000);
  const counts = { sockets: 1_000, timeWait: 0 };
  let at = 0;
  // 12 lines a second at 1k sockets: below 12.6, sparse stays.
  for (let i = 0; i < 20; i++) ok(decision.observe(counts, 12, at += 1_000));
  // A burst of 100 in one poll is 10 a second over the last 10 s: it stays.
  for (let i = 0; i < 10; i++) ok(decision.observe(counts, 0, at += 1_000));
  ok(decision.observe(counts, 100, at += 1_000));
  for (let i = 0; i < 10; i++) ok(decision.observe(counts, 0, at += 1_000));
  // 14 a second: above, once it has been for a few polls of the 10 s.
  const turns: boolean[] = [];
  for (let i = 0; i < 10; i++) turns.push(decision.observe(counts, 14, at += 1_000));
  deepStrictEqual(turns.indexOf(false) > 0, true);
  deepStrictEqual(turns.slice(turns.indexOf(false)).every((on) => !on), true);
  // Off, ss -E says nothing: the TIME_WAIT sockets over a minute are the rate. 10 a second is above half.
  for (let i = 0; i < 120; i++) {
    deepStrictEqual(decision.observe({ ...counts, timeWait: 600 }, null, at += 1_000), false);
  }
  // 5 a second (300 in TIME_WAIT) is below half: back on after a minute of it, not before.
  const calmFrom = at + 1_000;
  while (at + 1_000 - calmFrom < CALM_MS) {
    deepStrictEqual(decision.observe({ ...counts, timeWait: 300 }, null, at += 1_000), false);
  }
  // One poll above half starts the minute again.
  deepStrictEqual(decision.observe({ ...counts, timeWait: 400 }, null, at += 1_000), false);
  const again = at + 1_000;
  while (at + 1_000 - again < CALM_MS) {
    deepStrictEqual(decision.observe({ ...counts, timeWait: 300 }, null, at += 1_000), false);
  }
  deepStrictEqual(decision.observe({ ...counts, timeWait: 300 }, null, at += 1_000), true);
  // While on, TIME_WAIT sockets alone stop it too (churn of connections this host closes first).
  deepStrictEqual(decision.observe({ ...counts, timeWait: 800 }, 0, at += 1_000), false);
});

Deno.test("switchFinalCounters(): churn stops ss -E after a poll that reads the counters, keeps what it heard, and starts it again when calm", async () => {
  let now = 0;
  const first = handSource(new Map([["TCP a", { sent: 5, received: 6 }]]));
  const second = handSource(new Map([["TCP b", { sent: 7, received: 8 }]]));
  let starts = 0;
  const source = switchFinalCounters(first.source, {
    start: () => {
      starts++;
      return second.source;
    },
    now: () => now,
    timeUnitMs: 1_000,
  });
  const poll = async (sockets: Socket[]) => {
    now += 1_000;
    await source.afterPoll!(sockets);
  };
  await poll(listing(1_000));
  deepStrictEqual(source.running, true);
  first.destroyed(100);
  await poll(listing(1_000));
  // The next poll reads the counters; ss -E still runs through it.
  deepStrictEqual([source.running, first.closed()], [false, false]);
  first.destroyed(100);
  await poll(listing(1_000));
  deepStrictEqual([source.running, first.closed()], [false, true]);
  const notes = source.takeNotes();
  deepStrictEqual(notes.length, 1);
  ok(notes[0]!.startsWith("ss -E stopped: 50 TCP closes a second"), notes[0]);
  // What it heard before it stopped is still taken.
  deepStrictEqual(source.take("TCP a"), { sent: 5, received: 6 });
  // Calm for a minute: started again, trusted one poll later.
  for (let i = 0; i * 1_000 <= CALM_MS && starts === 0; i++) await poll(listing(1_000));
  deepStrictEqual([starts, source.running], [1, false]);
  await poll(listing(1_000));
  deepStrictEqual(source.running, true);
  deepStrictEqual(source.take("TCP b"), { sent: 7, received: 8 });
  ok(source.takeNotes().some((line) => line.includes("ss -E runs again")));
});

Deno.test("switchFinalCounters({ stop }): after the run's stop a poll decides nothing: ss -E that ended of the stop's signal is neither said to be tried again nor started", async () => {
  let now = 0;
  const first = handSource();
  let starts = 0;
  const stop = new AbortController();
  const source = switchFinalCounters(first.source, {
    start: () => {
      starts++;
      return handSource().source;
    },
    now: () => now,
    timeUnitMs: 1_000,
    stop: stop.signal,
  });
  now += 1_000;
  await source.afterPoll!(listing(1_000));
  deepStrictEqual(source.running, true);
  // Ctrl+C: ss -E ends of it (its source is taken for stopped), then the run's last poll.
  await first.source.close();
  stop.abort();
  now += 1_000;
  await source.afterPoll!(listing(1_000));
  deepStrictEqual([source.takeNotes(), starts], [[], 0]);
});

/** A collector that lists `sockets` and records whether each poll asked for the counters. */
function recording(
  sockets: (poll: number) => Socket[],
  during: (poll: number) => void,
): Collector & { counters: boolean[] } {
  const collector = {
    name: "scripted",
    counters: [] as boolean[],
    collect(options?: CollectRequest): Promise<CollectResult> {
      collector.counters.push(options?.counters !== false);
      during(collector.counters.length);
      return Promise.resolve({ sockets: sockets(collector.counters.length), skipped: [], notes: [] });
    },
  };
  return collector;
}

/**
 * The monitor over `count` polls of `collector`, a time unit (1 s) apart on `clock`, which the switch reads too;
 * the notes it said.
 */
async function runPolls(
  collector: Collector,
  finalCounters: FinalCountersSource,
  count: number,
  clock: { ms: number },
): Promise<string[]> {
  const notes: string[] = [];
  await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1_000,
    count,
    keep: () => true,
    countersEvery: 10,
  }, {
    collector,
    now: () => new Date(clock.ms),
    sleep: (ms) => {
      clock.ms += ms;
      return Promise.resolve();
    },
    output: { onPoll: () => Promise.resolve(), close: () => Promise.resolve() },
    log: null,
    note: (line) => notes.push(line),
    stop: new AbortController().signal,
    finalCounters,
  });
  return notes;
}

async function monitored(churn: (poll: number) => number, count: number) {
  const clock = { ms: new Date(2026, 11, 3, 15, 0, 0).getTime() };
  const first = handSource();
  const second = handSource();
  let startedAtPoll: number | null = null;
  let closedAtPoll: number | null = null;
  // Each destroyed pair of sockets leaves one in TIME_WAIT for a minute (60 polls).
  const timeWait = (poll: number) => {
    let lingering = 0;
    for (let p = Math.max(1, poll - 59); p <= poll; p++) lingering += churn(p) / 2;
    return lingering;
  };
  const collector = recording((poll) => listing(1_000, timeWait(poll)), (poll) => {
    first.destroyed(churn(poll));
    if (first.closed() && closedAtPoll === null) closedAtPoll = poll - 1;
  });
  const source = switchFinalCounters(first.source, {
    start: () => {
      startedAtPoll = collector.counters.length;
      return second.source;
    },
    now: () => clock.ms,
    timeUnitMs: 1_000,
  });
  const notes = await runPolls(collector, source, count, clock);
  return { counters: collector.counters, startedAtPoll, closedAtPoll, notes, first };
}

Deno.test("runMonitor() with few closes reads the counters every 10th poll", async () => {
  const run = await monitored(() => 5, 12);
  deepStrictEqual(run.counters.map((c, i) => c ? i + 1 : 0).filter((n) => n > 0), [1, 10, 12]);
  deepStrictEqual([run.first.closed(), run.startedAtPoll], [false, null]);
});

Deno.test("runMonitor() under churn: the poll after the rate rose reads the counters, ss -E stops after it, and every poll reads them until a minute of calm", async () => {
  // 100 destroyed sockets a second from poll 2 to 30 (50 connections), then none.
  const run = await monitored((poll) => poll >= 2 && poll <= 30 ? 100 : 0, 200);
  const reads = run.counters;
  deepStrictEqual(reads.slice(0, 3), [true, false, true]);
  // ss -E stopped once poll 3 was done, not before.
  deepStrictEqual(run.closedAtPoll, 3);
  ok(
    run.notes.some((line) => line.startsWith("ss -E stopped: 50 TCP closes a second")),
    run.notes.join("\n"),
  );
  // Off, the rate is the TIME_WAIT sockets over a minute: below half the break-even (6.3 a second, 378 in
  // TIME_WAIT: 7 polls of churn) from poll 83, when only polls 24-30's churn lingers; started again after a
  // minute of that, by poll 143.
  deepStrictEqual(run.startedAtPoll, 143);
  const started = run.startedAtPoll!;
  // Every poll from 3 to the one after the start reads the counters; then every 10th again.
  deepStrictEqual(reads.slice(2, started + 1).every((read) => read), true);
  deepStrictEqual(reads.slice(started + 1).filter((read) => read).length < 8, true);
  deepStrictEqual(reads[started + 1], false);
});

/** A CLOSED event of a TCP connection last seen in `status`. */
function closedEvent(port: number, status = "ESTABLISHED"): ConnectionEvent {
  const { inode: _inode, ...socket } = tcp(port, status);
  return {
    event: "CLOSED",
    connection: { ...socket, timestamp: "", direction: "incoming", bytes_sent: 0, bytes_received: 0 },
  };
}

Deno.test("pollCounts() counts the TCP closes a poll saw that leave no TIME_WAIT", () => {
  const events: ConnectionEvent[] = [
    closedEvent(1),
    closedEvent(2, "LAST_ACK"),
    closedEvent(3, "FIN_WAIT_2"),
    // Its close was counted as it lingered.
    closedEvent(4, "TIME_WAIT"),
    { ...closedEvent(5), event: "NEW" },
    { event: "CLOSED", connection: { ...closedEvent(6).connection, protocol: "UDP", status: "UNCONN" } },
  ];
  deepStrictEqual(pollCounts(listing(2, 1), events), { sockets: 2, timeWait: 1, closed: 3 });
});

/**
 * A host whose peers close first, polled once a second with ss -E switched: `seen(poll)` closes the poll saw
 * (of connections that lived across a poll), 300 destroyed sockets a second that ss -E hears, none in TIME_WAIT.
 * The polls at which ss -E started again, and the notes.
 */
async function passiveCloser(polls: number, seen: (poll: number) => number) {
  let now = 0;
  const sources: ReturnType<typeof handSource>[] = [handSource()];
  const starts: number[] = [];
  let poll = 0;
  const source = switchFinalCounters(sources[0]!.source, {
    start: () => {
      starts.push(poll);
      sources.push(handSource());
      return sources.at(-1)!.source;
    },
    now: () => now,
    timeUnitMs: 1_000,
  });
  const notes: string[] = [];
  for (poll = 1; poll <= polls; poll++) {
    now += 1_000;
    const live = sources.at(-1)!;
    if (!live.closed()) live.destroyed(300);
    const events = Array.from({ length: seen(poll) }, (_, i) => closedEvent(40_000 + i));
    await source.afterPoll!(listing(1_000), events);
    notes.push(...source.takeNotes());
  }
  return { starts, notes };
}

Deno.test("switchFinalCounters(): closes no poll sees (peers close first, no TIME_WAIT here) start ss -E again ever less often", async () => {
  // 30 minutes: started again after 1 minute of calm, then (each start stopped at once) 2, 4, 8, 16.
  const run = await passiveCloser(30 * 60, () => 0);
  deepStrictEqual(run.starts.length, 4, run.starts.join(" "));
  const gaps = run.starts.map((poll, i) => poll - (run.starts[i - 1] ?? 0));
  // Each start is stopped within a few polls; the next wait for calm is twice the last.
  deepStrictEqual(gaps.map((gap) => Math.round(gap / 60)), [1, 2, 4, 8]);
  const stops = run.notes.filter((line) => line.startsWith("ss -E stopped"));
  deepStrictEqual(stops.length, 5);
  ok(stops[0]!.endsWith("until closes are few again for a minute"), stops[0]);
  ok(stops[4]!.endsWith("until closes are few again for 16 minutes"), stops[4]);
});

Deno.test("switchFinalCounters(): the closes the polls see keep ss -E off where no TIME_WAIT lingers", async () => {
  // 300 connections a second that lived across a poll, closed by their peers: each poll sees them close.
  const run = await passiveCloser(10 * 60, () => 300);
  deepStrictEqual(run.starts, []);
  // A tenth of that (30 a second, above half the 12.6 break-even at 1k): still off.
  deepStrictEqual((await passiveCloser(10 * 60, () => 30)).starts, []);
  // 5 a second is below half: started again after a minute (and stopped again by ss -E's 300 lines).
  deepStrictEqual((await passiveCloser(2 * 60, () => 5)).starts.length, 1);
});

Deno.test("SparseDecision: after a long wait for calm, a start that lasts brings the wait back to a minute", () => {
  const decision = new SparseDecision(1_000);
  const counts = { sockets: 1_000, timeWait: 0, closed: 0 };
  let at = 0;
  const churn = () => decision.observe(counts, 300, at += 1_000);
  const calm = () => {
    const from = at;
    while (!decision.observe(counts, null, at += 1_000)) continue;
    return at - from;
  };
  deepStrictEqual(churn(), false);
  deepStrictEqual(decision.calmMs, CALM_MS);
  deepStrictEqual(calm(), CALM_MS + 1_000);
  deepStrictEqual(churn(), false);
  deepStrictEqual(decision.calmMs, 2 * CALM_MS);
  deepStrictEqual(calm(), 2 * CALM_MS + 1_000);
  // On for a minute and more, then churn again: a minute's calm is enough again.
  for (let i = 0; i < 60; i++) ok(decision.observe(counts, 0, at += 1_000));
  deepStrictEqual(churn(), false);
  deepStrictEqual(decision.calmMs, CALM_MS);
});

Deno.test("runMonitor() tells the switch the closes its polls saw: peers closing 300 connections a second keep ss -E off", async () => {
  const clock = { ms: new Date(2026, 11, 3, 15, 0, 0).getTime() };
  const first = handSource();
  let starts = 0;
  // Each poll lists 1,000 steady sockets and 300 connections the poll after does not list (closed by their
  // peers: no TIME_WAIT here), which ss -E hears as 300 destroyed sockets.
  const passing = (poll: number) => Array.from({ length: 300 }, (_, i) => tcp(20_000 + (poll % 2) * 300 + i));
  const collector = recording((poll) => [...listing(1_000), ...passing(poll)], () => first.destroyed(300));
  const source = switchFinalCounters(first.source, {
    start: () => {
      starts++;
      return handSource().source;
    },
    now: () => clock.ms,
    timeUnitMs: 1_000,
  });
  const notes = await runPolls(collector, source, 150, clock);
  deepStrictEqual([first.closed(), starts], [true, 0], notes.join("\n"));
  // Every poll from the stop on read the counters.
  deepStrictEqual(collector.counters.slice(2).every((read) => read), true);
});

/**
 * Polls once a second for `polls`: churn (1,000 TIME_WAIT: 16.7 closes a second, above the 12.6 break-even at
 * 1,000 sockets) for the first 30, then calm; ss -E started again is what `start` gives. The polls at which
 * start() ran, and the notes.
 */
async function restarting(
  polls: number,
  start: () => FinalCountersSource | string,
  first: FinalCountersSource = handSource().source,
) {
  let now = 0;
  const starts: number[] = [];
  let poll = 0;
  const source = switchFinalCounters(first, {
    start: () => {
      starts.push(poll);
      return start();
    },
    now: () => now,
    timeUnitMs: 1_000,
  });
  const notes: string[] = [];
  for (poll = 1; poll <= polls; poll++) {
    now += 1_000;
    await source.afterPoll!(listing(1_000, poll <= 30 ? 1_000 : 0), []);
    notes.push(...source.takeNotes());
    // Between polls the monitor waits: the exit of a tool started this poll is heard meanwhile.
    if (starts.at(-1) === poll) await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return { starts, notes, running: source.running };
}

/** ss -E as startFinalCounters runs it, on an `ss` that refuses `-O` (iproute2 before 5.2): it exits at once. */
function refusedSource(): FinalCountersSource | string {
  return startFinalCounters({
    stream: (_command, _args, options) => {
      options.onErrorLine?.("ss: invalid option -- 'O'");
      return { exited: Promise.resolve({ code: 255, signal: null }), close: () => Promise.resolve() };
    },
  });
}

Deno.test("switchFinalCounters(): ss -E that cannot start again is tried ever less often, with one note", async () => {
  // 33 minutes of calm after the churn: tried after 1 minute of it, then 2, 4, 8, 16.
  const run = await restarting(31 + 33 * 60, () => "stdbuf: Resource temporarily unavailable");
  const gaps = run.starts.map((poll, i) => poll - (run.starts[i - 1] ?? 31));
  deepStrictEqual(gaps.map((gap) => Math.round(gap / 60)), [1, 2, 4, 8, 16]);
  const after = run.notes.slice(run.notes.findIndex((line) => line.startsWith("ss -E stopped")) + 1);
  deepStrictEqual(after, [
    "ss -E could not start again (stdbuf: Resource temporarily unavailable): byte counters are read at every poll",
    "ss -E is tried again after 2 minutes of few closes, each time twice as late (16 minutes at most), " +
    "without a note until it runs",
  ]);
  deepStrictEqual(run.running, false);
});

Deno.test("switchFinalCounters(): ss -E started again that stops at once (an ss without -O) is tried ever less often, said once", async () => {
  const run = await restarting(31 + 33 * 60, refusedSource);
  const gaps = run.starts.map((poll, i) => poll - (run.starts[i - 1] ?? 31));
  deepStrictEqual(gaps.map((gap) => Math.round(gap / 60)), [1, 2, 4, 8, 16]);
  // Its own notes once (why it stopped), and when it is tried again; never "ss -E runs again".
  const after = run.notes.slice(run.notes.findIndex((line) => line.startsWith("ss -E stopped:")) + 1);
  deepStrictEqual(after.length, 3, after.join("\n"));
  ok(after[1]!.startsWith("byte counters are read at every poll: ss -E stopped"), after[1]);
  ok(after[2]!.startsWith("ss -E is tried again after 2 minutes of few closes"), after[2]);
  deepStrictEqual(run.running, false);
});

Deno.test("switchFinalCounters(): an ss -E that stopped on its own (an ss without -O) is never said to be stopped by churn; tried again after calm, said once", async () => {
  const first = refusedSource();
  if (typeof first === "string") throw new Error(first);
  // The run's start: ss -E exits, is started again once, exits again and is given up (its two notes).
  await new Promise((resolve) => setTimeout(resolve, 0));
  deepStrictEqual(first.running, false);
  const run = await restarting(31 + 33 * 60, refusedSource, first);
  deepStrictEqual(run.notes.filter((line) => line.startsWith("ss -E stopped:")), [], run.notes.join("\n"));
  deepStrictEqual(run.notes.length, 3, run.notes.join("\n"));
  ok(run.notes[0]!.startsWith("ss -E stopped (exit 255: ss: invalid option -- 'O') and was started again"));
  ok(run.notes[1]!.startsWith("byte counters are read at every poll"), run.notes[1]);
  ok(run.notes[2]!.startsWith("ss -E is tried again after 2 minutes of few closes"), run.notes[2]);
  // Tried after calm as a start that stopped at once: 2, 4, 8, 16 minutes of it (the churn ends at poll 30).
  const gaps = run.starts.map((poll, i) => poll - (run.starts[i - 1] ?? 31));
  deepStrictEqual(gaps.map((gap) => Math.round(gap / 60)), [2, 4, 8, 16]);
  deepStrictEqual(run.running, false);
});

Deno.test("switchFinalCounters(): ss -E that runs again after a failed start says so", async () => {
  const outcomes: (() => FinalCountersSource | string)[] = [
    () => "spawn refused",
    () => handSource().source,
  ];
  const run = await restarting(31 + 4 * 60, () => outcomes.shift()?.() ?? "spawn refused");
  // Calm for a minute: refused; two minutes later it runs (and stays: calm).
  deepStrictEqual(run.starts.map((poll) => Math.round((poll - 31) / 60)), [1, 3]);
  ok(run.notes.at(-1)!.startsWith("TCP closes are few again: ss -E runs again"), run.notes.at(-1));
  deepStrictEqual(run.running, true);
});

Deno.test("pollCounts() with --trace counts an active close once: the poll's TIME_WAIT, not the tracer's CLOSED too", () => {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  const at = (ms: number) => new Date(Date.UTC(2026, 11, 3, 17, 0, 0, ms)).toISOString();
  const connection = (port: number, status: string, timestamp: string): Connection => {
    const { inode: _inode, ...socket } = tcp(port, status);
    return { ...socket, timestamp, direction: "outgoing", bytes_sent: null, bytes_received: null };
  };
  tracker.update(
    [connection(40001, "ESTABLISHED", at(0)), connection(40003, "ESTABLISHED", at(0))],
    new Date(at(0)),
    [],
  );
  // Between two polls the tracer sees 40002 open and close, and 40001 close; this host closed both first: the
  // poll lists both in TIME_WAIT. 40003, closed by its peer, lingers nowhere here.
  const changes: TracedChange[] = [
    { kind: "open", connection: connection(40002, "ESTABLISHED", at(300)), keep: true },
    { kind: "close", connection: connection(40002, "CLOSE", at(400)), keep: true },
    { kind: "close", connection: connection(40001, "CLOSE", at(500)), keep: true },
    { kind: "close", connection: connection(40003, "CLOSE", at(600)), keep: true },
  ];
  const listed = [connection(40001, "TIME_WAIT", at(1_000)), connection(40002, "TIME_WAIT", at(1_000))];
  const events = tracker.update(listed, new Date(at(1_000)), changes);
  // The tracker's CLOSED events carry the state before the close, not TIME_WAIT.
  deepStrictEqual(
    events.filter((e) => e.event === "CLOSED").map((e) => [e.connection.local_port, e.connection.status])
      .sort(),
    [[40001, "ESTABLISHED"], [40002, "ESTABLISHED"], [40003, "ESTABLISHED"]],
  );
  const sockets = listed.map((c): Socket => ({ ...c, inode: null }));
  deepStrictEqual(pollCounts(sockets, events), { sockets: 0, timeWait: 2, closed: 1 });
});
