/**
 * The one interface every history back end implements (`sqlite_store.ts`,
 * `json_store.ts`, `memory_store.ts`); tests/store/history_store_contract_test.ts
 * runs the same suite against each.
 *
 * Times are milliseconds since the epoch. History keeps connections that have
 * a remote address: what the machine talked to, not what it listened on.
 *
 * @module
 */
import type { AddressInfo } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { AlertDetails, OpenSlot } from "../model/monitor_event.ts";
import type { Reputation, RiskLevel } from "../model/risk.ts";

/**
 * Something the monitor saw, as history records it. `slot`: the connection's {@linkcode OpenSlot}, the same
 * object for every event of one open connection (a tracker's); a store may keep its record's id there instead
 * of finding it by the connection's key. Events without one are found by key.
 */
export type HistoryEvent =
  /**
   * A connection appeared; `info` is what enrichment knew about its remote address then. `atStart`:
   * it was already open at the monitor's first poll, so when it opened is not known (`at` is when it
   * was first seen); a store continues the record an earlier run left open for the same socket.
   */
  | {
    kind: "opened";
    at: number;
    connection: Connection;
    info: AddressInfo;
    atStart?: boolean;
    slot?: OpenSlot;
  }
  /** Its status changed. */
  | { kind: "status"; at: number; connection: Connection; slot?: OpenSlot }
  /** A later poll named the process of a connection opened without one: pid, name, path and user fill in. */
  | { kind: "owner"; at: number; connection: Connection; slot?: OpenSlot }
  /** It closed; `info` may know more by now (a name that resolved late). */
  | { kind: "closed"; at: number; connection: Connection; info: AddressInfo; slot?: OpenSlot }
  /** Still open when the monitor stopped: the address was seen until `at`. */
  | { kind: "seen"; at: number; connection: Connection; slot?: OpenSlot }
  | { kind: "alert"; at: number; connection: Connection; reason: string; details: AlertDetails }
  | { kind: "reputation"; ip: string; reputation: Reputation };

/** What history knows about one remote address. */
export interface AddressRecord {
  ip: string;
  first_seen: number;
  last_seen: number;
  /** Connections opened to it. */
  times_seen: number;
  hostname: string | null;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  /** The last name a program asked for to reach it (from DNS answers, `--sniff-dns`). */
  domain?: string | null;
  risk_level: RiskLevel | null;
  abuse_score: number | null;
  last_scanned: number | null;
  /** The list entries it matched (`ips.txt:12 203.0.113.0/24`), in the order first matched. */
  lists: string[];
  /** Names of the processes that talked to it, sorted. */
  processes: string[];
  /**
   * Bytes its connections sent and received, added up (`--traffic`); null when
   * none of them had counters. A connection open across two runs is two
   * records, and the bytes before the second run's start are in both.
   */
  bytes_sent: number | null;
  bytes_received: number | null;
}

/** One connection as history keeps it. */
export interface ConnectionRecord {
  protocol: Connection["protocol"];
  family: Connection["family"];
  local_ip: string;
  local_port: number;
  remote_ip: string;
  remote_port: number | null;
  /** The last status seen. */
  status: string;
  direction: Connection["direction"];
  pid: number | null;
  process_name: string | null;
  process_path: string | null;
  user: string | null;
  /** The name the program asked for (from DNS answers, `--sniff-dns`); null when unknown. */
  domain?: string | null;
  /** When it opened; when `open_at_start`, when the monitor first saw it (it opened before then). */
  opened_at: number;
  /**
   * It was already open when the monitor that first saw it started: its opening time is not known
   * (reports say "before `opened_at`", never that it opened then).
   */
  open_at_start: boolean;
  /** Null while open, or when the monitor stopped before it closed. */
  closed_at: number | null;
  /** The kernel's byte counters when last read (`--traffic`); null when unknown. */
  bytes_sent: number | null;
  bytes_received: number | null;
}

/** One alert the monitor raised. */
export interface AlertRecord {
  at: number;
  protocol: Connection["protocol"];
  remote_ip: string;
  remote_port: number | null;
  pid: number | null;
  process_name: string | null;
  reason: string;
  blocklist: string | null;
  risk_level: RiskLevel | null;
  abuse_score: number | null;
}

/** A saved snapshot, without its connections. */
export interface SnapshotInfo {
  id: number;
  taken_at: number;
  connections: number;
}

