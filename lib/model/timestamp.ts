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
