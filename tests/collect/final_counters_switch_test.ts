import { deepStrictEqual, ok } from "node:assert/strict";
import type { Collector, CollectRequest, CollectResult } from "../../lib/collect/collector.ts";
import type { FinalCountersSource } from "../../lib/collect/final_counters.ts";
import {
  breakEvenRate,
  CALM_MS,
  pollCounts,
  SparseDecision,
  switchFinalCounters,
} from "../../lib/collect/final_counters_switch.ts";
import type { ByteCounts } from "../../lib/model/byte_counters.ts";
import type { Socket } from "../../lib/model/connection.ts";
import { runMonitor } from "../../lib/monitor/run_monitor.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";

function tcp(port: number, status = "ESTABLISHED"): Socket {
  return {
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: port,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status,
    pid: 1,
    process_name: "curl",
    process_path: null,
    user: null,
    inode: null,
  };
}

/** `open` live TCP sockets and `timeWait` in TIME_WAIT. */
function listing(open: number, timeWait = 0): Socket[] {
  return [
    ...Array.from({ length: open }, (_, i) => tcp(10_000 + i)),
    ...Array.from({ length: timeWait }, (_, i) => tcp(30_000 + i, "TIME_WAIT")),
  ];
}

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
  deepStrictEqual(pollCounts([...listing(3, 2), udp]), { sockets: 3, timeWait: 2 });
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

async function monitored(churn: (poll: number) => number, count: number) {
  let now = new Date(2026, 11, 3, 15, 0, 0).getTime();
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
    now: () => now,
    timeUnitMs: 1_000,
  });
  const notes: string[] = [];
  await runMonitor(new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 10 }), {
    timeUnitMs: 1_000,
    count,
    keep: () => true,
    countersEvery: 10,
  }, {
    collector,
    now: () => new Date(now),
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
    output: { onPoll: () => Promise.resolve(), close: () => Promise.resolve() },
    log: null,
    note: (line) => notes.push(line),
    stop: new AbortController().signal,
    finalCounters: source,
  });
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
