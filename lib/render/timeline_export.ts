import type { DescribeAddress } from "../model/address_info.ts";
import { CELL_NAMES, CELL_SYMBOLS } from "../model/timeline.ts";
import type { TrackedRow } from "../model/tracked_row.ts";
import type { EvictedRow, TimelineView } from "../model/timeline_view.ts";
import { compareText } from "../model/text_order.ts";
import { clockTime, isoWithOffset } from "../model/timestamp.ts";
import { addressText, geoText, peerName, portsText, processText } from "./row_details.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { bytesText } from "./byte_units.ts";

/** What the export says about the run beyond the tracker's rows. */
export interface TimelineExportOptions {
  generated: Date;
  timeUnitSeconds: number;
  groupBy: string;
  describe: DescribeAddress;
  /** Attribution lines of the data sources in use. */
  attribution: readonly string[];
}

/** The widest timeline line in an export; longer runs put several time units in one character. */
export const EXPORT_TIMELINE_MAX = 1000;

/** Share as a percentage with one decimal, rounded down so it never reads as more than it is. */
export function percentText(active: number, total: number): string {
  return total <= 0 ? "0.0" : (Math.floor((active * 1000) / total) / 10).toFixed(1);
}

/**
 * A row's whole timeline from its present spans: `▲` where a span starts, `■`
 * (or `○` for listening rows) while it lasts, `×` just after it ends, `·`
 * otherwise; `perChar` time units in one character.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { fullTimeline } from "./timeline_export.ts";
 * deepStrictEqual(fullTimeline([[2, 4], [7, 7]], 10, false, 1), "··▲■■×·▲×·");
 * deepStrictEqual(fullTimeline([[0, 9]], 10, true, 2), "○○○○○");
 * ```
 */
export function fullTimeline(
  spans: readonly [number, number][],
  totalColumns: number,
  listening: boolean,
  perChar: number,
): string {
  const length = Math.ceil(totalColumns / perChar);
  const cells = new Array<string>(length).fill(CELL_SYMBOLS[0] ?? "·");
  const present = listening ? CELL_SYMBOLS[3] ?? "○" : CELL_SYMBOLS[2] ?? "■";
  for (const [start, end] of spans) {
    for (let k = Math.floor(start / perChar); k <= Math.floor(end / perChar) && k < length; k++) {
      cells[k] = present;
    }
    const closedAt = Math.floor((end + 1) / perChar);
    if (end + 1 < totalColumns && cells[closedAt] === CELL_SYMBOLS[0]) {
      cells[closedAt] = CELL_SYMBOLS[4] ?? "×";
    }
  }
  if (!listening) {
    for (const [start] of spans) cells[Math.floor(start / perChar)] = CELL_SYMBOLS[1] ?? "▲";
  }
  return cells.join("");
}

function rowBlock(
  row: TrackedRow,
  tracker: TimelineView,
  perChar: number,
  options: TimelineExportOptions,
): string[] {
  const info = row.ip === null ? {} : options.describe(row.ip);
  const label = row.ip !== null && options.groupBy === "ip" && !row.listening
    ? addressText(row.ip, peerName(info))
    : safeTerminalText(row.label);
  const total = tracker.totalColumns;
  const details = [
    `First seen: ${isoWithOffset(row.firstSeen)}`,
    `Last seen: ${isoWithOffset(row.lastSeen)}`,
    `Activity: ${percentText(row.activeColumns, total)}% (${row.activeColumns}/${total} units)`,
    `Ports: ${portsText(row.ports, row.morePorts, 10) || "-"}`,
    ...(info.domain ? [`Domain: ${safeTerminalText(info.domain)}`] : []),
    `Country: ${info.country ? safeTerminalText(info.country) : "-"}`,
    `ASN: ${geoText({ asn: info.asn, as_org: info.as_org }) || "-"}`,
    `Processes: ${row.processes.map(processText).join(", ") || "-"}${
      row.moreProcesses ? ` +${row.moreProcesses}` : ""
    }`,
    ...(row.traffic === null
      ? []
      : [`Sent: ${bytesText(row.traffic.sent)} | Received: ${bytesText(row.traffic.received)}`]),
  ];
  return [
    label,
    `  ${fullTimeline(row.timeline.spans(), total, row.listening, perChar)}`,
    `  ${details.join(" | ")}`,
    "",
  ];
}

