import { isoWithOffset, localDateTime } from "../model/timestamp.ts";
import type { AddressRecord, ConnectionRecord } from "../store/history_store.ts";
import type { AddressHistory } from "../store/history_queries.ts";
import { endpointText } from "./endpoint_text.ts";
import { safeJsonText, safeTerminalText } from "./terminal_text.ts";
import { csvText } from "./csv_text.ts";
import { plainTable, tableChunks, type TableColumn } from "./text_table.ts";
import { bytesText } from "./byte_units.ts";

/** One address with, for `conntrail history IP`, its connections and alerts. */
function when(ms: number | null): string {
  return ms === null ? "-" : localDateTime(new Date(ms));
}

function iso(ms: number | null): string | null {
  return ms === null ? null : isoWithOffset(new Date(ms));
}

function safe(text: string | null): string {
  return text === null ? "-" : safeTerminalText(text);
}

function asText(a: Pick<AddressRecord, "asn" | "as_org">): string {
  return a.asn === null ? "-" : `AS${a.asn}${a.as_org === null ? "" : ` ${safeTerminalText(a.as_org)}`}`;
}

function riskText(a: Pick<AddressRecord, "risk_level" | "abuse_score">): string {
  if (a.risk_level === null) return "-";
  return a.abuse_score === null ? a.risk_level : `${a.risk_level} (${a.abuse_score})`;
}

function listText(items: readonly string[]): string {
  return items.length === 0 ? "-" : items.map(safeTerminalText).join(", ");
}

/** When a connection opened, as text: `before …` when it was already open as the monitor started. */
function openedText(c: Pick<ConnectionRecord, "opened_at" | "open_at_start">): string {
  return c.open_at_start ? `before ${when(c.opened_at)}` : when(c.opened_at);
}

/**
 * A connection's times for JSON and CSV: `opened_at` is null when it is not
 * known, and `open_at_start` then says when the monitor found it open.
 */
function connectionTimes(c: ConnectionRecord) {
  return {
    opened_at: c.open_at_start ? null : iso(c.opened_at),
    open_at_start: c.open_at_start ? iso(c.opened_at) : null,
    closed_at: iso(c.closed_at),
  };
}

/** Whether any record has byte counters: the tables show SENT and RECEIVED only then. */
function hasBytes(records: readonly { bytes_sent: number | null; bytes_received: number | null }[]): boolean {
  return records.some((r) => r.bytes_sent !== null || r.bytes_received !== null);
}

function connectionRows(connections: readonly ConnectionRecord[], bytes: boolean): string[][] {
  return connections.map((c) => [
    openedText(c),
    c.closed_at === null ? "-" : when(c.closed_at),
    c.protocol,
    endpointText(c.local_ip, c.local_port),
    endpointText(c.remote_ip, c.remote_port),
    safe(c.domain ?? null),
    c.status,
    ...(bytes ? [bytesText(c.bytes_sent), bytesText(c.bytes_received)] : []),
    c.pid === null ? "-" : String(c.pid),
    safe(c.process_name),
    safe(c.user),
  ]);
}

/**
 * `conntrail history` as text: one row per address; for a single address
 * (`history IP`), what is known about it, then its connections and alerts.
 * Hostnames, organisations, list entries and process names are untrusted and
 * made safe for a terminal.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderHistoryTable } from "./history_report.ts";
 * const address = { ip: "8.8.8.8", first_seen: 0, last_seen: 0, times_seen: 3, hostname: "dns.google",
 *   country: "US", asn: 15169, as_org: "Google LLC", risk_level: null, abuse_score: null, last_scanned: null,
 *   lists: [], processes: ["curl"], bytes_sent: null, bytes_received: null };
 * match(renderHistoryTable([{ address }], 1), /8\.8\.8\.8 .* 3 +- +dns\.google +US +AS15169 Google LLC/);
 * ```
 */
export function renderHistoryTable(entries: readonly AddressHistory[], total: number): string {
  return [...historyTableChunks(entries, total)].join("");
}

const ADDRESS_TABLE: readonly TableColumn<AddressHistory>[] = [
  { head: "ADDRESS", cell: ({ address: a }) => a.ip },
  { head: "FIRST SEEN", cell: ({ address: a }) => when(a.first_seen) },
  { head: "LAST SEEN", cell: ({ address: a }) => when(a.last_seen) },
  { head: "SEEN", cell: ({ address: a }) => String(a.times_seen) },
  { head: "DOMAIN", cell: ({ address: a }) => safe(a.domain ?? null) },
  { head: "HOSTNAME", cell: ({ address: a }) => safe(a.hostname) },
  { head: "COUNTRY", cell: ({ address: a }) => safe(a.country) },
  { head: "AS", cell: ({ address: a }) => asText(a) },
  { head: "RISK", cell: ({ address: a }) => riskText(a) },
  { head: "LISTS", cell: ({ address: a }) => listText(a.lists) },
  { head: "PROCESSES", cell: ({ address: a }) => listText(a.processes) },
];

/** The address table with SENT and RECEIVED (before LISTS) when any address has byte counters. */
function addressTable(bytes: boolean): readonly TableColumn<AddressHistory>[] {
  if (!bytes) return ADDRESS_TABLE;
  const lists = ADDRESS_TABLE.findIndex((column) => column.head === "LISTS");
  return [
    ...ADDRESS_TABLE.slice(0, lists),
    { head: "SENT", cell: ({ address: a }) => bytesText(a.bytes_sent) },
    { head: "RECEIVED", cell: ({ address: a }) => bytesText(a.bytes_received) },
    ...ADDRESS_TABLE.slice(lists),
  ];
}

