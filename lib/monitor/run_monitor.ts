/**
 * The monitor's tick loop: poll the collector once per time unit, track what
 * changed, and hand events to the output and the log. Everything it touches
 * comes in through {@linkcode MonitorIo}, so tests drive it with a scripted
 * collector and a fake clock.
 *
 * @module
 */
import type { Collector } from "../collect/collector.ts";
import { TRACE_HOLDBACK_MS, type TraceEvent } from "../model/trace_event.ts";
import { tracedChanges } from "./traced_changes.ts";
import { ConnectionMemory } from "../model/connection_memory.ts";
import { toConnections } from "../model/direction.ts";
import type { Connection, Socket } from "../model/connection.ts";
import type { ConnectionEvent, StatusEvent } from "../model/monitor_event.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { ToolError } from "../model/errors.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import type { MonitorOutput } from "./monitor_output.ts";
import type { Tracker } from "./tracker.ts";
import { RATE_SPANS } from "../model/traffic_ledger.ts";
import type { ConnectionLog } from "./connection_log.ts";
import type { HistoryRecorder } from "./history_recorder.ts";
import type { PollInfo } from "../model/poll_info.ts";
import { PollTimes } from "./poll_times.ts";
import type { FinalCountersSource } from "../collect/final_counters.ts";
import { addFinalCounters } from "./final_bytes.ts";

/**
 * Longest a poll waits for the kernel's report of a socket it saw close (less with a time unit under twice
 * this): the report is queued by the kernel and read by ss -E and then by conntrail, each in its turn, which on
 * a loaded machine can take tens of ms after the poll read the socket's absence.
 */
export const FINAL_WAIT_MS = 500;

/** What a monitor run reads from and writes to. */
export interface MonitorIo {
  collector: Collector;
  now: () => Date;
  /** Wait, or return early when the signal aborts. */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  output: MonitorOutput;
  log: ConnectionLog | null;
  /** Where events are remembered across runs; written outside the tick. */
  history?: HistoryRecorder | null;
  /** One line for the user, outside the output (stderr, or after the dashboard closes). */
  note: (line: string) => void;
  /** Aborted by q, Ctrl+C or SIGTERM: the run ends cleanly. */
  stop: AbortSignal;
  /** Extra events (alerts) for a poll's connections, given what the tracker saw change. */
  alerts?: (
    connections: readonly Connection[],
    changes: readonly ConnectionEvent[],
    at: Date,
  ) => ConnectionEvent[];
  /** Kernel events between polls (`--trace`); absent: polling alone. */
  trace?: TraceFeed | null;
  /**
   * Each destroyed TCP socket's final counters (`ss -E`): closing events report them instead of the last
   * reading, and while it runs the counters may be read only every `countersEvery` polls.
   */
  finalCounters?: FinalCountersSource | null;
  /**
   * A clock that never steps, ms (default `performance.now`): a poll tells `finalCounters` when the poll before
   * started by it (the source's own clock: the same by default). Not `now`: a wall clock set back would make
   * what ss -E heard since the poll before look older than it, and the poll reject it.
   */
  elapsed?: () => number;
}

/** Where traced connection events come from (a `TraceSource`). */
export interface TraceFeed {
  /** Events up to `before` (ms), oldest first; later ones wait. */
  drain(before: number): Promise<TraceEvent[]>;
  /** Lines for the user since the last call. */
  takeNotes(): string[];
  /** Wait for events still in flight (before the last poll). */
  settle?(): Promise<void>;
}

/** How a monitor run polls and when it ends. */
export interface MonitorLoopOptions {
  timeUnitMs: number;
  /** Stop after this many polls. */
  count?: number;
  /** Stop once this much time has passed since the first poll. */
  durationMs?: number;
  keep: (c: Connection) => boolean;
  /** A status summary every this many polls (scroll mode prints it). */
  statusEvery?: number;
  /**
   * Read the byte counters only every this many polls (default 1: every poll), while `finalCounters` runs:
   * at the first poll, at every poll whose number this divides (give it a divisor of `statusEvery` and each
   * status line's totals and rate are read as at every poll), at the last of `count`, at one more poll when
   * the run ends otherwise (`durationMs`, `stop`), and at every poll once `finalCounters` has stopped. The polls
   * between keep each connection's last counters.
   */
  countersEvery?: number;
}

