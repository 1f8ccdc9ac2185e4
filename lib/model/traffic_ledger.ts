import { type ByteCounts, counterDelta } from "./byte_counters.ts";
import type { Connection } from "./connection.ts";
import { TrafficMeter } from "./traffic_meter.ts";

/** Bytes per second sent and received. */
export type TrafficRate = ByteCounts;

/** The spans rates are given over, in polls. */
export const RATE_SPANS = { tick: 1, recent: 10 } as const;

/** Processes and addresses kept with their totals; those idle longest go first. */
const MAX_KEYED = 10_000;
/** Polls of machine throughput kept for charts. */
const SERIES_LENGTH = 600;

/**
 * What is kept about one open connection's traffic: the kernel's counters at
 * the last reading that had them (null before one). Only these: a meter per
 * connection (about 600 bytes) was never read, and at 20,000 sockets made a
 * quarter of the monitor's heap. Whoever follows the connection keeps them
 * (the tracker, in its open entry) and hands them to each
 * {@linkcode TrafficLedger.observe}: the ledger keeps no map of 20,000
 * connections beside the tracker's.
 */
export interface LastCounters {
  sent: number | null;
  received: number | null;
}

/**
 * The counters last read of a connection, or null when none was.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { countersRead } from "./traffic_ledger.ts";
 * deepStrictEqual([countersRead({ sent: 5, received: 0 }), countersRead({ sent: null, received: null })],
 *   [{ sent: 5, received: 0 }, null]);
 * ```
 */
export function countersRead(last: LastCounters): ByteCounts | null {
  return last.sent === null || last.received === null ? null : { sent: last.sent, received: last.received };
}

/** One poll of machine throughput, for a chart. */
export interface ThroughputSample {
  /** Milliseconds since the epoch. */
  at: number;
  /** Bytes per second over the poll before; null for the first poll. */
  sent: number | null;
  received: number | null;
}

function touch(map: Map<string, TrafficMeter>, key: string): TrafficMeter {
  let meter = map.get(key);
  if (meter === undefined) {
    meter = new TrafficMeter();
    map.set(key, meter);
  }
  return meter;
}

/**
 * The monitor's byte accounting (`--traffic`): each poll's counters become
 * the bytes moved since the poll before, per connection, and are added up per
 * row, process, remote address and for the whole machine, with rates over the
 * last poll and the last 10.
 *
 * What counts: a connection first seen counts all its bytes (it opened after
 * the poll before, or, at the first poll, before conntrail started: those
 * bytes make the totals but no rate, since rates start after the first poll).
 * A counter that went down is a new socket on the same addresses and ports,
 * and counts from zero. A socket that closes between two polls keeps what
 * the last poll read: the kernel forgets a closed socket's counters, so bytes
 * it moved after that poll are not counted.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { TrafficLedger } from "./traffic_ledger.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 42, process_name: "curl", process_path: null, user: null, bytes_sent: 1000, bytes_received: 0 };
 * const ledger = new TrafficLedger();
 * const last = { sent: null, received: null };
 * ledger.begin(new Date(0));
 * ledger.observe(last, c, null);
 * ledger.begin(new Date(2000));
 * ledger.observe(last, { ...c, bytes_sent: 5000, bytes_received: 300 }, null);
 * deepStrictEqual(ledger.rate(ledger.machine, 1), { sent: 2000, received: 150 });
 * deepStrictEqual([ledger.machine.sent, ledger.machine.received], [5000, 300]);
 * ```
 */
export class TrafficLedger {
  /** Every connection's bytes, added up. */
  readonly machine = new TrafficMeter();
  readonly #processes = new Map<string, TrafficMeter>();
  readonly #addresses = new Map<string, TrafficMeter>();
  /** Poll times (ms) by column, for the last polls. */
  readonly #times = new Float64Array(RATE_SPANS.recent + 2);
  #column = -1;
  #firstColumn = -1;
  readonly #series: ThroughputSample[] = [];

  /**
   * Start a poll taken at `at` and return its number (0, 1, 2, …: the ledger
   * counts polls, not time units, so a slow poll is one step); call before the
   * poll's {@linkcode observe} calls. Meters record changes by this number.
   */
  begin(at: Date): number {
    this.#finishPoll();
    const column = this.#column + 1;
    if (this.#firstColumn < 0) this.#firstColumn = column;
    this.#column = column;
    this.#times[column % this.#times.length] = at.getTime();
    return column;
  }

  /** The number of the current poll (-1 before the first). */
  get poll(): number {
    return this.#column;
  }

  #finishPoll(): void {
    if (this.#column < 0) return;
    const rate = this.rate(this.machine, this.#column);
    this.#series.push({
      at: this.#timeOf(this.#column),
      sent: rate?.sent ?? null,
      received: rate?.received ?? null,
    });
    if (this.#series.length > SERIES_LENGTH) this.#series.splice(0, this.#series.length - SERIES_LENGTH);
    this.#evict(this.#processes);
    this.#evict(this.#addresses);
  }

  #timeOf(column: number): number {
    return this.#times[column % this.#times.length] ?? 0;
  }

