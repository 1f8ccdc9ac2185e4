import type { DescribeAddress } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { ConnectionEvent, SlottedConnection } from "../model/monitor_event.ts";
import type { Reputation } from "../model/risk.ts";
import { LINGERING_STATUSES } from "../model/status.ts";
import type { HistoryEvent, HistoryStore } from "../store/history_store.ts";
import { timerDelay } from "../model/timer_delay.ts";

/** Options of {@linkcode HistoryRecorder}. */
export interface HistoryRecorderOptions {
  /** What enrichment knows about an address now (names, country, AS). */
  describe: DescribeAddress;
  /** One line for the user. */
  note: (line: string) => void;
  /** The store to carry on with when the first one fails: memory. */
  fallback: () => HistoryStore;
  /** Buffered events are written this often (default 1 s), and on close. */
  flushIntervalMs?: number;
}

/** What a poll says besides its events. */
export interface PollFacts {
  /** The monitor's first poll: what it finds open opened before the monitor started. */
  firstPoll?: boolean;
  /** Open connections whose process this poll named for the first time. */
  ownersLearned?: readonly SlottedConnection[];
}

/** A batch this large is written without waiting for the interval. */
const MAX_BUFFERED = 20_000;
/** Events written in one transaction. */
const WRITE_PART = 2_000;

function historyEvent(
  event: ConnectionEvent,
  describe: DescribeAddress,
  firstPoll: boolean,
): HistoryEvent | null {
  const c = event.connection;
  if (c.remote_ip === null) return null;
  const at = Date.parse(c.timestamp);
  const slot = event.slot;
  switch (event.event) {
    case "NEW":
      return firstPoll
        ? { kind: "opened", at, connection: c, info: describe(c.remote_ip), atStart: true, slot }
        : { kind: "opened", at, connection: c, info: describe(c.remote_ip), slot };
    case "STATE":
      // TIME_WAIT is the end of the conversation: history closes the connection then, not a minute later.
      return LINGERING_STATUSES.has(c.status)
        ? { kind: "closed", at, connection: c, info: describe(c.remote_ip), slot }
        : { kind: "status", at, connection: c, slot };
    case "CLOSED":
      return { kind: "closed", at, connection: c, info: describe(c.remote_ip), slot };
    case "ALERT":
      return { kind: "alert", at, connection: c, reason: event.reason ?? "", details: event.details ?? {} };
  }
}

/** The records of `batch[from, to)` that are events: all but the sightings at the end. */
function events(batch: readonly HistoryEvent[], from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (batch[i]!.kind !== "seen") count++;
  return count;
}

/**
 * Feeds the monitor's events to a history store without slowing a frame: a
 * poll only adds to a buffer, and the buffer is written in one transaction a
 * second later, outside the tick (a buffer of more than 2,000 events in
 * transactions of 2,000). When the store fails (no permission, a read-only
 * or full disk) it says so in one line and carries on in memory, with the
 * events that failed and those after them.
 */
export class HistoryRecorder {
  #store: HistoryStore;
  readonly #options: HistoryRecorderOptions;
  readonly #flushIntervalMs: number;
  #buffer: HistoryEvent[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #written = 0;

  constructor(store: HistoryStore, options: HistoryRecorderOptions) {
    this.#store = store;
    this.#options = options;
    this.#flushIntervalMs = options.flushIntervalMs ?? 1000;
  }

  /** Where history goes now (`memory` once it has fallen back). */
  get location(): string {
    return this.#store.location;
  }

  /** The store written to now, for reading back what is kept (the web page's history views). */
  get store(): HistoryStore {
    return this.#store;
  }

  /**
   * Events written so far: connections opened, changed and closed, owners learned, alerts and reputations.
   * Not the last sighting of each connection still open at the end (it updates a record written earlier):
   * counted, a run ending with 21,000 connections open said 42,000 events for 21,000 connections.
   */
  get written(): number {
    return this.#written;
  }

  /**
   * Buffer a poll's events, and the open connections whose process that poll
   * named for the first time; returns at once. The first poll's new
   * connections were open before the monitor started.
   */
  record(events: readonly ConnectionEvent[], poll: PollFacts = {}): void {
    // Owners first: they are of records written at earlier polls, which this poll's events may close (a
    // tracer's late report names the process of a connection it also saw close).
    for (const { connection, slot } of poll.ownersLearned ?? []) {
      if (connection.remote_ip === null) continue;
      this.#buffer.push({ kind: "owner", at: Date.parse(connection.timestamp), connection, slot });
    }
    for (const event of events) {
      const converted = historyEvent(event, this.#options.describe, poll.firstPoll ?? false);
      if (converted !== null) this.#buffer.push(converted);
    }
    this.#schedule();
  }

  /** Buffer a reputation answer. */
  reputation(ip: string, reputation: Reputation): void {
    this.#buffer.push({ kind: "reputation", ip, reputation });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#buffer.length >= MAX_BUFFERED) {
      this.#clearTimer();
      this.flush();
      return;
    }
    if (this.#timer !== null || this.#buffer.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush();
    }, timerDelay(this.#flushIntervalMs));
  }

  #clearTimer(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Write what is buffered; one write at a time, in order. Never rejects. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async #write(): Promise<void> {
    const batch = this.#buffer;
    if (batch.length === 0) return;
    this.#buffer = [];
    // A batch of many events (the first poll at 10,000 connections makes 21,000) is written in parts, each its
    // own transaction, with a turn of the event loop between them: the monitor's polls go on, and what one
    // part builds is garbage before the next.
    for (let from = 0; from < batch.length; from += WRITE_PART) {
      if (from > 0) await new Promise((resolve) => setTimeout(resolve, timerDelay(0)));
      const part = from === 0 && batch.length <= WRITE_PART ? batch : batch.slice(from, from + WRITE_PART);
      try {
        await this.#store.record(part);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this.#options.note(
          `warning: history is kept in memory only from now on: ${this.#store.location}: ${reason}`,
        );
        await this.#store.close().catch(() => {});
        this.#store = this.#options.fallback();
        // The part that failed and the rest go to memory.
        await this.#store.record(batch.slice(from));
        this.#written += events(batch, from, batch.length);
        return;
      }
      this.#written += events(batch, from, from + part.length);
    }
  }

  /**
   * Record that the connections still open (with their slots, from a tracker) were seen until `at`, write
   * everything and close the store.
   */
  async close(open: Iterable<Connection | SlottedConnection>, at: number): Promise<void> {
    this.#clearTimer();
    for (const item of open) {
      const [connection, slot] = "slot" in item ? [item.connection, item.slot] : [item, undefined];
      if (connection.remote_ip !== null) this.#buffer.push({ kind: "seen", at, connection, slot });
    }
    await this.flush();
    await this.#store.close().catch(() => {});
  }
}
