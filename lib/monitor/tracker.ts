/**
 * The monitor's tracker: the connections followed from poll to poll and the `NEW`, `STATE` and `CLOSED` events they
 * make, with a tracer's reports merged in. Its rows are in `tracked_rows.ts`; what waits for a tracer's report, in
 * `tracer_waits.ts`.
 */
import type { Connection } from "../model/connection.ts";
import { servicePort } from "../model/direction.ts";
import type { ConnectionEvent, OpenSlot, SlottedConnection } from "../model/monitor_event.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { connectionKey } from "../model/connection_key.ts";
import { keepTracked, trackedOf } from "../model/connection_memory.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import type { GroupBy, TrackedRow } from "../model/tracked_row.ts";
import type { TracedChange } from "./traced_changes.ts";
import type { EvictedRow, TimelineView } from "../model/timeline_view.ts";
import { countersRead, type LastCounters, TrafficLedger } from "../model/traffic_ledger.ts";
import { TrafficMeter } from "../model/traffic_meter.ts";
import { TrackedRows } from "./tracked_rows.ts";
import { type AwaitedOwner, TracerWaits } from "./tracer_waits.ts";

export type { EvictedRow } from "../model/timeline_view.ts";

/** Options of a {@linkcode Tracker}. */
export interface TrackerOptions {
  /** Time units each row's on-screen timeline keeps. */
  width: number;
  groupBy: GroupBy;
  /** Rows without an open socket kept in memory; the longest closed go first. */
  maxClosedRows: number;
  /**
   * The time unit. With it, a poll's column is the number of time units since
   * the first poll, so a poll that took longer than a unit moves the timeline
   * on by as many units as passed (rows present before and after it are held
   * through them). Without it, each poll is the next column.
   */
  timeUnitMs?: number;
  /** The name a connection to `ip` at `at` (ms) was asked by (`--sniff-dns`); absent: no names. */
  domainOf?: (ip: string, at: number) => string | null;
  /** Count the bytes in connections' counters (`--traffic`): rows get meters, events carry counters. */
  traffic?: boolean;
}

/** An open connection as the tracker keeps it, with its counters as last read (`traffic`). */
interface OpenEntry extends LastCounters, OpenSlot {
  /** Its key in the tracker's open connections. */
  readonly key: string;
  /** As the latest poll that listed it saw it (during a poll: as the poll before did, until it is listed). */
  connection: Connection;
  /**
   * The poll that last listed it ({@linkcode CLOSED_NOW} once a tracer closed it in the current poll,
   * {@linkcode GONE} once it left the open connections).
   */
  poll: number;
  /** The poll since which it has been open: one before the current poll was open before it. */
  since: number;
  /** When it was first seen (ms). */
  openedAt: number;
  /** When it left the live states (TIME_WAIT), ms; null while live. */
  endedAt: number | null;
  /**
   * The connection a poll listed that `#carry` last made `connection` of, and what it made (null: none yet): a
   * poll that lists the same object again, `connection` unchanged since, gets the same connection without
   * making it anew (a socket in TIME_WAIT, which names no process, was copied with its owner at every poll).
   */
  carried: Connection | null;
  carriedAs: Connection | null;
}

/** The `poll` of an open connection a tracer closed during the current poll. */
const CLOSED_NOW = -1;
/**
 * The `poll` of an entry no longer among the open connections: a remembered connection that still holds it
 * (see `trackedOf`) finds the key's entry anew.
 */
const GONE = -2;

/** Rows are held through the units a slow poll spanned up to this long; a longer gap (a suspend) stays empty. */
const MAX_HELD_MS = 60_000;

/** How long a closure is remembered to recognise late reports of it, and how many at most. */
const CLOSURE_MEMORY_MS = 30_000;
const MAX_CLOSURES = 200_000;
/** How long after it appears a connection may still get its name (the DNS answer was read late). */
const LATE_NAME_MS = 5_000;

/** A connection with the process of another sighting of it (one that knew it), stamped `timestamp` if given. */
function withOwner(c: Connection, from: Connection, timestamp?: string): Connection {
  return {
    ...c,
    timestamp: timestamp ?? c.timestamp,
    pid: from.pid,
    process_name: from.process_name,
    process_path: from.process_path,
    user: c.user ?? from.user,
  };
}

/**
 * Whether a poll lists a new connection on the four-tuple of one last listed in TIME_WAIT (`before`): the
 * kernel gives a TIME_WAIT's four-tuple to a new connection (loopback's `tcp_tw_reuse`, `SO_REUSEADDR` and a
 * fixed port), and a socket in TIME_WAIT never goes to another state.
 */
function reusedTimeWait(before: Connection, listed: Connection): boolean {
  return before.status === "TIME_WAIT" && !LINGERING_STATUSES.has(listed.status);
}

/** The connection stamped with this poll's time (the same object when it already is). */
function stamped(c: Connection, timestamp: string): Connection {
  return c.timestamp === timestamp ? c : { ...c, timestamp };
}

/** A new open entry: one shape for every entry, wherever it is made. */
function openEntry(key: string, connection: Connection, round: number, openedAt: number): OpenEntry {
  return {
    key,
    connection,
    poll: round,
    since: round,
    openedAt,
    endedAt: null,
    sent: null,
    received: null,
    historyId: undefined,
    carried: null,
    carriedAs: null,
  };
}