/** How a run went. */
export interface MonitorRunResult {
  polls: number;
  failedPolls: number;
  runtimeMs: number;
  alerts: number;
  /** How long the polls took. */
  pollTimes: PollTimes;
}

function statusEvent(tracker: Tracker, at: Date, times: PollTimes): StatusEvent {
  const started = tracker.startedAt?.getTime() ?? at.getTime();
  const status: StatusEvent = {
    event: "STATUS",
    timestamp: isoWithOffset(at),
    active_rows: tracker.activeRowCount,
    connections: tracker.openConnectionCount,
    unique_rows: tracker.uniqueRowCount,
    runtime_seconds: Math.round((at.getTime() - started) / 1000),
    poll_seconds: Math.round(times.recentMs) / 1000,
  };
  const traffic = tracker.traffic;
  if (traffic !== null) {
    const rate = traffic.rate(traffic.machine, RATE_SPANS.recent);
    status.bytes_sent = traffic.machine.sent;
    status.bytes_received = traffic.machine.received;
    status.bytes_sent_per_second = rate === null ? null : Math.round(rate.sent);
    status.bytes_received_per_second = rate === null ? null : Math.round(rate.received);
  }
  return status;
}

/**
 * Stamp the connections of sockets the collector held back for their process
 * with the time they were first seen (`waited` ms before this poll), not this
 * poll's: what a `NEW` event reports is when the connection was there.
 */
function stampFirstSeen(
  all: Connection[],
  sockets: readonly Socket[],
  waited: ReadonlyMap<number, number>,
  at: Date,
): Map<Connection, number> {
  const seen = new Map<Connection, number>();
  for (let i = 0; i < sockets.length; i++) {
    const ms = sockets[i]!.inode ? waited.get(sockets[i]!.inode!) : undefined;
    if (ms === undefined || ms <= 0) continue;
    const when = at.getTime() - ms;
    all[i] = { ...all[i]!, timestamp: isoWithOffset(new Date(when)) };
    seen.set(all[i]!, when);
  }
  return seen;
}

/** The connections a filter keeps: the list itself when it keeps them all (no copy of 20,000 a poll). */
function kept(all: Connection[], keep: (c: Connection) => boolean): Connection[] {
  // A loop, not findIndex with a closure: 5x cheaper over 22,000 connections in both tiers (0.03-0.04 ms vs 0.19-0.23).
  let first = 0;
  while (first < all.length && keep(all[first]!)) first++;
  if (first === all.length) return all;
  const some = all.slice(0, first);
  for (let i = first + 1; i < all.length; i++) if (keep(all[i]!)) some.push(all[i]!);
  return some;
}

/** The connections the filters leave out, and the rows they would have made (TIME_WAIT makes none). */
function hiddenBy(
  all: readonly Connection[],
  kept: readonly Connection[],
  tracker: Tracker,
): { connections: number; rows: number } {
  if (all.length === kept.length) return { connections: 0, rows: 0 };
  const keptSet = new Set(kept);
  const rows = new Set<string>();
  for (const c of all) {
    if (keptSet.has(c) || LINGERING_STATUSES.has(c.status)) continue;
    rows.add(tracker.rowKeyOf(c));
  }
  return { connections: all.length - kept.length, rows: rows.size };
}

/**
 * Run the monitor until `count` polls, `durationMs`, or `io.stop`. A collector
 * failure on the first poll ends the run with its error; later failures are
 * reported once each and the poll is skipped. A poll that fails once `io.stop`
 * has aborted was cut short by the stop: the run ends there, with no last poll
 * (nor is there one when the stop came before the first poll); with a tracer,
 * what it saw since the latest poll is reported over the connections that poll
 * listed (none before the first), as it is when the last poll cannot read the
 * sockets.
 * The log is flushed and the output closed on every way out.
 */
