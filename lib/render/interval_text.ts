import { secondsText } from "./elapsed_text.ts";

/**
 * The time unit as the header, the status line and the summary say it, with
 * how long polls take when that is longer: `Interval: 1s (polls take 1.4s)`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { intervalText } from "./interval_text.ts";
 * deepStrictEqual(intervalText(1, 0.2), "Interval: 1s");
 * deepStrictEqual(intervalText(1, 1.42), "Interval: 1s (polls take 1.4s)");
 * ```
 */
export function intervalText(timeUnitSeconds: number, pollSeconds: number | null): string {
  const slow = pollSeconds !== null && pollSeconds > timeUnitSeconds;
  return `Interval: ${timeUnitSeconds}s` + (slow ? ` (polls take ${secondsText(pollSeconds)})` : "");
}
