/**
 * The tracker's rows: one {@linkcode TrackedRow} per group (remote IP, process or connection), which of them a
 * poll found present, the cells each poll writes in their timelines, and the rows with no open socket kept in
 * memory up to a bound (the longest closed are evicted first, the most active of them remembered).
 */
import type { Connection } from "../model/connection.ts";
import { connectionKey } from "../model/connection_key.ts";
import { Cell } from "../model/timeline.ts";
import type { EvictedRow } from "../model/timeline_view.ts";
import { type GroupBy, TrackedRow } from "../model/tracked_row.ts";
import { processKey } from "../model/traffic_ledger.ts";

/**
 * The key of a connection's row when rows are processes: its pid and name.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { processRowKey } from "./tracked_rows.ts";
 * deepStrictEqual(processRowKey({ pid: 42, process_name: "curl" }), "42 curl");
 * deepStrictEqual(processRowKey({ pid: null, process_name: null }), "- ");
 * ```
 */
export function processRowKey(c: Pick<Connection, "pid" | "process_name">): string {
  return processKey(c);
}

/** True for a row of listening sockets only: its cells are `○`. */
function listeningOnly(row: TrackedRow): boolean {
  return row.listening || row.states.every((s) => s === "LISTEN" || s === "UNCONNECTED");
}

/** The key {@linkcode rowIdentity} gives, made without the rest (an IP row's key is the address itself). */
function rowKey(c: Connection, groupBy: GroupBy): string {
  if (groupBy === "ip" && c.direction !== "listening" && c.remote_ip !== null) return c.remote_ip;
  return rowIdentity(c, groupBy).key;
}

function rowIdentity(
  c: Connection,
  groupBy: GroupBy,
): { key: string; label: string; ip: string | null; listening: boolean } {
  const listening = c.direction === "listening";
  switch (groupBy) {
    case "ip":
      return listening || c.remote_ip === null
        ? { key: `L ${c.local_ip}`, label: `${c.local_ip} (listening)`, ip: c.local_ip, listening: true }
        : { key: c.remote_ip, label: c.remote_ip, ip: c.remote_ip, listening: false };
    case "process": {
      const name = c.process_name ?? "unknown process";
      const label = c.pid === null ? name : `${name} (${c.pid})`;
      return { key: processRowKey(c), label, ip: null, listening: false };
    }
    case "connection": {
      const local = `${c.local_ip}:${c.local_port}`;
      const label = c.remote_ip === null
        ? `${c.protocol} ${local}`
        : `${c.protocol} ${local} ${c.direction === "incoming" ? "←" : "→"} ${c.remote_ip}:${c.remote_port}`;
      return { key: connectionKey(c), label, ip: c.remote_ip ?? c.local_ip, listening };
    }
  }
}

const EVICTED_KEPT = 1000;

/** Options of {@linkcode TrackedRows}. */
export interface TrackedRowsOptions {
  /** Time units each row's on-screen timeline keeps. */
  width: number;
  groupBy: GroupBy;
  /** Rows without an open socket kept in memory; the longest closed go first. */
  maxClosedRows: number;
}

/**
 * The rows of a `Tracker`, poll by poll: {@linkcode present} marks the row of each connection a poll
 * counts, {@linkcode endPoll} writes the poll's column (new, active, idle, listening, closed) and evicts the
 * closed rows beyond `maxClosedRows`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { TrackedRows } from "./tracked_rows.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 42, process_name: "curl", process_path: null, user: null };
 * const rows = new TrackedRows({ width: 20, groupBy: "ip", maxClosedRows: 0 });
 * rows.present(c, 0, new Date(0), 1).addState(c.status);
 * rows.endPoll(0, new Date(0), 1, -1);
 * deepStrictEqual([rows.activeRowCount, rows.keyOf(c)], [1, "8.8.8.8"]);
 * rows.endPoll(1, new Date(1000), 2, -1); // the next poll did not find it: closed, and evicted (none kept)
 * deepStrictEqual([rows.activeRowCount, rows.evictedCount, rows.uniqueRowCount], [0, 1, 1]);
 * ```
 */
export class TrackedRows {
  readonly #options: TrackedRowsOptions;
  #rows = new Map<string, TrackedRow>();
  /** The rows the latest poll found present (each stamped with that poll: {@linkcode TrackedRow.presentIn}). */
  #presentRows: TrackedRow[] = [];
  /** The rows the poll under way has found present so far. */
  #present: TrackedRow[] = [];
  /** Rows with no open socket, in the order they closed. */
  #closedRows = new Map<string, TrackedRow>();
  #uniqueRows = 0;
  #evictedCount = 0;
  #evicted: EvictedRow[] = [];