export async function runMonitor(
  tracker: Tracker,
  options: MonitorLoopOptions,
  io: MonitorIo,
): Promise<MonitorRunResult> {
  const start = io.now().getTime();
  const statusEvery = options.statusEvery ?? 10;
  const countersEvery = Math.max(1, Math.floor(options.countersEvery ?? 1));
  const destroyed = io.finalCounters ?? null;
  /** How long a poll waits for the destroy report of a connection it saw close (see addFinalCounters). */
  const finalWaitMs = Math.min(FINAL_WAIT_MS, options.timeUnitMs / 2);
  const noted = new Set<string>();
  const noteOnce = (line: string) => {
    if (noted.has(line)) return;
    noted.add(line);
    io.note(line);
  };
  let polls = 0;
  let failedPolls = 0;
  let alerts = 0;
  let nextAt = start;
  const times = new PollTimes(options.timeUnitMs);
  let hidden = { connections: 0, rows: 0 };
  // A connection unchanged since the poll before is the same object: the tracker and the filters redo nothing for it.
  const memory = new ConnectionMemory();
  const elapsed = io.elapsed ?? (() => performance.now());
  /** When the last poll that ran started (ms, `elapsed`): a close this poll sees happened after it. */
  let previousAt = -Infinity;
  /**
   * Whether the stop cut a poll short (its tools were killed, perhaps stuck in a walk that would be redone), or
   * the last poll could not read the sockets.
   */
  let cutShort = false;
  /** When the loop ended (ms, `elapsed`): the stop, when the run was stopped between polls. */
  let stoppedAt = 0;
  /** What the latest poll that read the sockets listed. */
  let latest: { connections: Connection[]; sockets: Socket[] } | null = null;
  /**
   * One poll: read the sockets and what the tracer saw since the last one (`final`: all of it). Not `read`: the
   * tracer's events only, over the connections the latest poll listed (not counted as a poll).
   */
  const poll = async (final: boolean, read = true): Promise<void> => {
    const at = io.now();
    const startedAt = elapsed();
    // None listed yet when the stop cut the first poll short: the tracer's connections are all there is.
    let connections: Connection[] | null = read ? null : latest?.connections ?? [];
    let sockets: Socket[] = read ? [] : latest?.sockets ?? [];
    let firstSeen: Map<Connection, number> | undefined;
    if (read) {
      try {
        const next = polls + 1;
        const counters = countersEvery === 1 || destroyed === null || !destroyed.running || polls === 0 ||
          next % countersEvery === 0 || next === options.count || final;
        const result = await io.collector.collect(counters ? undefined : { counters: false });
        for (const note of result.notes) noteOnce(`note: ${note}`);
        if (result.skipped.length > 0) {
          noteOnce(`note: ${io.collector.name} printed lines conntrail could not read; they are skipped`);
        }
        sockets = result.sockets;
        const all = toConnections(result.sockets, isoWithOffset(at), memory);
        if (result.waited !== undefined) firstSeen = stampFirstSeen(all, result.sockets, result.waited, at);
        connections = kept(all, options.keep);
        hidden = hiddenBy(all, connections, tracker);
        // Kept only for a tracer's events (no copy: the arrays the poll made anyway).
        if (io.trace != null) latest = { connections, sockets };
      } catch (error) {
        // A stop while the poll ran cut it short (the commands kill its tools then: lib/cli/stoppable_programs.ts,
        // and those of the last poll a few seconds after the stop): the run ends, with nothing failed.
        if (io.stop.aborted) {
          cutShort = true;
          if (final) {
            const after = Math.round((elapsed() - stoppedAt) / 1000);
            noteOnce(
              `note: the last poll was ended ${after} s after the stop: ${
                error instanceof Error ? error.message : error
              }`,
            );
          }
          return;
        }
        // A first poll that fails says the setup is wrong (no tool, no permission): the run ends. One whose tool
        // ran out of time says the machine is busy (`ss -p` walks every process's descriptors): the run goes on.
        if (polls === 0 && failedPolls === 0 && !(error instanceof ToolError && error.timedOut)) throw error;
        cutShort ||= final;
        failedPolls++;
        noteOnce(`warning: a poll failed and was skipped: ${error instanceof Error ? error.message : error}`);
      }
    }
    if (connections !== null) {
      const trace = io.trace ?? null;
      const traced = trace === null ? undefined : tracedChanges(
        await trace.drain(final ? Infinity : io.now().getTime() - TRACE_HOLDBACK_MS),
        sockets,
        options.keep,
      );
      for (const line of trace?.takeNotes() ?? []) io.note(line);
      const events = tracker.update(connections, at, traced, firstSeen);
      // The run's last poll: what waits for a tracer's report that will not be read is reported now.
      if (final || (options.count !== undefined && polls + 1 >= options.count)) {
        events.push(...tracker.endWaiting());
      }
      if (destroyed !== null) {
        // The first poll's closes are of connections that ended before the monitor started: none to wait for.
        await addFinalCounters(events, destroyed, polls === 0 ? 0 : finalWaitMs, tracker.traffic, previousAt);
        // Whether the next polls may skip the counters: not while closes cost ss -E more than that saves.
        if (read) await destroyed.afterPoll?.(sockets, events);
        for (const line of destroyed.takeNotes()) io.note(line);
        if (destroyed.skipped > 0) {
          noteOnce("note: ss -E printed lines conntrail could not read; they are skipped");
        }
      }
      const raised = io.alerts?.(connections, events, at) ?? [];
      alerts += raised.length;
      for (const alert of raised) events.push(alert);
      if (!read) {
        await io.output.onPoll(events, null, at);
        io.log?.record(events);
        io.history?.record(events, { firstPoll: false, ownersLearned: tracker.ownersLearned() });
        return;
      }
      polls++;
      // This poll is counted in full once its output is written; the output hears what it took so far.
      const soFar = io.now().getTime() - at.getTime();
      const info: PollInfo = {
        pollMs: soFar,
        recentMs: times.recentWith(soFar),
        hiddenConnections: hidden.connections,
        hiddenRows: hidden.rows,
      };
      const status = polls % statusEvery === 0 ? statusEvent(tracker, at, times) : null;
      await io.output.onPoll(events, status, at, info);
      io.log?.record(events);
      io.history?.record(events, {
        firstPoll: polls === 1,
        ownersLearned: tracker.ownersLearned(),
      });
      await io.log?.maybeFlush(at.getTime());
      times.record(io.now().getTime() - at.getTime());
      previousAt = startedAt;
    }
  };
  try {
    // With a tracer, the run ends with one more poll, so that connections since the last one are not lost; with
    // counters read every few polls, so that the run's totals and history's last sightings have the latest
    // (a run ended by --duration, Ctrl+C or SIGTERM; --count's last poll reads them itself).
    let finalPoll = io.trace != null || (destroyed !== null && countersEvery > 1);
    while (!io.stop.aborted) {
      await poll(false);
      if (options.count !== undefined && polls >= options.count) {
        finalPoll = false;
        break;
      }
      const now = io.now().getTime();
      const endAt = options.durationMs === undefined ? Infinity : start + options.durationMs;
      if (now >= endAt) break;
      nextAt = Math.max(nextAt + options.timeUnitMs, now);
      if (nextAt >= endAt) {
        await io.sleep(endAt - now, io.stop);
        break;
      }
      await io.sleep(nextAt - now, io.stop);
    }
    // No reading after a poll the stop cut short (the stop is not to wait for the reading it just stopped), nor
    // when the run was stopped before its first poll (a first reading walks every process's descriptors).
    if (finalPoll && (polls > 0 || cutShort)) {
      stoppedAt = elapsed();
      await io.trace?.settle?.();
      if (!cutShort) await poll(true).catch((error) => io.note(`warning: the last poll failed: ${error}`));
      // No reading after the stop: what the tracer saw since the latest poll is not lost with the one cut short.
      if (cutShort && io.trace != null) {
        await poll(true, false).catch((error) => io.note(`warning: the last poll failed: ${error}`));
      }
      // A final poll that could not read the sockets left what waits for the tracer's report: not lost with it.
      const waiting = tracker.endWaiting();
      if (waiting.length > 0) {
        await io.output.onPoll(waiting, null, io.now());
        io.log?.record(waiting);
        io.history?.record(waiting);
      }
    }
  } finally {
    try {
      await io.output.close();
    } finally {
      try {
        await io.log?.flush();
      } finally {
        await io.history?.close(tracker.openSlotted(), io.now().getTime());
      }
    }
  }
  return { polls, failedPolls, runtimeMs: io.now().getTime() - start, alerts, pollTimes: times };
}
