import type { TimelineView } from "../model/timeline_view.ts";
import { compareText } from "../model/text_order.ts";
import { fileTimestamp, isoWithOffset } from "../model/timestamp.ts";
import { percentText } from "./timeline_export.ts";

/** An IP whose activity reached the threshold. */
export interface FrequentIp {
  ip: string;
  activeColumns: number;
}

/**
 * The file name `--save-threshold PCT` writes: `frequent_ips_<PCT>pct_<YYYYmmdd_HHMMSS>.txt`,
 * with the threshold as the user gave it (`50`, not `50.0`).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { frequentIpsFileName } from "./frequent_ips.ts";
 * deepStrictEqual(frequentIpsFileName(50, new Date(2026, 10, 21, 14, 30, 22)), "frequent_ips_50pct_20261121_143022.txt");
 * deepStrictEqual(frequentIpsFileName(12.5, new Date(2026, 10, 21, 14, 30, 22)), "frequent_ips_12.5pct_20261121_143022.txt");
 * ```
 */
export function frequentIpsFileName(thresholdPct: number, at: Date): string {
  return `frequent_ips_${thresholdPct}pct_${fileTimestamp(at)}.txt`;
}

/**
 * The remote IPs present in at least `thresholdPct` percent of the time units
 * observed since the start (the same share the export prints), most active
 * first. Rows dropped from memory count too.
 */
export function frequentIps(tracker: TimelineView, thresholdPct: number): FrequentIp[] {
  const total = tracker.totalColumns;
  const reached = (active: number) => total > 0 && active * 100 >= thresholdPct * total;
  const out: FrequentIp[] = [];
  for (const row of tracker.rows()) {
    if (row.ip !== null && !row.listening && reached(row.activeColumns)) {
      out.push({ ip: row.ip, activeColumns: row.activeColumns });
    }
  }
  for (const row of tracker.evictedRows()) {
    if (row.ip !== null && reached(row.activeColumns) && !out.some((f) => f.ip === row.ip)) {
      out.push({ ip: row.ip, activeColumns: row.activeColumns });
    }
  }
  return out.sort((a, b) => b.activeColumns - a.activeColumns || compareText(a.ip, b.ip));
}

/**
 * The frequent-IP file: a `#` header (generated, threshold, total time,
 * count), then one IP a line with its share as a comment, so that
 * `--filter-file` reads it back.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renderFrequentIps } from "./frequent_ips.ts";
 * const text = renderFrequentIps([{ ip: "8.8.8.8", activeColumns: 291 }],
 *   { thresholdPct: 50, totalColumns: 300, timeUnitSeconds: 1, generated: new Date(0) });
 * deepStrictEqual(text.split("\n").at(-2), "8.8.8.8  # 97.0% connected (291/300 time units)");
 * ```
 */
export function renderFrequentIps(
  ips: readonly FrequentIp[],
  run: { thresholdPct: number; totalColumns: number; timeUnitSeconds: number; generated: Date },
): string {
  const lines = [
    "# conntrail frequent IPs",
    `# Generated: ${isoWithOffset(run.generated)}`,
    `# Threshold: present in at least ${run.thresholdPct}% of the time units observed since the start`,
    `# Total time: ${run.totalColumns} time units of ${run.timeUnitSeconds}s ` +
    `(${Math.round(run.totalColumns * run.timeUnitSeconds)}s)`,
    `# IPs: ${ips.length}`,
    "# Feed this file back with --filter-file to hide these IPs.",
    ...ips.map((f) =>
      `${f.ip}  # ${
        percentText(f.activeColumns, run.totalColumns)
      }% connected (${f.activeColumns}/${run.totalColumns} time units)`
    ),
  ];
  return lines.join("\n") + "\n";
}

/** The tracker-facing helper: the file name and its text. */
export function frequentIpsFile(
  tracker: TimelineView,
  thresholdPct: number,
  timeUnitSeconds: number,
  generated: Date,
): { name: string; text: string; count: number } {
  const ips = frequentIps(tracker, thresholdPct);
  return {
    name: frequentIpsFileName(thresholdPct, generated),
    text: renderFrequentIps(ips, {
      thresholdPct,
      totalColumns: tracker.totalColumns,
      timeUnitSeconds,
      generated,
    }),
    count: ips.length,
  };
}
