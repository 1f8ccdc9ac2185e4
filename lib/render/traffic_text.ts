/**
 * `--traffic` on the dashboard: a row's rate column and the machine's figures
 * in the header.
 *
 * @module
 */
import type { TrackedRow } from "../model/tracked_row.ts";
import { RATE_SPANS, type TrafficLedger, type TrafficRate } from "../model/traffic_ledger.ts";
import { bytesText, rateText } from "./byte_units.ts";

const SHORT_UNITS = ["", "K", "M", "G", "T", "P"];

/**
 * A byte count in at most four characters, binary units: `512`, `1.5K`, `40M`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { shortBytes } from "./traffic_text.ts";
 * deepStrictEqual([shortBytes(0), shortBytes(512), shortBytes(1536), shortBytes(41_943_040), shortBytes(1023.6)],
 *   ["0", "512", "1.5K", "40M", "1.0K"]);
 * ```
 */
export function shortBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (Math.round(value) >= 1000 && unit < SHORT_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = unit > 0 && value < 9.95 ? value.toFixed(1) : String(Math.round(value));
  return text + (SHORT_UNITS[unit] ?? "");
}

/** Width of {@linkcode rateCell}'s text. */
export const RATE_CELL_WIDTH = 11;

/**
 * A row's rate over the last poll as a fixed-width cell, `↑` sent and `↓`
 * received per second (`-` before a rate can be known).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { rateCell } from "./traffic_text.ts";
 * deepStrictEqual(rateCell({ sent: 1536, received: 41_943_040 }), "↑1.5K ↓40M ");
 * deepStrictEqual(rateCell(null), "-          ");
 * ```
 */
export function rateCell(rate: TrafficRate | null): string {
  const text = rate === null ? "-" : `↑${shortBytes(rate.sent)} ↓${shortBytes(rate.received)}`;
  return text.padEnd(RATE_CELL_WIDTH);
}

/** A row's rate over the last poll (what the rate column shows and `s` sorts by); null without counters. */
export function rowRate(ledger: TrafficLedger, row: TrackedRow): TrafficRate | null {
  return row.traffic === null ? null : ledger.rate(row.traffic, RATE_SPANS.tick);
}

/**
 * The machine's figures for the header: rate over the last poll and bytes
 * counted so far, `↑ 1.50 KiB/s ↓ 40.0 MiB/s (↑ 3.00 MiB ↓ 80.0 MiB)`.
 */
export function trafficHeader(ledger: TrafficLedger): string {
  const rate = ledger.rate(ledger.machine, RATE_SPANS.tick);
  return `↑ ${rateText(rate?.sent)} ↓ ${rateText(rate?.received)} (↑ ${bytesText(ledger.machine.sent)} ↓ ${
    bytesText(ledger.machine.received)
  })`;
}
