/**
 * Format a time as ISO 8601 with the local UTC offset, as SPEC asks for
 * `timestamp` fields (`Date.toISOString()` always says `Z`).
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { isoWithOffset } from "./timestamp.ts";
 * match(isoWithOffset(new Date(0)), /^19(69|70)-\d\d-\d\dT\d\d:\d\d:\d\d\.000[+-]\d\d:\d\d$/);
 * ```
 */
export function isoWithOffset(date: Date): string {
  const offsetMinutes = -date.getTimezoneOffset();
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const sign = offsetMinutes >= 0 ? "+" : "-";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${local.toISOString().slice(0, -1)}${sign}${hh}:${mm}`;
}

/**
 * The local wall-clock time as `HH:MM:SS`, as scroll lines and alerts show it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { clockTime } from "./timestamp.ts";
 * deepStrictEqual(clockTime(new Date(2026, 10, 21, 14, 30, 16)), "14:30:16");
 * ```
 */
export function clockTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/**
 * The local time as `YYYYmmdd_HHMMSS`, for file names of a session.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { fileTimestamp } from "./timestamp.ts";
 * deepStrictEqual(fileTimestamp(new Date(2026, 10, 21, 14, 30, 16)), "20261121_143016");
 * ```
 */
export function fileTimestamp(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}${two(date.getMonth() + 1)}${two(date.getDate())}_` +
    clockTime(date).replaceAll(":", "");
}

/**
 * The local date and time as `YYYY-MM-DD HH:MM:SS`, as history tables show it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { localDateTime } from "./timestamp.ts";
 * deepStrictEqual(localDateTime(new Date(2026, 10, 21, 14, 30, 16)), "2026-11-21 14:30:16");
 * ```
 */
export function localDateTime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())} ${clockTime(date)}`;
}
