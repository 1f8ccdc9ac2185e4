/**
 * What the dashboard, the exports and the web page read of the monitor's
 * timeline: rows, counts and the clock of the polls. The monitor's tracker
 * implements it; renderers depend on this view, never on the tracker.
 *
 * @module
 */
import type { Connection } from "./connection.ts";
import type { TrackedRow } from "./tracked_row.ts";
import type { TrafficLedger } from "./traffic_ledger.ts";

/** What is left of a row that was dropped from memory: enough for the top list and the frequent-IP file. */
export interface EvictedRow {
  label: string;
  ip: string | null;
  activeColumns: number;
  firstSeen: Date;
}

/** The read side of the timeline. */
export interface TimelineView {
  /** The column of the latest poll (0 before the first). */
  readonly column: number;
  /** Time units since the first poll. */
  readonly totalColumns: number;
  readonly startedAt: Date | null;
  readonly lastPollAt: Date | null;
  rows(): IterableIterator<TrackedRow>;
  readonly activeRowCount: number;
  readonly openConnectionCount: number;
  readonly uniqueRowCount: number;
  readonly evictedCount: number;
  evictedRows(): readonly EvictedRow[];
  openConnection(key: string): Connection | undefined;
  openConnections(): IterableIterator<Connection>;
  /** Byte accounting (`--traffic`), null without it. */
  readonly traffic: TrafficLedger | null;
}