  constructor(options: TrackedRowsOptions) {
    this.#options = options;
  }

  /** The key of the row a connection would join. */
  keyOf(c: Connection): string {
    return rowKey(c, this.#options.groupBy);
  }

  /** The row a connection would join, if it is in memory. */
  rowOf(c: Connection): TrackedRow | undefined {
    return this.#rows.get(rowKey(c, this.#options.groupBy));
  }

  /**
   * Hold the rows present at the last poll through columns `from` to `to`, which a slow poll skipped: open, and
   * no more. A row whose bytes are counted is idle there (what moved in the gap shows in the column of the poll
   * that reads it, as between any two polls); only a row without counters, which is never idle, stays active.
   */
  holdThrough(from: number, to: number): void {
    for (const row of this.#presentRows) {
      const held = listeningOnly(row) ? Cell.Listening : row.traffic !== null ? Cell.Idle : Cell.Active;
      row.timeline.fill(from, to, held);
      row.activeColumns += to - from + 1;
      row.lastColumn = to;
    }
  }

  /** The row of a connection, marked present in poll `round` (its counts start again at the first). */
  present(c: Connection, column: number, now: Date, round: number): TrackedRow {
    const row = this.#rowFor(c, column, now);
    if (row.presentIn !== round) {
      row.presentBefore = row.presentIn === round - 1;
      row.presentIn = round;
      this.#present.push(row);
      row.openConnections = 0;
      row.clearStates();
    }
    return row;
  }

  /**
   * Poll `round` ends: each row it found present gets its cell in `column`, each present at the poll before and
   * not now closes. `trafficColumn`: the traffic ledger's column of this poll (-1 without one).
   */
  endPoll(column: number, now: Date, round: number, trafficColumn: number): void {
    const present = this.#present;
    for (const row of present) {
      const wasPresent = row.presentBefore;
      // A row present only through connections that opened and closed in between has no state: it was active.
      // With --traffic, an open row whose counted connections moved nothing this poll is idle (never a
      // guess: a row without counters, such as UDP, stays active).
      const idle = row.countedIn === round && row.traffic !== null &&
        row.traffic.lastColumn !== trafficColumn;
      const cell = row.states.length > 0 && listeningOnly(row)
        ? Cell.Listening
        : !wasPresent
        ? Cell.New
        : idle
        ? Cell.Idle
        : Cell.Active;
      row.timeline.write(column, cell);
      row.lastColumn = column;
      row.lastSeen = now;
      row.activeColumns++;
      // A row present at the poll before is not among the closed ones.
      if (!wasPresent) this.#closedRows.delete(row.key);
    }
    for (const row of this.#presentRows) {
      if (row.presentIn === round) continue;
      row.timeline.write(column, Cell.Closed);
      row.openConnections = 0;
      this.#closedRows.set(row.key, row);
    }
    this.#presentRows = present;
    this.#present = [];
    this.#evictClosedRows();
  }

  #rowFor(c: Connection, column: number, now: Date): TrackedRow {
    let row = this.#rows.get(rowKey(c, this.#options.groupBy));
    if (row === undefined) {
      const identity = rowIdentity(c, this.#options.groupBy);
      row = new TrackedRow({ ...identity, width: this.#options.width }, column, now);
      this.#rows.set(identity.key, row);
      this.#uniqueRows++;
    }
    return row;
  }

  #evictClosedRows(): void {
    const excess = this.#closedRows.size - this.#options.maxClosedRows;
    if (excess <= 0) return;
    let n = 0;
    for (const [key, row] of this.#closedRows) {
      if (n++ >= excess) break;
      this.#closedRows.delete(key);
      this.#rows.delete(key);
      this.#evictedCount++;
      this.#evicted.push({
        label: row.label,
        ip: row.ip,
        activeColumns: row.activeColumns,
        firstSeen: row.firstSeen,
      });
    }
    if (this.#evicted.length > 2 * EVICTED_KEPT) {
      this.#evicted.sort((a, b) => b.activeColumns - a.activeColumns);
      this.#evicted.length = EVICTED_KEPT;
    }
  }

  /** Rows in memory, in no particular order. */
  rows(): IterableIterator<TrackedRow> {
    return this.#rows.values();
  }

  /** Rows with an open socket at the latest poll. */
  get activeRowCount(): number {
    return this.#presentRows.length;
  }

  /** Distinct rows since the start, evicted ones included. */
  get uniqueRowCount(): number {
    return this.#uniqueRows;
  }

  /** Rows dropped from memory, and the most active of them. */
  get evictedCount(): number {
    return this.#evictedCount;
  }
  evictedRows(): readonly EvictedRow[] {
    return this.#evicted;
  }
}
