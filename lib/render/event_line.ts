import type { AddressInfo } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { ConnectionEvent, MonitorEvent, StatusEvent } from "../model/monitor_event.ts";
import { rowAddress, servicePort } from "../model/direction.ts";
import { clockTime } from "../model/timestamp.ts";
import { type Color, paint } from "./ansi.ts";
import { endpointText } from "./endpoint_text.ts";
import { elapsedText } from "./elapsed_text.ts";
import { intervalText } from "./interval_text.ts";
import { addressText, geoText, peerName, processText } from "./row_details.ts";
import { safeJsonText, safeTerminalText } from "./terminal_text.ts";
import { bytesText, rateText } from "./byte_units.ts";

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

/**
 * An alert as one line without the time prefix:
 * `ALERT TCP 203.0.113.7:443 (bad.example) curl (PID 4242, /usr/bin/curl) blocklist ips.txt:12 203.0.113.0/24 at 14:30:16`,
 * for scroll mode and the exit summary. Every untrusted string is made safe for a terminal.
 */
export function alertText(event: ConnectionEvent, info: AddressInfo, at: Date): string {
  const c = event.connection;
  const peer = c.domain || peerName(info);
  const host = peer ? ` (${safeTerminalText(peer)})` : "";
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
 * The port that tells a connection apart from others between the same two
 * places: the local port of a connection this machine opened, the peer's port
 * of one it accepted; null for a socket with no peer.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { clientPort } from "./event_line.ts";
 * deepStrictEqual(clientPort({ direction: "outgoing", local_port: 50000, remote_ip: "8.8.8.8", remote_port: 443 }), 50000);
 * deepStrictEqual(clientPort({ direction: "incoming", local_port: 22, remote_ip: "10.0.0.9", remote_port: 51234 }), 51234);
 * ```
 */
export function clientPort(
  c: Pick<Connection, "direction" | "local_port" | "remote_ip" | "remote_port">,
): number | null {
  if (c.direction === "listening" || c.remote_ip === null) return null;
  return c.direction === "outgoing" ? c.local_port : c.remote_port;
}

/**
 * One scroll-mode line for an event, as the timeline monitor printed them,
 * with the process added and the port that tells the connection apart
 * (`from :PORT`, see {@linkcode clientPort}); `CLOSED` says how long the
 * connection lasted:
 * `[14:30:16] NEW → dns.google (8.8.8.8) [US | AS15169 Google LLC] ESTABLISHED:443 firefox (4211) from :50000`.
 * The name is the domain the connection asked for when DNS answers told it
 * (`--sniff-dns`), else the reverse-DNS name. Every untrusted string is made
 * safe for a terminal.
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
 *   "[14:30:16] NEW → dns.google (8.8.8.8) [US | AS15169 Google LLC] ESTABLISHED:443 firefox (4211) from :50000",
 * );
 * deepStrictEqual(
 *   eventLine({ event: "CLOSED", connection, duration_s: 72 }, {}, at),
 *   "[14:30:16] CLOSED → 8.8.8.8 ESTABLISHED:443 firefox (4211) from :50000 after 1m 12s",
 * );
 * deepStrictEqual(
 *   eventLine({ event: "NEW", connection: { ...connection, domain: "\x1b[2Japi.example.com" } }, { hostname: "dns.google" }, at),
 *   "[14:30:16] NEW → \\x1b[2Japi.example.com (8.8.8.8) ESTABLISHED:443 firefox (4211) from :50000",
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
  const from = clientPort(c);
  const lasted = event.event === "CLOSED" && event.duration_s !== undefined
    ? ` after ${elapsedText(event.duration_s)}`
    : "";
  return `${time} ${paint(event.event, EVENT_COLORS[event.event], color)} ${ARROWS[c.direction]} ` +
    `${addressText(ip, ip === c.remote_ip ? c.domain || peerName(info) : peerName(info))}${
      geo === "" ? "" : ` [${geo}]`
    } ${c.protocol === "UDP" ? "UDP " : ""}` +
    `${status}${port === null ? "" : `:${port}`} ${processText({ pid: c.pid, name: c.process_name })}` +
    `${from === null ? "" : ` from :${from}`}${lasted}` + trafficSuffix(event);
}

/** ` sent 40.0 MiB, received 97.7 KiB` after a closing event whose counters are known (`--traffic`). */
function trafficSuffix(event: ConnectionEvent): string {
  const c = event.connection;
  const closing = event.event === "CLOSED" || (event.event === "STATE" && c.status === "TIME_WAIT");
  if (!closing || c.bytes_sent == null || c.bytes_received == null) return "";
  return ` sent ${bytesText(c.bytes_sent)}, received ${bytesText(c.bytes_received)}`;
}

/**
 * The periodic status line: `[14:30:25] Status: 3 active IPs | … | Runtime: 10s`,
 * and when polls take longer than the time unit, how long they take.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { statusLine } from "./event_line.ts";
 * deepStrictEqual(statusLine({ event: "STATUS", timestamp: "", active_rows: 3, connections: 5, unique_rows: 4,
 *   runtime_seconds: 10 }, "IPs", new Date(2026, 10, 21, 14, 30, 25)),
 *   "[14:30:25] Status: 3 active IPs | 5 connections | 4 IPs seen | Runtime: 10s");
 * deepStrictEqual(statusLine({ event: "STATUS", timestamp: "", active_rows: 3, connections: 5, unique_rows: 4,
 *   runtime_seconds: 10, poll_seconds: 1.4 }, "IPs", new Date(2026, 10, 21, 14, 30, 25), 1),
 *   "[14:30:25] Status: 3 active IPs | 5 connections | 4 IPs seen | Runtime: 10s | Interval: 1s (polls take 1.4s)");
 * deepStrictEqual(statusLine({ event: "STATUS", timestamp: "", active_rows: 1, connections: 1, unique_rows: 1,
 *   runtime_seconds: 10, bytes_sent: 2048, bytes_received: 0, bytes_sent_per_second: 100,
 *   bytes_received_per_second: 0 }, "IPs", new Date(2026, 10, 21, 14, 30, 25)),
 *   "[14:30:25] Status: 1 active IPs | 1 connections | 1 IPs seen | Sent 2.00 KiB (100 B/s), " +
 *   "received 0 B (0 B/s) | Runtime: 10s");
 * ```
 */
export function statusLine(event: StatusEvent, rowNoun: string, at: Date, timeUnitSeconds?: number): string {
  const slow = timeUnitSeconds !== undefined && event.poll_seconds !== undefined &&
    event.poll_seconds > timeUnitSeconds;
  const traffic = event.bytes_sent === undefined || event.bytes_received === undefined
    ? ""
    : ` | Sent ${bytesText(event.bytes_sent)} (${rateText(event.bytes_sent_per_second)}), received ${
      bytesText(event.bytes_received)
    } (${rateText(event.bytes_received_per_second)})`;
  return `[${
    clockTime(at)
  }] Status: ${event.active_rows} active ${rowNoun} | ${event.connections} connections | ` +
    `${event.unique_rows} ${rowNoun} seen${traffic} | Runtime: ${event.runtime_seconds}s` +
    (slow ? ` | ${intervalText(timeUnitSeconds, event.poll_seconds ?? null)}` : "");
}

/**
 * An event as one NDJSON object: `event` first, then the SPEC connection
 * fields, then what enrichment knows, `previous_status` and `reason`.
 * `domain` is the connection's own (the name it asked for), present when
 * DNS answers are read (`--sniff-dns`), null when none named its address.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { eventJson } from "./event_line.ts";
 * const connection = { timestamp: "t", protocol: "UDP" as const, family: 4 as const, local_ip: "0.0.0.0",
 *   local_port: 53, remote_ip: null, remote_port: null, status: "UNCONNECTED", direction: "listening" as const,
 *   pid: null, process_name: null, process_path: null, user: null };
 * deepStrictEqual(Object.keys(JSON.parse(eventJson({ event: "NEW", connection }, {})))[0], "event");
 * const named = { ...connection, remote_ip: "203.0.113.7", remote_port: 443, domain: "api.example.com" };
 * deepStrictEqual(JSON.parse(eventJson({ event: "NEW", connection: named }, { domain: "other.example" })).domain,
 *   "api.example.com");
 * ```
 */
export function eventJson(event: MonitorEvent, info: AddressInfo): string {
  if (event.event === "STATUS") return safeJsonText(JSON.stringify(event));
  const { domain: _addressDomain, ...known } = info;
  const record: Record<string, unknown> = { event: event.event, ...event.connection, ...known };
  if (event.connection.domain !== undefined) record.domain = event.connection.domain;
  if (event.previous_status !== undefined) record.previous_status = event.previous_status;
  if (event.reason !== undefined) record.reason = event.reason;
  if (event.details !== undefined) Object.assign(record, event.details);
  if (event.duration_s !== undefined) record.duration_s = event.duration_s;
  return safeJsonText(JSON.stringify(record));
}