/** One call of {@linkcode Tracker.update}: its arguments, the poll's times, and what its steps found so far. */
interface Poll {
  readonly now: Date;
  readonly nowMs: number;
  /** `now` as events are stamped. */
  readonly timestamp: string;
  /** Its column in the rows' timelines. */
  readonly column: number;
  /** Its number: an open entry this poll listed has it as its `poll`. */
  readonly round: number;
  /** The run's first poll: a tracer started with it may have missed what it lists, so nothing waits for one. */
  readonly first: boolean;
  /** The traffic ledger's number of the poll (-1 without `traffic`). */
  readonly ledgerPoll: number;
  /** A tracer runs (`traced` was given, if empty). */
  readonly tracing: boolean;
  /** When a collector first saw connections it held back (ms). */
  readonly firstSeen: ReadonlyMap<Connection, number> | undefined;
  /** Its events, in order. */
  readonly events: ConnectionEvent[];
  /** Keys a tracer closes in this batch: their TIME_WAIT sockets in this poll are the same connections, over. */
  readonly closing: Set<string>;
  /** The processes a tracer saw open connections with, by key: the poll may list them without one. */
  readonly owners: Map<string, Connection>;
  /** Opens of the batch whose close it reports too, with the close's time (ms): those closed before the poll. */
  readonly closedLater: Map<TracedChange, number>;
  /** Keys a tracer closed whose lingering socket this poll lists: still closed by it at the next poll. */
  readonly lingering: Set<string>;
  /** Keys a tracer's report closed in this poll: the sweep of what the poll did not list leaves them be. */
  readonly closedNow: Set<string>;
  /** Connections that opened and closed between two polls: their rows were active in this time unit. */
  readonly flashes: Connection[];
}

/**
 * Follows connections from poll to poll: turns each poll into `NEW`, `STATE`
 * and `CLOSED` events and keeps one {@linkcode TrackedRow} per group with its
 * timeline. A row is present while it has a live socket (not TIME_WAIT). Memory is bounded: timelines are ring buffers and rows with no
 * open socket beyond `maxClosedRows` are dropped, oldest closure first.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Tracker } from "./tracker.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 42, process_name: "curl", process_path: null, user: null };
 * const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 100 });
 * deepStrictEqual(tracker.update([c], new Date(0)).map((e) => e.event), ["NEW"]);
 * deepStrictEqual(tracker.update([{ ...c, status: "TIME_WAIT" }], new Date(1000)).map((e) => e.event), ["STATE"]);
 * deepStrictEqual(tracker.update([], new Date(2000)).map((e) => e.event), ["CLOSED"]);
 * ```
 */
export class Tracker implements TimelineView {
  readonly #options: TrackerOptions;
  #column = -1;
  /**
   * The open connections by key, kept from poll to poll (not made anew each
   * poll: a Map of 21,000 entries a second was the tracker's largest garbage
   * at 10,000 connections). Each entry says which poll last listed it and
   * from which poll it has been open.
   */
  readonly #open = new Map<string, OpenEntry>();
  /** One row per group, with its timeline (see {@linkcode TrackedRows}). */
  readonly #rows: TrackedRows;
  #startedAt: Date | null = null;
  #lastPollAt: Date | null = null;
  #ownersLearned: SlottedConnection[] = [];
  /**
   * The key of each connection object the latest poll listed that is not a
   * remembered one (see below), and the poll that listed it. A remembered
   * connection (a `ConnectionMemory`'s, which the monitor's polls give: an
   * unchanged connection is the same object again) holds its open entry
   * itself (`keepTracked`), or its key while it has none: no lookup, and no
   * Map of 21,000 entries beside the open connections. A Map swept each poll,
   * not a WeakMap: as a WeakMap's keys, short-lived connections outlived their
   * young generation (41 MiB more at the peak of a simulated day).
   */
  readonly #keys = new Map<Connection, { key: string; poll: number }>();
  #polls = 0;
  /** Objects in `#keys` the poll under way stamped: all of them, and its sweep has nothing to do. */
  #keysStamped = 0;
  /** Keys closed lately, oldest first, with when: a tracer's report that arrives after the fact is recognised. */
  #closedAt = new Map<string, number>();
  /** Keys a tracer closed whose socket still lingers (TIME_WAIT): not a new connection. */
  #traceClosed = new Set<string>();
  /** What waits for a tracer's report: connections without their process, lingering sockets it has not closed. */
  readonly #waits = new TracerWaits();
  /** Byte accounting, with `traffic`. */
  readonly traffic: TrafficLedger | null;

  constructor(options: TrackerOptions) {
    this.#options = options;
    this.#rows = new TrackedRows(options);
    this.traffic = options.traffic ? new TrafficLedger() : null;
  }