/**
 * The timeline export `-o FILE` writes on exit: a header (generated, runtime,
 * time unit, columns, data attribution), the legend, every row in memory with
 * its whole timeline, first seen, activity, ports, country and ASN (and bytes
 * sent and received with `--traffic`), then statistics, the ten most active
 * rows, and with `--traffic` the machine's bytes and the ten rows that moved
 * the most.
 */
export function renderTimelineExport(tracker: TimelineView, options: TimelineExportOptions): string {
  const total = tracker.totalColumns;
  const perChar = Math.max(1, Math.ceil(total / EXPORT_TIMELINE_MAX));
  const started = tracker.startedAt ?? options.generated;
  const ended = tracker.lastPollAt ?? options.generated;
  const runtime = Math.round((ended.getTime() - started.getTime()) / 1000);
  const rows = [...tracker.rows()].sort((a, b) =>
    a.firstColumn - b.firstColumn || compareText(a.label, b.label)
  );
  const lines = [
    "# conntrail timeline export",
    `Generated: ${isoWithOffset(options.generated)}`,
    `Runtime: ${runtime}s (${clockTime(started)} to ${clockTime(ended)})`,
    `Time unit: ${options.timeUnitSeconds}s | Columns: ${total}` +
    (perChar > 1 ? ` | 1 character = ${perChar} time units` : ""),
    `Grouped by: ${options.groupBy}`,
    `Data: ${options.attribution.length > 0 ? options.attribution.join("; ") : "no geolocation data in use"}`,
    "",
    `Legend: ${[1, 2, 3, 4, 0].map((i) => `${CELL_SYMBOLS[i]} ${CELL_NAMES[i]}`).join("  ")}`,
    "",
  ];
  for (const row of rows) lines.push(...rowBlock(row, tracker, perChar, options));
  const ranked: { label: string; activeColumns: number }[] = [
    ...rows.map((row) => ({
      label: row.ip !== null && options.groupBy === "ip" && !row.listening
        ? row.ip
        : safeTerminalText(row.label),
      activeColumns: row.activeColumns,
    })),
    ...tracker.evictedRows().map((row: EvictedRow) => ({
      label: safeTerminalText(row.label),
      activeColumns: row.activeColumns,
    })),
  ].sort((a, b) => b.activeColumns - a.activeColumns).slice(0, 10);
  const shares = rows.map((row) => row.activeColumns / Math.max(1, total));
  const average = shares.length === 0 ? 0 : shares.reduce((a, b) => a + b, 0) / shares.length;
  lines.push(
    "Statistics",
    `  Unique rows: ${tracker.uniqueRowCount}`,
    `  Listed above: ${rows.length}` +
      (tracker.evictedCount > 0
        ? ` (${tracker.evictedCount} closed rows were dropped from memory to bound it)`
        : ""),
    `  Active at the end: ${tracker.activeRowCount} rows, ${tracker.openConnectionCount} connections`,
    `  Average activity of the rows listed: ${(average * 100).toFixed(1)}%`,
    "",
    "Top 10 most active",
    ...ranked.map((r, i) =>
      `  ${String(i + 1).padStart(2)}. ${r.label}  ${
        percentText(r.activeColumns, total)
      }% (${r.activeColumns}/${total} units)`
    ),
    "",
  );
  const traffic = tracker.traffic;
  if (traffic !== null) {
    const heaviest = rows.filter((row) => row.traffic !== null && row.traffic.sent + row.traffic.received > 0)
      .sort((a, b) =>
        (b.traffic?.sent ?? 0) + (b.traffic?.received ?? 0) - (a.traffic?.sent ?? 0) -
        (a.traffic?.received ?? 0)
      ).slice(0, 10);
    lines.push(
      "Traffic (bytes in the connections' kernel counters)",
      `  Sent: ${bytesText(traffic.machine.sent)} (${traffic.machine.sent} B) | Received: ${
        bytesText(traffic.machine.received)
      } (${traffic.machine.received} B)`,
      "",
      "Top 10 by bytes",
      ...heaviest.map((row, i) =>
        `  ${String(i + 1).padStart(2)}. ${
          row.ip !== null && options.groupBy === "ip" && !row.listening ? row.ip : safeTerminalText(row.label)
        }  sent ${bytesText(row.traffic?.sent)}, received ${bytesText(row.traffic?.received)}`
      ),
      "",
    );
  }
  return lines.join("\n");
}