/**
 * {@linkcode renderHistoryTable} in chunks of whole lines, for writing as
 * they are rendered (`--limit 0` can list every address ever seen).
 */
export function* historyTableChunks(entries: readonly AddressHistory[], total: number): Generator<string> {
  if (entries.length === 1 && entries[0]?.connections !== undefined) {
    yield renderOneAddress(entries[0]);
    return;
  }
  yield* tableChunks(addressTable(hasBytes(entries.map((e) => e.address))), entries);
  if (total > entries.length) {
    yield `(${entries.length} of ${total} addresses shown; --limit 0 shows all)\n`;
  }
}

function renderOneAddress(entry: AddressHistory): string {
  const a = entry.address;
  const facts: [string, string][] = [
    ["address", a.ip],
    ["domain", safe(a.domain ?? null)],
    ["hostname", safe(a.hostname)],
    ["country", safe(a.country)],
    ["AS", asText(a)],
    ["first seen", when(a.first_seen)],
    ["last seen", when(a.last_seen)],
    ["times seen", String(a.times_seen)],
    ["risk", riskText(a)],
    ["last scanned", when(a.last_scanned)],
    ["lists", listText(a.lists)],
    ["processes", listText(a.processes)],
    ...(hasBytes([a])
      ? [["sent", bytesText(a.bytes_sent)], ["received", bytesText(a.bytes_received)]] as [
        string,
        string,
      ][]
      : []),
  ];
  const width = facts.reduce((max, [label]) => Math.max(max, label.length), 0);
  const lines = facts.map(([label, value]) => `${label.padEnd(width)}  ${safeTerminalText(value)}`);
  const connections = entry.connections ?? [];
  lines.push("", `connections (${connections.length}):`);
  if (connections.length > 0) {
    const bytes = hasBytes(connections);
    lines.push(
      plainTable(
        [
          "OPENED",
          "CLOSED",
          "PROTO",
          "LOCAL",
          "REMOTE",
          "DOMAIN",
          "STATUS",
          ...(bytes ? ["SENT", "RECEIVED"] : []),
          "PID",
          "PROCESS",
          "USER",
        ],
        connectionRows(connections, bytes),
      ),
    );
  }
  const alerts = entry.alerts ?? [];
  if (alerts.length > 0) {
    lines.push("", `alerts (${alerts.length}):`);
    lines.push(plainTable(
      ["AT", "PROCESS", "REASON"],
      alerts.map((
        x,
      ) => [when(x.at), `${safe(x.process_name)} (${x.pid ?? "-"})`, safeTerminalText(x.reason)]),
    ));
  }
  return lines.join("\n") + "\n";
}

function addressJson(a: AddressRecord) {
  return {
    ...a,
    first_seen: iso(a.first_seen),
    last_seen: iso(a.last_seen),
    last_scanned: iso(a.last_scanned),
  };
}

/** `conntrail history --format json`: `{ total, addresses }`, times as ISO 8601 with offset. */
export function renderHistoryJson(entries: readonly AddressHistory[], total: number): string {
  const addresses = entries.map((entry) => ({
    ...addressJson(entry.address),
    ...(entry.connections === undefined ? {} : {
      connections: entry.connections.map((c) => ({ ...c, ...connectionTimes(c) })),
    }),
    ...(entry.alerts === undefined ? {} : { alerts: entry.alerts.map((x) => ({ ...x, at: iso(x.at) })) }),
  }));
  return safeJsonText(JSON.stringify({ total, addresses }, null, 2)) + "\n";
}

const ADDRESS_COLUMNS = [
  "ip",
  "first_seen",
  "last_seen",
  "times_seen",
  "hostname",
  "country",
  "asn",
  "as_org",
  "risk_level",
  "abuse_score",
  "last_scanned",
  "lists",
  "processes",
  "domain",
  "bytes_sent",
  "bytes_received",
] as const;

const CONNECTION_COLUMNS = [
  "opened_at",
  "open_at_start",
  "closed_at",
  "protocol",
  "family",
  "local_ip",
  "local_port",
  "remote_ip",
  "remote_port",
  "status",
  "direction",
  "pid",
  "process_name",
  "process_path",
  "user",
  "domain",
  "bytes_sent",
  "bytes_received",
] as const;

function csv(columns: readonly string[], rows: unknown[][]): string {
  return csvText(rows, columns);
}

/**
 * `conntrail history --format csv`: one row per address (lists and processes
 * joined with `;`); for `history IP`, one row per connection of that address.
 * Cells are made safe for a terminal and a spreadsheet by {@linkcode csvText}.
 */
export function renderHistoryCsv(entries: readonly AddressHistory[]): string {
  const single = entries.length === 1 ? entries[0] : undefined;
  if (single?.connections !== undefined) {
    return csv(
      CONNECTION_COLUMNS,
      single.connections.map((c) => {
        const row = { ...c, ...connectionTimes(c) };
        return CONNECTION_COLUMNS.map((column) => row[column]);
      }),
    );
  }
  return csv(
    ADDRESS_COLUMNS,
    entries.map(({ address }) => {
      const row = {
        ...addressJson(address),
        lists: address.lists.join(";"),
        processes: address.processes.join(";"),
      };
      return ADDRESS_COLUMNS.map((column) => row[column]);
    }),
  );
}
