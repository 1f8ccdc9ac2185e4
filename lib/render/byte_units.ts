/**
 * Byte counts and rates as people read them: binary units (KiB, MiB, GiB, TiB),
 * three significant figures.
 *
 * @module
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/**
 * A byte count in binary units: `512 B`, `1.5 KiB`, `40.0 MiB`, `-` for unknown.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { bytesText } from "./byte_units.ts";
 * deepStrictEqual([bytesText(512), bytesText(1536), bytesText(41_943_040), bytesText(null)],
 *   ["512 B", "1.50 KiB", "40.0 MiB", "-"]);
 * ```
 */
export function bytesText(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return "-";
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const text = value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  return `${text} ${UNITS[unit]}`;
}

/**
 * A rate in bytes per second: `1.50 KiB/s`, `0 B/s`, `-` for unknown.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { rateText } from "./byte_units.ts";
 * deepStrictEqual([rateText(1536), rateText(0), rateText(null)], ["1.50 KiB/s", "0 B/s", "-"]);
 * ```
 */
export function rateText(bytesPerSecond: number | null | undefined): string {
  const text = bytesText(bytesPerSecond);
  return text === "-" ? text : `${text}/s`;
}
