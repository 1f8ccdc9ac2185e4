import type { AddressInfo } from "../enrich/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { ConnectionEvent, MonitorEvent, StatusEvent } from "../model/monitor_event.ts";
import { rowAddress, servicePort } from "../model/direction.ts";
import { clockTime } from "../model/timestamp.ts";
import { type Color, paint } from "./ansi.ts";
import { endpointText } from "./endpoint_text.ts";
import { addressText, geoText, processText } from "./row_details.ts";
import { safeTerminalText } from "./terminal_text.ts";

const ARROWS: Record<Connection["direction"], string> = {
  outgoing: "→",
  incoming: "←",
  listening: "○",
  unknown: "?",
};

const EVENT_COLORS: Record<MonitorEvent["event"], Color> = {
  NEW: "green",
  CLOSED: "red",
  STATE: "yellow",
  ALERT: "red",
  STATUS: "grey",
};

function alertText(event: ConnectionEvent, info: AddressInfo, at: Date): string {
  const c = event.connection;
  const host = info.hostname ? ` (${safeTerminalText(info.hostname)})` : "";
  const name = c.process_name === null ? "unknown process" : safeTerminalText(c.process_name);
  const owner = [
    c.pid === null ? null : `PID ${c.pid}`,
    c.process_path === null ? null : safeTerminalText(c.process_path),
  ]
    .filter((part) => part !== null).join(", ");
  const reason = safeTerminalText(event.reason ?? "");
  // The time the connection was seen, which for an alert waiting on reputation is before the line's.
  const seen = new Date(c.timestamp);
  return `ALERT ${c.protocol} ${endpointText(c.remote_ip, c.remote_port)}${host} ${name}` +
    `${owner === "" ? "" : ` (${owner})`} ${reason} at ${
      clockTime(Number.isNaN(seen.getTime()) ? at : seen)
    }`;
}

/**
 * One scroll-mode line for an event, as the timeline monitor printed them and
 * with the process added:
 * `[14:30:16] NEW → dns.google (8.8.8.8) [US | AS15169 Google LLC] ESTABLISHED:443 firefox (4211)`.
 * Every untrusted string is made safe for a terminal.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { eventLine } from "./event_line.ts";
 * const connection = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2",
 *   local_port: 50000, remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 4211, process_name: "firefox", process_path: null, user: null };
 * const at = new Date(2026, 10, 21, 14, 30, 16);
 * deepStrictEqual(
 *   eventLine({ event: "NEW", connection }, { hostname: "dns.google", country: "US", asn: 15169, as_org: "Google LLC" }, at),
 *   "[14:30:16] NEW → dns.google (8.8.8.8) [US | AS15169 Google LLC] ESTABLISHED:443 firefox (4211)",
 * );
 * ```
 */
export function eventLine(event: ConnectionEvent, info: AddressInfo, at: Date, color = false): string {
  const time = `[${clockTime(at)}]`;
  if (event.event === "ALERT") return `${time} ${paint(alertText(event, info, at), "red", color)}`;
  const c = event.connection;
  const ip = rowAddress(c);
  const geo = geoText(info);
  // Statuses come from a tool's output (or a saved capture): as untrusted as a process name.
  const status = safeTerminalText(
    event.event === "STATE" ? `${event.previous_status}→${c.status}` : c.status,
  );
  const port = servicePort(c);
  return `${time} ${paint(event.event, EVENT_COLORS[event.event], color)} ${ARROWS[c.direction]} ` +
    `${addressText(ip, info.hostname)}${geo === "" ? "" : ` [${geo}]`} ${
      c.protocol === "UDP" ? "UDP " : ""
    }` +
    `${status}${port === null ? "" : `:${port}`} ${processText({ pid: c.pid, name: c.process_name })}`;
}

/**
 * The periodic status line: `[14:30:25] Status: 3 active IPs | Runtime: 10s`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { statusLine } from "./event_line.ts";
 * deepStrictEqual(statusLine({ event: "STATUS", timestamp: "", active_rows: 3, connections: 5, unique_rows: 4,
 *   runtime_seconds: 10 }, "IPs", new Date(2026, 10, 21, 14, 30, 25)),
 *   "[14:30:25] Status: 3 active IPs | 5 connections | 4 IPs seen | Runtime: 10s");
 * ```
 */
export function statusLine(event: StatusEvent, rowNoun: string, at: Date): string {
  return `[${
    clockTime(at)
  }] Status: ${event.active_rows} active ${rowNoun} | ${event.connections} connections | ` +
    `${event.unique_rows} ${rowNoun} seen | Runtime: ${event.runtime_seconds}s`;
}

/**
 * An event as one NDJSON object: `event` first, then the SPEC connection
 * fields, then what enrichment knows, `previous_status` and `reason`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { eventJson } from "./event_line.ts";
 * const connection = { timestamp: "t", protocol: "UDP" as const, family: 4 as const, local_ip: "0.0.0.0",
 *   local_port: 53, remote_ip: null, remote_port: null, status: "UNCONNECTED", direction: "listening" as const,
 *   pid: null, process_name: null, process_path: null, user: null };
 * deepStrictEqual(Object.keys(JSON.parse(eventJson({ event: "NEW", connection }, {})))[0], "event");
 * ```
 */
export function eventJson(event: MonitorEvent, info: AddressInfo): string {
  if (event.event === "STATUS") return JSON.stringify(event);
  const record: Record<string, unknown> = { event: event.event, ...event.connection, ...info };
  if (event.previous_status !== undefined) record.previous_status = event.previous_status;
  if (event.reason !== undefined) record.reason = event.reason;
  if (event.details !== undefined) Object.assign(record, event.details);
  return JSON.stringify(record);
}
