import type { AddressInfo } from "../model/address_info.ts";
import { CONNECTION_FIELDS, TRAFFIC_FIELDS } from "../model/connection.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";
import { endpointText } from "./endpoint_text.ts";
import { eventJson } from "./event_line.ts";
import { geoText } from "./row_details.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { csvText } from "./csv_text.ts";
import type { LogFormat } from "./log_formats.ts";

export type { LogFormat } from "./log_formats.ts";

/**
 * The CSV columns of a log: the logger's, then conntrail's, the byte counters
 * (empty without `--traffic`), then the event and the enrichment, then `domain`.
 */
export const LOG_CSV_COLUMNS: readonly string[] = [
  ...CONNECTION_FIELDS,
  ...TRAFFIC_FIELDS,
  "event",
  "hostname",
  "country",
  "asn",
  "as_org",
  "duration_s",
  "domain",
];

function textOrNull(value: string | number | null): string {
  return value === null ? "null" : safeTerminalText(String(value));
}

/** The first line of a new log file, if the format has one. */
export function logHeader(format: LogFormat): string {
  return format === "csv" ? csvText([], LOG_CSV_COLUMNS) : "";
}

/**
 * One event as a log record in a format, ending in a newline. TXT follows the
 * outgoing-connection logger's line with the event, status and path added
 * (and the byte counters with `--traffic`); unknown process details and
 * counters are written `null`, never guessed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { logRecord } from "./log_records.ts";
 * const connection = { timestamp: "2026-11-21T14:30:16.000+00:00", protocol: "TCP" as const, family: 4 as const,
 *   local_ip: "10.0.0.2", local_port: 50000, remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED",
 *   direction: "outgoing" as const, pid: null, process_name: null, process_path: null, user: null };
 * deepStrictEqual(logRecord({ event: "NEW", connection }, {}, "txt"),
 *   "[2026-11-21T14:30:16.000+00:00] NEW TCP | Process: null (PID: null) | Path: null | " +
 *   "Local: 10.0.0.2:50000 | Remote: 8.8.8.8:443 | Status: ESTABLISHED\n");
 * deepStrictEqual(logRecord({ event: "NEW", connection: { ...connection, process_name: "=cmd()" } }, {}, "csv")
 *   .includes(",'=cmd(),"), true);
 * deepStrictEqual(logRecord({ event: "NEW", connection: { ...connection, domain: "=api.example" } }, {}, "csv")
 *   .trim().endsWith(",'=api.example"), true);
 * deepStrictEqual(logRecord({ event: "CLOSED", connection: { ...connection, bytes_sent: 4096, bytes_received: null } },
 *   {}, "txt").endsWith("Status: ESTABLISHED | Bytes sent: 4096 | Bytes received: null\n"), true);
 * ```
 */
export function logRecord(event: ConnectionEvent, info: AddressInfo, format: LogFormat): string {
  const c = event.connection;
  switch (format) {
    case "txt":
      return `[${c.timestamp}] ${event.event} ${c.protocol} | Process: ${textOrNull(c.process_name)} ` +
        `(PID: ${textOrNull(c.pid)}) | Path: ${textOrNull(c.process_path)} | ` +
        `Local: ${endpointText(c.local_ip, c.local_port)} | Remote: ${
          endpointText(c.remote_ip, c.remote_port)
        } | ` +
        `Status: ${safeTerminalText(c.status)}` +
        (c.domain ? ` | Domain: ${safeTerminalText(c.domain)}` : "") +
        (c.bytes_sent === undefined ? "" : ` | Bytes sent: ${textOrNull(c.bytes_sent)}`) +
        (c.bytes_received === undefined ? "" : ` | Bytes received: ${textOrNull(c.bytes_received)}`) +
        (info.hostname ? ` | Host: ${safeTerminalText(info.hostname)}` : "") +
        (info.country ? ` | Country: ${safeTerminalText(info.country)}` : "") +
        (info.asn ? ` | ASN: ${geoText({ asn: info.asn, as_org: info.as_org ?? null })}` : "") +
        (event.reason === undefined ? "" : ` | Reason: ${safeTerminalText(event.reason)}`) +
        (event.duration_s === undefined ? "" : ` | Duration: ${event.duration_s}s`) + "\n";
    case "csv":
      return csvText([[
        ...CONNECTION_FIELDS.map((field) => c[field]),
        ...TRAFFIC_FIELDS.map((field) => c[field] ?? null),
        event.event,
        info.hostname ?? null,
        info.country ?? null,
        info.asn ?? null,
        info.as_org ?? null,
        event.duration_s ?? null,
        c.domain ?? null,
      ]]);
    case "json":
      return eventJson(event, info) + "\n";
  }
}