  /**
   * Read one open connection's counters at this poll and count what moved
   * since the last reading (`state`, which this updates) in `row` (when
   * given), the connection's process's, its remote address's and the
   * machine's meters.
   */
  observe(state: LastCounters, c: Connection, row: TrafficMeter | null): void {
    const sent = c.bytes_sent ?? null;
    const received = c.bytes_received ?? null;
    if (sent === null || received === null) return; // TIME_WAIT and the like: the last reading stands
    // Either counter going down means a new socket: both count from zero.
    const reset = (state.sent !== null && sent < state.sent) ||
      (state.received !== null && received < state.received);
    const ds = counterDelta(reset ? null : state.sent, sent);
    const dr = counterDelta(reset ? null : state.received, received);
    state.sent = sent;
    state.received = received;
    if (ds === 0 && dr === 0) return;
    const column = this.#column;
    row?.add(column, ds, dr);
    this.machine.add(column, ds, dr);
    if (c.pid !== null || c.process_name !== null) {
      touch(this.#processes, processKey(c)).add(column, ds, dr);
    }
    if (c.remote_ip !== null) touch(this.#addresses, c.remote_ip).add(column, ds, dr);
  }

  /**
   * An open connection's process became known after some of its bytes were
   * counted (a walk names a socket's owner later than the poll that first read
   * it): what its counters held at the last reading (`state`) goes to the
   * process's meter, in its totals and not in its rates. Call before the
   * poll's {@linkcode observe} of the connection, which counts the rest.
   */
  ownerLearned(state: LastCounters, c: Connection): void {
    if (state.sent === null || state.received === null || (c.pid === null && c.process_name === null)) return;
    if (state.sent === 0 && state.received === 0) return;
    touch(this.#processes, processKey(c)).carry(state.sent, state.received);
  }

  /**
   * Bytes per second a meter counted over the last `span` polls up to the
   * current one (fewer at the start of the run); null at the first poll.
   */
  rate(meter: TrafficMeter, span: number = RATE_SPANS.tick, column = this.#column): TrafficRate | null {
    const from = Math.max(this.#firstColumn, column - Math.min(span, RATE_SPANS.recent));
    if (from < 0 || from >= column) return null;
    const seconds = (this.#timeOf(column) - this.#timeOf(from)) / 1000;
    if (!(seconds > 0)) return null;
    const now = meter.totalsAt(column);
    const then = meter.totalsAt(from);
    return { sent: (now.sent - then.sent) / seconds, received: (now.received - then.received) / seconds };
  }

  /** Meters per process (`pid name`), for top talkers. */
  processes(): ReadonlyMap<string, TrafficMeter> {
    return this.#processes;
  }

  /** Meters per remote address, for top talkers by destination, country and AS. */
  addresses(): ReadonlyMap<string, TrafficMeter> {
    return this.#addresses;
  }

  /** Machine throughput of the polls so far (the last 600), oldest first; the current poll comes last. */
  series(): ThroughputSample[] {
    const rate = this.#column < 0 ? null : this.rate(this.machine, RATE_SPANS.tick);
    const current = this.#column < 0
      ? []
      : [{ at: this.#timeOf(this.#column), sent: rate?.sent ?? null, received: rate?.received ?? null }];
    return [...this.#series, ...current].slice(-SERIES_LENGTH);
  }

  /** Keep at most MAX_KEYED meters: those that moved bytes longest ago go. */
  #evict(map: Map<string, TrafficMeter>): void {
    if (map.size <= MAX_KEYED) return;
    const byAge = [...map].sort((a, b) => a[1].lastColumn - b[1].lastColumn);
    for (const [key] of byAge.slice(0, map.size - Math.floor(MAX_KEYED * 0.9))) map.delete(key);
  }
}

/**
 * The key of a connection's process in {@linkcode TrafficLedger.processes}:
 * its pid and name, as rows grouped by process use.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { processKey } from "./traffic_ledger.ts";
 * deepStrictEqual(processKey({ pid: 42, process_name: "curl" }), "42 curl");
 * ```
 */
export function processKey(c: Pick<Connection, "pid" | "process_name">): string {
  return `${c.pid ?? "-"} ${c.process_name ?? ""}`;
}
