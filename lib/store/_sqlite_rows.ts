/**
 * The history database's rows as the model's records: an address, a connection, an alert, a saved snapshot's
 * connection. SQLite gives a column back as a number, a string, a bigint, bytes or null; each field is read as
 * the type the schema (`_sqlite_schema.ts`) writes there, `null` where it holds none.
 */
import type { SQLOutputValue } from "node:sqlite";
import type { Connection } from "../model/connection.ts";
import type { RiskLevel } from "../model/risk.ts";
import type { AddressRecord, AlertRecord, ConnectionRecord } from "./history_store.ts";

/** A row as `node:sqlite` reads it. */
export type Row = Record<string, SQLOutputValue>;

/**
 * A column as text (null: it holds none).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { num, text } from "./_sqlite_rows.ts";
 * deepStrictEqual([text(42), text(null), num("7"), num(undefined)], ["42", null, 7, null]);
 * ```
 */
export function text(value: SQLOutputValue | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** A column as a number (null: it holds none). */
export function num(value: SQLOutputValue | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** An address row (`a.*` with its bytes), with its matched lists and its processes. */
export function addressFromRow(row: Row, lists: string[], processes: string[]): AddressRecord {
  return {
    ip: String(row.ip),
    first_seen: Number(row.first_seen),
    last_seen: Number(row.last_seen),
    times_seen: Number(row.times_seen),
    hostname: text(row.hostname),
    country: text(row.country),
    asn: num(row.asn),
    as_org: text(row.as_org),
    domain: text(row.domain),
    risk_level: text(row.risk_level) as RiskLevel | null,
    abuse_score: num(row.abuse_score),
    last_scanned: num(row.last_scanned),
    lists,
    processes,
    bytes_sent: num(row.bytes_sent),
    bytes_received: num(row.bytes_received),
  };
}

/** A connection row. */
export function connectionFromRow(row: Row): ConnectionRecord {
  return {
    protocol: String(row.protocol) as ConnectionRecord["protocol"],
    family: Number(row.family) as ConnectionRecord["family"],
    local_ip: String(row.local_ip),
    local_port: Number(row.local_port),
    remote_ip: String(row.remote_ip),
    remote_port: num(row.remote_port),
    status: String(row.status),
    direction: String(row.direction) as ConnectionRecord["direction"],
    pid: num(row.pid),
    process_name: text(row.process_name),
    process_path: text(row.process_path),
    user: text(row.user),
    domain: text(row.domain),
    opened_at: Number(row.opened_at),
    open_at_start: Number(row.open_at_start) === 1,
    closed_at: num(row.closed_at),
    bytes_sent: num(row.bytes_sent),
    bytes_received: num(row.bytes_received),
  };
}

/** A saved snapshot's connection row. */
export function snapshotConnectionFromRow(row: Row): Connection {
  return {
    timestamp: String(row.timestamp),
    protocol: String(row.protocol) as Connection["protocol"],
    process_name: text(row.process_name),
    process_path: text(row.process_path),
    pid: num(row.pid),
    local_ip: String(row.local_ip),
    local_port: Number(row.local_port),
    remote_ip: text(row.remote_ip),
    remote_port: num(row.remote_port),
    status: String(row.status),
    family: Number(row.family) as Connection["family"],
    direction: String(row.direction) as Connection["direction"],
    user: text(row.user),
  };
}

/** An alert row. */
export function alertFromRow(row: Row): AlertRecord {
  return {
    at: Number(row.at),
    protocol: String(row.protocol) as AlertRecord["protocol"],
    remote_ip: String(row.remote_ip),
    remote_port: num(row.remote_port),
    pid: num(row.pid),
    process_name: text(row.process_name),
    reason: String(row.reason),
    blocklist: text(row.blocklist),
    risk_level: text(row.risk_level) as RiskLevel | null,
    abuse_score: num(row.abuse_score),
  };
}