/** Which addresses `conntrail history` lists. */
export interface AddressQuery {
  /** Only this address. */
  ip?: string;
  /** Only addresses seen at or after this time. */
  since?: number;
  /** Only this level; `UNKNOWN` also matches addresses never scanned. */
  risk?: RiskLevel;
  /** Only addresses a process whose name contains this (any case) talked to. */
  process?: string;
  /** At most this many (default: all). */
  limit?: number;
  /** `recent` (default): most recently seen first; `bytes`: most bytes sent and received first. */
  sort?: AddressOrder;
}

/** How `conntrail history` orders addresses. */
export const ADDRESS_ORDERS = ["recent", "bytes"] as const;

/** A value of {@linkcode ADDRESS_ORDERS}. */
export type AddressOrder = typeof ADDRESS_ORDERS[number];

/** What a prune removed. */
export interface PruneCounts {
  addresses: number;
  connections: number;
  alerts: number;
  snapshots: number;
}

/** A history back end. Every method may throw when the storage fails (a full disk, a lost file). */
export interface HistoryStore {
  /** Where the history lives, for messages: `sqlite /path/history.db`. */
  readonly location: string;
  /** Record a batch of events in one step: all of it is kept, or (on failure) none of it. */
  record(events: readonly HistoryEvent[]): Promise<void>;
  /** Every reputation answer kept, for AbuseIPDB's cache. */
  reputations(): Promise<[string, Reputation][]>;
  /** Matching addresses in the query's order, and how many matched in all. */
  addresses(query: AddressQuery): Promise<{ rows: AddressRecord[]; total: number }>;
  /** An address's connections, most recently opened first. */
  connections(ip: string, limit?: number): Promise<ConnectionRecord[]>;
  /** Alerts, newest first; only an address's when `ip` is given. */
  alerts(options?: { ip?: string; since?: number; limit?: number }): Promise<AlertRecord[]>;
  /** Save the connections of a snapshot; its id grows with every save. */
  saveSnapshot(takenAt: number, connections: readonly Connection[]): Promise<SnapshotInfo>;
  /** Every saved snapshot, oldest first. */
  snapshots(): Promise<SnapshotInfo[]>;
  /** A saved snapshot's connections, or null when there is no such id. */
  snapshot(id: number): Promise<Connection[] | null>;
  /**
   * Forget addresses last seen before `before` with all their connections, and
   * connections closed, alerts raised and snapshots taken before it.
   */
  prune(before: number): Promise<PruneCounts>;
  close(): Promise<void>;
}

/**
 * Whether a record left open by an earlier run is the same socket as a
 * connection found open at a monitor's start: same protocol and endpoints,
 * and the same process where both know it.
 */
export function continuesRecord(record: ConnectionRecord, c: Connection): boolean {
  return record.closed_at === null && record.protocol === c.protocol && record.local_ip === c.local_ip &&
    record.local_port === c.local_port && record.remote_ip === c.remote_ip &&
    record.remote_port === c.remote_port && (record.pid === null || c.pid === null || record.pid === c.pid);
}

/** The connection fields history keeps, from a live connection with a remote address. */
export function connectionRecord(c: Connection, openedAt: number, openAtStart = false): ConnectionRecord {
  return {
    protocol: c.protocol,
    family: c.family,
    local_ip: c.local_ip,
    local_port: c.local_port,
    remote_ip: c.remote_ip ?? "",
    remote_port: c.remote_port,
    status: c.status,
    direction: c.direction,
    pid: c.pid,
    process_name: c.process_name,
    process_path: c.process_path,
    user: c.user,
    domain: c.domain ?? null,
    opened_at: openedAt,
    open_at_start: openAtStart,
    closed_at: null,
    bytes_sent: c.bytes_sent ?? null,
    bytes_received: c.bytes_received ?? null,
  };
}

/**
 * Add a connection's bytes to an address's sums, where both are known: a
 * sum stays null until some connection has counters.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { addBytes } from "./history_store.ts";
 * deepStrictEqual(addBytes(null, 10), 10);
 * deepStrictEqual(addBytes(5, null), 5);
 * deepStrictEqual(addBytes(null, null), null);
 * ```
 */
export function addBytes(sum: number | null, bytes: number | null): number | null {
  return bytes === null ? sum : (sum ?? 0) + bytes;
}

/**
 * Order addresses as a query asks: most recently seen first, or most bytes
 * (sent and received) first with the most recent first among equals; the
 * address breaks ties.
 */
export function compareAddresses(order: AddressOrder = "recent") {
  const total = (a: AddressRecord) => (a.bytes_sent ?? 0) + (a.bytes_received ?? 0);
  return (a: AddressRecord, b: AddressRecord): number =>
    (order === "bytes" ? total(b) - total(a) : 0) || b.last_seen - a.last_seen ||
    (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
}
