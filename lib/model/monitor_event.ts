import type { RiskLevel } from "./risk.ts";
import type { Connection } from "./connection.ts";

/** What an alert can be about; the words `--fail-on` takes. */
export type AlertCondition = "blocklisted" | "suspicious" | "malicious" | "unexpected";

/** What happened to a connection between two polls, as scroll mode, NDJSON and logs report it. */
export type ConnectionEventKind = "NEW" | "CLOSED" | "STATE" | "ALERT";

/** What an `ALERT` adds to the connection fields (SPEC's enrichment names). */
export interface AlertDetails {
  /** The list and entry that matched: `ips.txt:12 203.0.113.0/24`. */
  blocklist?: string;
  risk_level?: RiskLevel;
  abuse_score?: number | null;
}

/**
 * What lives as long as one connection is open, from the poll that finds it to the one that ends it, shared by
 * all of its events: a history store keeps the id of the connection's record there, where it would otherwise
 * keep a Map of every open connection's key (at 21,000 connections a table of 896 KiB). Not output.
 */
export interface OpenSlot {
  historyId: number | undefined;
}

/** A connection with its {@linkcode OpenSlot}. */
export interface SlottedConnection {
  connection: Connection;
  slot: OpenSlot;
}

/** One event about one connection. */
export interface ConnectionEvent {
  event: ConnectionEventKind;
  /** The connection as last seen; `timestamp` is when the event was noticed. */
  connection: Connection;
  /** For `STATE`: the status before the change. */
  previous_status?: string;
  /** For `ALERT`: why, e.g. `blocklist ips.txt:12 203.0.113.0/24`. */
  reason?: string;
  /** For `ALERT`: `warning` or `error`, as GitHub Actions annotations show it. */
  severity?: "warning" | "error";
  /** For `ALERT`: the verdict's fields. */
  details?: AlertDetails;
  /** For `ALERT`: every condition the connection met (`reason` names the first). */
  conditions?: readonly AlertCondition[];
  /**
   * For `CLOSED`: seconds from the poll that first saw the connection to the
   * poll that saw it end (leave the live states, or disappear), so exact to a
   * time unit; for a connection already open when the monitor started, from
   * the first poll.
   */
  duration_s?: number;
  /** For `NEW`, `STATE` and `CLOSED` from a tracker: the connection's slot while it is open (not output). */
  slot?: OpenSlot;
}

/** The periodic summary scroll mode prints every 10 time units. */
export interface StatusEvent {
  event: "STATUS";
  timestamp: string;
  /** Rows with an open connection now (remote IPs when grouping by IP). */
  active_rows: number;
  /** Open connections now. */
  connections: number;
  /** Distinct rows seen since the start. */
  unique_rows: number;
  runtime_seconds: number;
  /** How long the recent polls took, in seconds (more than the time unit: the monitor cannot keep up). */
  poll_seconds?: number;
  /** `--traffic`: bytes every connection seen has sent and received, added up. */
  bytes_sent?: number;
  bytes_received?: number;
  /** `--traffic`: bytes per second over the last 10 polls (null at the first poll). */
  bytes_sent_per_second?: number | null;
  bytes_received_per_second?: number | null;
}

/** Any event the monitor reports. */
export type MonitorEvent = ConnectionEvent | StatusEvent;
