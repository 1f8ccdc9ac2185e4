/**
 * Seconds as people read them at a glance: one decimal under ten seconds
 * (`0.4s`, `1.4s`, `2s`), whole seconds above.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { secondsText } from "./elapsed_text.ts";
 * deepStrictEqual([secondsText(1.4), secondsText(2), secondsText(0.04), secondsText(12.6)], ["1.4s", "2s", "0.04s", "13s"]);
 * ```
 */
export function secondsText(seconds: number): string {
  if (seconds >= 10) return `${Math.round(seconds)}s`;
  if (seconds > 0 && seconds < 0.1) return `${Number(seconds.toFixed(2))}s`;
  return `${Number(seconds.toFixed(1))}s`;
}

/**
 * A duration in its two largest units: `12s`, `1m 12s`, `2h 5m`, `3d 4h`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { elapsedText } from "./elapsed_text.ts";
 * deepStrictEqual([elapsedText(0.5), elapsedText(72), elapsedText(7500), elapsedText(273600)],
 *   ["0.5s", "1m 12s", "2h 5m", "3d 4h"]);
 * ```
 */
export function elapsedText(seconds: number): string {
  if (seconds < 60) return secondsText(seconds);
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${whole % 60}s`;
  if (whole < 86400) return `${Math.floor(whole / 3600)}h ${Math.floor((whole % 3600) / 60)}m`;
  return `${Math.floor(whole / 86400)}d ${Math.floor((whole % 86400) / 3600)}h`;
}