  /** A connection with the counters the ledger last read, where this reading has none (TIME_WAIT). */
  #withCounters(c: Connection, entry: OpenEntry): Connection {
    if (this.traffic === null || (c.bytes_sent != null && c.bytes_received != null)) return c;
    const known = countersRead(entry);
    return known === null ? c : { ...c, bytes_sent: known.sent, bytes_received: known.received };
  }

  /**
   * A connection as it closes: with `traffic`, the last counters read of it (`entry`: its open entry, which
   * forgets them; null for one that opened and closed between two polls).
   */
  #withLastCounters(c: Connection, entry: OpenEntry | null): Connection {
    if (this.traffic === null) return c;
    const last = entry === null ? null : countersRead(entry);
    if (entry !== null) entry.sent = entry.received = null;
    return {
      ...c,
      bytes_sent: last?.sent ?? c.bytes_sent ?? null,
      bytes_received: last?.received ?? c.bytes_received ?? null,
    };
  }

  /** The column of a poll at `now`: the next one, or with a time unit the units since the first poll. */
  #columnAt(now: Date): number {
    const unit = this.#options.timeUnitMs;
    const started = this.#startedAt;
    if (unit === undefined || unit <= 0 || started === null) return this.#column + 1;
    return Math.max(this.#column + 1, Math.round((now.getTime() - started.getTime()) / unit));
  }

  /**
   * Hold the rows present at the last poll through the columns a slow poll skipped: open, and no more. A row
   * whose bytes are counted is idle there (what moved in the gap shows in the column of the poll that reads
   * it, as between any two polls); only a row without counters, which is never idle, stays active.
   */
  #holdThrough(column: number, now: Date): void {
    const from = this.#column + 1;
    const to = column - 1;
    const last = this.#lastPollAt;
    if (to < from || last === null || now.getTime() - last.getTime() > MAX_HELD_MS) return;
    this.#rows.holdThrough(from, to);
  }

  /**
   * Record one poll: the connections that pass the filters, the time of the
   * poll, and what a tracer saw open and close since the last one (oldest
   * first). A traced connection the poll did not see is `NEW` all the same,
   * with its process — and `CLOSED` in the same poll when it has ended, with
   * its own times; one the poll sees gets the process the tracer named if the
   * poll had none. A traced close ends a connection at once, and its
   * TIME_WAIT socket is not news, nor, for a few seconds, one the tracer has
   * not reported yet (its report, with the process, is on its way); nor, for
   * as long, a live one the poll lists without its process. A report of the
   * open of a connection an earlier poll already reported is that
   * connection (no second `NEW`): the process it names goes to its `CLOSED`
   * and {@linkcode ownersLearned}. A report that comes after the poll that
   * already closed its connection changes nothing. Polling still closes
   * whatever it no longer sees. `traced` absent: no tracer. A `NEW` is
   * stamped when the tracker first saw the connection, or `firstSeen` (ms)
   * for connections first seen before this poll (a collector held them back
   * for their process): their life counts from then.
   */
  update(
    connections: readonly Connection[],
    now: Date,
    traced?: readonly TracedChange[],
    firstSeen?: ReadonlyMap<Connection, number>,
  ): ConnectionEvent[] {
    const poll = this.#beginPoll(now, traced !== undefined, firstSeen);
    const changes = traced ?? [];
    // The listing is taken knowing what the tracer's batch closes and whose process it names; the batch's
    // changes are taken after it, against what the poll listed.
    this.#readTracerBatch(changes, poll);
    this.#takeListing(connections, poll);
    this.#endListing(poll);
    for (const change of changes) this.#takeTracedChange(change, poll);
    this.#reportWaitedInVain(poll);
    this.#closeUnlistedAndCount(poll);
    this.#presentFlashes(poll);
    this.#rows.endPoll(poll.column, now, poll.round, poll.ledgerPoll);
    return poll.events;
  }

  /**
   * A poll starts: its column (the rows present at the last poll are held through the columns a slow poll
   * skipped), its number and times; closures too old for a tracer's late report are forgotten, the owners
   * learned are this poll's from now on, and the ledger starts its poll.
   */
  #beginPoll(now: Date, tracing: boolean, firstSeen: ReadonlyMap<Connection, number> | undefined): Poll {
    const column = this.#columnAt(now);
    this.#holdThrough(column, now);
    this.#column = column;
    this.#startedAt ??= now;
    this.#lastPollAt = now;
    const round = ++this.#polls;
    const timestamp = isoWithOffset(now);
    this.#ownersLearned = [];
    const nowMs = now.getTime();
    this.#forgetOldClosures(nowMs);
    const ledgerPoll = this.traffic?.begin(now) ?? -1;
    return {
      now,
      nowMs,
      timestamp,
      column,
      round,
      first: this.#startedAt === now,
      ledgerPoll,
      tracing,
      firstSeen,
      events: [],
      closing: new Set(),
      owners: new Map(),
      closedLater: new Map(),
      lingering: new Set(),
      closedNow: new Set(),
      flashes: [],
    };
  }

  /**
   * What the listing needs from a tracer's batch before its changes are taken: the keys it closes (their
   * lingering sockets are not news) and the processes it saw open connections with (the poll may list them
   * without one). A batch with an open in it says the tracer reports opens.
   */
  #readTracerBatch(changes: readonly TracedChange[], poll: Poll): void {
    /** The latest open of each key in the batch, until a close of the key follows it. */
    let opened: Map<string, TracedChange> | null = null;
    for (const change of changes) {
      const key = connectionKey(change.connection);
      if (change.kind === "close") {
        poll.closing.add(key);
        // What opened before it in the batch closed before the poll: it is not what the poll lists alive (a
        // new connection on the four-tuple), nor is its process.
        const open = opened?.get(key);
        if (open === undefined) continue;
        opened!.delete(key);
        poll.closedLater.set(open, Date.parse(change.connection.timestamp));
        if (poll.owners.get(key) === open.connection) poll.owners.delete(key);
      } else {
        this.#waits.opensReported = true;
        (opened ??= new Map()).set(key, change);
        if (change.connection.pid !== null) poll.owners.set(key, change.connection);
      }
    }
  }

  /**
   * Take what the poll lists, connection by connection: each is found open (carried over: `STATE` when its state
   * moved, its owner learned when it had none), or is `NEW`, or is held back for a tracer's report. The hot
   * loop (every open socket, every poll): what it does for an unchanged connection stays in it; what only some
   * do is a method of its own.
   */
  #takeListing(connections: readonly Connection[], poll: Poll): void {
    const round = poll.round;
    const owners = poll.owners;
    this.#waits.beginPoll();
    this.#keysStamped = 0;
    // Indexed, not for-of: Maglev (the top tier under --max-opt=2) makes a for-of's iterator results.
    for (let i = 0; i < connections.length; i++) {
      const listed = connections[i]!;
      const tracked = trackedOf(listed) as OpenEntry | string | null | undefined;
      // A remembered connection listed before holds its open entry: no key to make, nothing to look up.
      const found = typeof tracked === "object" && tracked !== null && tracked.poll !== GONE
        ? tracked
        : this.#entryOrKey(listed, tracked, round);
      let entry = typeof found === "string" ? undefined : found;
      if (entry !== undefined && entry.poll === round) continue; // a socket shared by two processes shows once
      const key = entry === undefined ? found as string : entry.key;
      if (entry !== undefined && reusedTimeWait(entry.connection, listed)) {
        this.#endReusedTimeWait(entry, poll);
        entry = undefined;
      }
      const owner = listed.pid === null ? owners.get(key) : undefined;
      const polled = owner === undefined ? listed : withOwner(listed, owner, poll.timestamp);
      if (
        (entry === undefined || LINGERING_STATUSES.has(polled.status)) &&
        this.#heldForTracer(key, listed, polled, entry === undefined, poll)
      ) continue;
      if (this.#traceClosed.size > 0) this.#traceClosed.delete(key);
      const before = entry?.connection;
      if (entry === undefined) entry = this.#openListed(key, listed, polled, poll);
      else {
        entry.connection = this.#carry(polled, entry, poll);
        entry.poll = round;
      }
      this.#reportListed(before, entry, poll);
      // Its life is counted until it left the live states (TIME_WAIT).
      if (LINGERING_STATUSES.has(entry.connection.status)) entry.endedAt ??= poll.nowMs;
      else entry.endedAt = null;
    }
  }

  /**
   * The open entry of a listed connection, or its key when it has none. A remembered connection (a
   * `ConnectionMemory`'s) holds its entry itself, or its key while it has none (`keepTracked`): no key is
   * made and no lookup done; it is given what was found for the next poll. Another object's key is made once,
   * while polls keep listing the object. `tracked`: what `trackedOf` gives of it (the listing's loop takes the
   * common case, an entry still open, without calling this).
   */
  #entryOrKey(
    listed: Connection,
    tracked: OpenEntry | string | null | undefined,
    round: number,
  ): OpenEntry | string {
    if (tracked === undefined) {
      const key = this.#keyOfObject(listed, round);
      // One lookup for what the poll before saw and what this one did: nothing changes the entry in between.
      return this.#open.get(key) ?? key;
    }
    let found: OpenEntry | string;
    if (tracked === null) {
      const key = connectionKey(listed);
      found = this.#open.get(key) ?? key;
    } else if (typeof tracked === "string") {
      // Listed before without an entry (a lingering socket not reported yet).
      found = this.#open.get(tracked) ?? tracked;
    } else if (tracked.poll !== GONE) {
      // Listed before: its entry, still open.
      return tracked;
    } else found = this.#open.get(tracked.key) ?? tracked.key;
    if (found !== tracked) keepTracked(listed, found);
    return found;
  }

  /** The key of a connection object that is not a remembered one, from the objects the latest poll listed. */
  #keyOfObject(listed: Connection, round: number): string {
    const known = this.#keys.get(listed);
    if (known === undefined) {
      const key = connectionKey(listed);
      this.#keys.set(listed, { key, poll: round });
      this.#keysStamped++;
      return key;
    }
    if (known.poll !== round) {
      known.poll = round;
      this.#keysStamped++;
    }
    return known.key;
  }

  /** A new connection on the four-tuple of one in TIME_WAIT: that one ends now (the new one is `NEW`). */
  #endReusedTimeWait(entry: OpenEntry, poll: Poll): void {
    this.#open.delete(entry.key);
    entry.poll = GONE;
    poll.events.push(this.#closedEvent(entry.key, entry, poll.timestamp, entry.endedAt ?? poll.nowMs));
  }

  /**
   * Whether a listed connection (`polled`: with the process a tracer named) is left out of this poll: the
   * lingering socket of a connection a tracer closed (it is over), or one whose tracer's report is awaited
   * (its process is on the way). `isNew`: it has no open entry.
   */
  #heldForTracer(key: string, listed: Connection, polled: Connection, isNew: boolean, poll: Poll): boolean {
    const waits = this.#waits;
    if (LINGERING_STATUSES.has(polled.status)) {
      if (this.#traceClosed.has(key) || poll.closing.has(key)) {
        poll.lingering.add(key);
        return true;
      }
      // A tracer reports a connection's open and close a moment after the poll may list what it left
      // behind: a TIME_WAIT socket it has not reported yet waits a little for the report, with its process.
      if (poll.tracing && isNew && !poll.first && waits.lingers(key, poll.round, poll.nowMs)) return true;
    }
    // Without its process and not reported by the tracer (not one of the first poll, which the tracer may
    // have missed): the report, with the process, comes with a later poll. Its NEW waits for it, a few
    // seconds at most, as a collector holds back a socket for its process (a NEW without it, then the
    // tracer's, would say one connection twice; the process learned after its NEW would reach its CLOSED,
    // history and the page, but not the NEW line, which alerts and scripts read).
    return waits.opensReported && isNew && polled.pid === null && polled.protocol === "TCP" &&
      polled.remote_ip !== null && !LINGERING_STATUSES.has(polled.status) && !poll.closing.has(key) &&
      !poll.first && waits.awaitOwner(key, polled, poll.firstSeen?.get(listed), poll.nowMs, poll.round);
  }

  /**
   * A listed connection without an open entry opens: first seen now, or when a collector (or a wait for a
   * tracer's report) held it back for its process. Its NEW says when: an object a collector made at an
   * earlier poll (ConnectionMemory gives an unchanged connection again, one the filters hid until now too)
   * carries that poll's stamp, not its first sighting here.
   */
  #openListed(key: string, listed: Connection, polled: Connection, poll: Poll): OpenEntry {
    const nowMs = poll.nowMs;
    const awaited = this.#waits.take(key);
    const openedAt = Math.min(awaited?.since ?? poll.firstSeen?.get(listed) ?? nowMs, nowMs);
    const stamp = openedAt === nowMs ? poll.timestamp : isoWithOffset(new Date(openedAt));
    const entry = openEntry(key, this.#opened(stamped(polled, stamp), openedAt), poll.round, openedAt);
    this.#open.set(key, entry);
    keepTracked(listed, entry);
    // A close of its four-tuple before this poll started is an earlier connection's: this one was alive in
    // the listing, after that. The tracer's late report of it is recognised by this time, not by when a poll
    // saw it end: a close traced while that poll's dump ran (after the poll started) would else end this one.
    const closedAt = this.#closedAt.size > 0 ? this.#closedAt.get(key) : undefined;
    if (closedAt !== undefined && closedAt < nowMs) {
      this.#closedAt.delete(key);
      this.#closedAt.set(key, nowMs);
    }
    return entry;
  }

  /**
   * What a listing says of a connection (`before`: as the poll before saw it): `NEW` when it was not open,
   * `STATE` when its state moved, and its owner learned when the poll before did not know it.
   */
  #reportListed(before: Connection | undefined, entry: OpenEntry, poll: Poll): void {
    const c = entry.connection;
    if (before === undefined) {
      poll.events.push({ event: "NEW", connection: c, slot: entry });
      return;
    }
    if (before.status !== c.status) {
      poll.events.push({
        event: "STATE",
        connection: this.#withCounters(stamped(c, poll.timestamp), entry),
        previous_status: before.status,
        slot: entry,
      });
    }
    if (before.pid === null && c.pid !== null) this.#ownerLearned(entry, c);
  }

  /**
   * The listing is over: the keys of objects it did not list are forgotten, and so are a tracer's closes whose
   * lingering socket it did not list; what waits for a tracer's report learns what it listed.
   */
  #endListing(poll: Poll): void {
    const round = poll.round;
    const keys = this.#keys;
    // Every object in #keys stamped by this poll: the sweep has nothing to do.
    if (this.#keysStamped !== keys.size) {
      keys.forEach((known, c) => {
        if (known.poll !== round) keys.delete(c);
      });
    }
    for (const key of this.#traceClosed) if (!poll.lingering.has(key)) this.#traceClosed.delete(key);
    this.#waits.endListing((key) => this.#listedNow(key, round) !== undefined);
  }

  /** The connection this poll lists under the key, if any. */
  #listedNow(key: string, round: number): Connection | undefined {
    const entry = this.#open.get(key);
    return entry !== undefined && entry.poll === round ? entry.connection : undefined;
  }

  /** A connection open at the poll before, whose process this poll learned (its bytes so far go to it). */
  #ownerLearned(entry: OpenEntry, c: Connection): void {
    this.#ownersLearned.push({ connection: c, slot: entry });
    this.traffic?.ownerLearned(entry, c);
  }

  /** One of a tracer's changes since the last poll (taken oldest first, after the listing). */
  #takeTracedChange(change: TracedChange, poll: Poll): void {
    const key = connectionKey(change.connection);
    const at = Date.parse(change.connection.timestamp);
    const listed = this.#listedNow(key, poll.round);
    // The tracer has reported a connection a poll listed without its process: its report decides.
    this.#waits.reported(key);
    if (change.kind === "open") this.#tracedOpen(change, key, at, listed, poll);
    else this.#tracedClose(change, key, at, listed, poll);
  }

  /**
   * A tracer's report of an open (at `at`, ms; `listed`: the connection this poll lists under its key): it
   * names the process of one the poll listed without it; the report of a connection the poll before listed is
   * that connection; else it is `NEW`, unless it closed since or the filters leave it out.
   */
  #tracedOpen(
    change: TracedChange,
    key: string,
    at: number,
    listed: Connection | undefined,
    poll: Poll,
  ): void {
    const open = this.#open;
    // It closed (in this batch) before the connection open on its key was first seen alive: an earlier
    // connection's, which names neither the process nor the start of this one (its close does not end it).
    const closesAt = poll.closedLater.size > 0 ? poll.closedLater.get(change) : undefined;
    if (closesAt !== undefined && closesAt < (open.get(key)?.openedAt ?? -Infinity)) return;
    if (listed !== undefined) {
      if (listed.pid === null && change.connection.pid !== null) {
        const owned = withOwner(listed, change.connection, poll.timestamp);
        this.#list(key, owned, poll);
        const entry = open.get(key);
        if (entry !== undefined && entry.since < poll.round) this.#ownerLearned(entry, owned);
      }
      return;
    }
    const entry = open.get(key);
    if (entry !== undefined && entry.since < poll.round && !poll.closedNow.has(key)) {
      // Open at the poll before, not listed by this one: the report of its open came after the poll that
      // listed it (the newest reports are held back a moment). It is that connection, not a new one: it
      // keeps what the tracer knew (its process, for its CLOSED, history and the page; when it opened),
      // and a close traced after it, or this poll's sweep, ends it.
      if (entry.connection.pid === null && change.connection.pid !== null) {
        const owned = withOwner(entry.connection, change.connection, poll.timestamp);
        entry.connection = owned;
        this.#ownerLearned(entry, owned);
      }
      if (at < entry.openedAt) entry.openedAt = at;
      return;
    }
    const closedAt = this.#closedAt.get(key);
    if ((closedAt !== undefined && at <= closedAt) || !change.keep) return;
    const c = this.#opened(change.connection, at);
    this.#list(key, c, poll, at);
    poll.events.push({ event: "NEW", connection: c, slot: open.get(key) });
  }

  /** This poll lists the connection under the key (it was open before, or opens now at `openedAt`). */
  #list(key: string, c: Connection, poll: Poll, openedAt?: number): void {
    const entry = this.#open.get(key);
    if (entry === undefined) {
      this.#open.set(key, openEntry(key, c, poll.round, openedAt ?? poll.nowMs));
      return;
    }
    entry.connection = c;
    entry.poll = poll.round;
    if (openedAt !== undefined) {
      entry.openedAt = openedAt;
      entry.endedAt = null;
      entry.sent = entry.received = null;
    }
  }

  /**
   * A tracer's report of a close (at `at`, ms; `listed`: the connection this poll lists under its key): it
   * ends the connection at once, as this poll listed it or, not listed now, as the poll before saw it; one
   * the tracker never had lived and died between two polls.
   */
  #tracedClose(
    change: TracedChange,
    key: string,
    at: number,
    listed: Connection | undefined,
    poll: Poll,
  ): void {
    // A late report of an earlier connection's close (one whose TIME_WAIT a new connection took): ended already.
    const closedAt = this.#closedAt.get(key);
    if (closedAt !== undefined && at <= closedAt) return;
    // Not listed now: as the poll before saw it, unless a change before this one closed it.
    const entry = this.#open.get(key);
    const known = listed ?? (poll.closedNow.has(key) ? undefined : entry?.connection);
    if (entry === undefined || known === undefined) {
      this.#tracedFlash(change, key, at, poll);
      return;
    }
    // Before the open one was first seen alive: an earlier connection's, one that opened and closed just before
    // the poll that listed this one, reported after it. It does not end this one (nor is it reported: its open,
    // with this one listed, was taken for this one's).
    if (at < entry.openedAt) return;
    entry.poll = CLOSED_NOW;
    poll.closedNow.add(key);
    poll.events.push({
      event: "CLOSED",
      connection: this.#withLastCounters({ ...known, timestamp: change.connection.timestamp }, entry),
      duration_s: this.#closed(key, entry, at),
      slot: entry,
    });
    this.#traceClosed.add(key);
    // Not open at the poll before: it opened and closed since.
    if (entry.since >= poll.round) poll.flashes.push(known);
  }

  /** A socket that lived and died between two polls, seen only at its end (ss -E): `NEW` and `CLOSED` at once. */
  #tracedFlash(change: TracedChange, key: string, at: number, poll: Poll): void {
    if (this.#closedAt.has(key) || !change.keep || change.connection.remote_ip === null) return;
    const c = this.#opened(change.connection, at);
    const slot: OpenSlot = { historyId: undefined };
    poll.events.push({ event: "NEW", connection: c, slot }, {
      event: "CLOSED",
      connection: this.#withLastCounters(c, null),
      duration_s: this.#closed(key, null, at),
      slot,
    });
    this.#traceClosed.add(key);
    poll.closedNow.add(key);
    poll.flashes.push(c);
  }

  /**
   * Listed without their process and not reported by the tracer since: one still listed waits on; one gone
   * since waits for the report of its open and close. Once none came in time (the tracer missed it), it is
   * reported as polling alone would have: NEW when first seen, CLOSED when first not listed.
   */
  #reportWaitedInVain(poll: Poll): void {
    this.#waits.sweep(poll.round, poll.nowMs, (key, awaited) => {
      if (!this.#open.has(key)) poll.flashes.push(this.#waitedInVain(key, awaited, poll.events));
    });
  }

  /**
   * What this poll did not list closed (a tracer's closes were reported already); what it did counts in its
   * row. One pass over the open connections for both (every open socket, every poll: the closure keeps the
   * poll's values in locals). forEach, not for…of over entries: no [key, value] pair is made for each of
   * 20,000 connections.
   */
  #closeUnlistedAndCount(poll: Poll): void {
    const { round, column, now, nowMs, timestamp, closedNow, events } = poll;
    const open = this.#open;
    const rows = this.#rows;
    const traffic = this.traffic;
    open.forEach((entry, key) => {
      if (entry.poll !== round) {
        if (entry.poll !== CLOSED_NOW && !closedNow.has(key)) {
          events.push(this.#closedEvent(key, entry, timestamp, nowMs));
        }
        entry.poll = GONE;
        open.delete(key);
        return;
      }
      const c = entry.connection;
      const row = LINGERING_STATUSES.has(c.status) ? null : rows.present(c, column, now, round);
      if (traffic !== null) {
        // A lingering socket with counters (macOS keeps them in TIME_WAIT) adds to its row, if still in
        // memory, without making the row present. Rows with a connection whose counters this poll read
        // (only those can be idle) are stamped countedIn.
        const countedRow = c.bytes_sent == null ? null : row ?? rows.rowOf(c) ?? null;
        if (countedRow !== null) countedRow.traffic ??= new TrafficMeter();
        traffic.observe(entry, c, countedRow?.traffic ?? null);
        if (row !== null && countedRow !== null) row.countedIn = round;
      }
      if (row === null) return;
      row.openConnections++;
      row.addState(c.status);
      row.addPort(servicePort(c));
      row.addProcessOf(c.pid, c.process_name, c.process_path);
    });
  }

  /** Connections that opened and closed between two polls make their rows present in this time unit. */
  #presentFlashes(poll: Poll): void {
    for (const c of poll.flashes) {
      const row = this.#rows.present(c, poll.column, poll.now, poll.round);
      row.addPort(servicePort(c));
      row.addProcessOf(c.pid, c.process_name, c.process_path);
    }
  }

  /**
   * A connection that waited for a tracer's report in vain, reported as polling alone would have: NEW when
   * first seen, and CLOSED when first not listed if it has gone since; else it is open from then on.
   */
  #waitedInVain(key: string, awaited: AwaitedOwner, events: ConnectionEvent[]): Connection {
    const c = this.#opened(
      stamped(awaited.connection, isoWithOffset(new Date(awaited.since))),
      awaited.since,
    );
    const goneAt = awaited.goneAt;
    if (goneAt === null) {
      const entry = openEntry(key, c, this.#polls, awaited.since);
      this.#open.set(key, entry);
      events.push({ event: "NEW", connection: c, slot: entry });
      return c;
    }
    const slot: OpenSlot = { historyId: undefined };
    this.#closed(key, null, goneAt);
    events.push({ event: "NEW", connection: c, slot }, {
      event: "CLOSED",
      connection: this.#withLastCounters(stamped(c, isoWithOffset(new Date(goneAt))), null),
      duration_s: Math.round(goneAt - awaited.since) / 1000,
      slot,
    });
    this.#traceClosed.add(key);
    return c;
  }

  /**
   * The run ends with the latest poll: the connections that wait for a tracer's report (a poll listed them
   * without their process) are reported as polling alone would have, not lost. One the latest poll listed
   * is `NEW` and open (history records it as seen until the end); one gone since is `NEW` and `CLOSED`.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { Tracker } from "./tracker.ts";
   * const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 100 });
   * deepStrictEqual(tracker.endWaiting(), []);
   * ```
   */
  endWaiting(): ConnectionEvent[] {
    const events: ConnectionEvent[] = [];
    this.#waits.drain((key, awaited) => {
      if (!this.#open.has(key)) this.#waitedInVain(key, awaited, events);
    });
    return events;
  }

  /** A connection appears (at `at`, ms): it gets the name its address was asked by, if DNS answers tell. */
  #opened(c: Connection, at: number): Connection {
    if (this.#options.domainOf === undefined || c.remote_ip === null || c.domain != null) return c;
    return { ...c, domain: this.#options.domainOf(c.remote_ip, at) };
  }

  /**
   * A connection seen again keeps what was learnt about it: its name, and its
   * process when this poll could not tell (a traced connection). A name that
   * was not known yet is looked for while the connection is young (the
   * answer can be read a little after the connection is seen).
   *
   * It takes the poll, not its time: a time in ms is no small integer, and Maglev (the top tier under
   * `--max-opt=2`) boxes such a number to pass it to a call it does not inline, a heap number for every open
   * connection every poll.
   */
  #carry(polled: Connection, entry: OpenEntry, poll: Poll): Connection {
    const before = entry.connection;
    // The same listing as at the poll before, and `connection` what was made of it then (no tracer's report
    // changed it since): it makes the same again. While the connection is young its name may still come.
    if (
      polled === entry.carried && before === entry.carriedAs && (this.#options.domainOf === undefined ||
        polled.remote_ip === null || before.domain != null || poll.nowMs - entry.openedAt > LATE_NAME_MS)
    ) return before;
    const made = this.#carried(polled, before, entry.openedAt, poll.nowMs);
    entry.carried = polled;
    entry.carriedAs = made;
    return made;
  }

  /** What `#carry` makes of a listed connection, given the one before. */
  #carried(polled: Connection, before: Connection, openedAt: number, nowMs: number): Connection {
    const c = polled.pid === null && before.pid !== null ? withOwner(polled, before) : polled;
    if (this.#options.domainOf === undefined || c.remote_ip === null) return c;
    if (before.domain != null) return c.domain === before.domain ? c : { ...c, domain: before.domain };
    const domain = nowMs - openedAt <= LATE_NAME_MS ? this.#options.domainOf(c.remote_ip, openedAt) : null;
    return c.domain === domain ? c : { ...c, domain };
  }

  /** The `CLOSED` of an open connection, stamped `timestamp` (the poll's); it ended at `at` (ms). */
  #closedEvent(key: string, entry: OpenEntry, timestamp: string, at: number): ConnectionEvent {
    const connection = this.#withLastCounters({ ...entry.connection, timestamp }, entry);
    return { event: "CLOSED", connection, duration_s: this.#closed(key, entry, at), slot: entry };
  }

  /**
   * A connection ends at `at` (ms); returns how long it lived, in seconds (until TIME_WAIT if it lingered).
   * `entry`: its open entry; null for one that opened and closed between two polls.
   */
  #closed(key: string, entry: OpenEntry | null, at: number): number {
    const since = entry?.openedAt ?? at;
    const ended = entry?.endedAt ?? at;
    this.#waits.closed(key);
    this.#closedAt.delete(key);
    this.#closedAt.set(key, at);
    // Whole milliseconds: a held-back socket was first seen at a sub-millisecond time (duration_s 4.11969970703125).
    return Math.round(Math.max(0, ended - since)) / 1000;
  }

  /** Closures are remembered long enough to recognise a tracer's late report of them. */
  #forgetOldClosures(nowMs: number): void {
    for (const [key, at] of this.#closedAt) {
      if (nowMs - at < CLOSURE_MEMORY_MS && this.#closedAt.size <= MAX_CLOSURES) break;
      this.#closedAt.delete(key);
    }
  }

  /**
   * The key of the row a connection would join (whether or not it passes the
   * monitor's filters): for counting the rows the filters hide.
   */
  rowKeyOf(c: Connection): string {
    return this.#rows.keyOf(c);
  }

  /** The column of the latest poll (the first poll is column 0). */
  get column(): number {
    return this.#column;
  }

  /** Time units observed since the start: the denominator of every activity share. */
  get totalColumns(): number {
    return this.#column + 1;
  }

  /** When the first and the latest poll ran. */
  get startedAt(): Date | null {
    return this.#startedAt;
  }
  get lastPollAt(): Date | null {
    return this.#lastPollAt;
  }

  /** Rows in memory, in no particular order. */
  rows(): IterableIterator<TrackedRow> {
    return this.#rows.rows();
  }

  /** Rows with an open socket at the latest poll. */
  get activeRowCount(): number {
    return this.#rows.activeRowCount;
  }

  /** Sockets open at the latest poll. */
  get openConnectionCount(): number {
    return this.#open.size;
  }

  /** Distinct rows since the start, evicted ones included. */
  get uniqueRowCount(): number {
    return this.#rows.uniqueRowCount;
  }

  /** Rows dropped from memory, and the most active of them. */
  get evictedCount(): number {
    return this.#rows.evictedCount;
  }
  evictedRows(): readonly EvictedRow[] {
    return this.#rows.evictedRows();
  }

  /**
   * Connections the latest poll named the process of, which earlier polls saw
   * without one (`ss` can list a socket created while it reads before its
   * owner; a tracer's report of the open can come after the poll that listed
   * it), each with its slot. No event is raised for them: history and the
   * page take the owner (a connection that also closed in this poll names it
   * in its `CLOSED`).
   */
  ownersLearned(): readonly SlottedConnection[] {
    return this.#ownersLearned;
  }

  /** The connection with this key as the latest poll saw it, if it is open. */
  openConnection(key: string): Connection | undefined {
    return this.#open.get(key)?.connection;
  }

  /** The connections open at the latest poll. */
  *openConnections(): IterableIterator<Connection> {
    for (const entry of this.#open.values()) yield this.#withCounters(entry.connection, entry);
  }

  /** The connections open at the latest poll, each with its slot. */
  *openSlotted(): IterableIterator<SlottedConnection> {
    for (const entry of this.#open.values()) {
      yield { connection: this.#withCounters(entry.connection, entry), slot: entry };
    }
  }
}
