/**
 * The longest delay a timer can take: `setTimeout` stores it in 32 bits, and
 * a longer one fires at once (with a `TimeoutOverflowWarning`).
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay every timer can take: negative and NaN become 0, and anything past
 * {@linkcode MAX_TIMER_MS} (a server's `Retry-After: 99999999999`) is cut to
 * it, so a wait ends late at worst, never at once in a loop. Every
 * `setTimeout`, `setInterval` and `AbortSignal.timeout` goes through it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { MAX_TIMER_MS, timerDelay } from "./timer_delay.ts";
 * deepStrictEqual(timerDelay(99999999999 * 1000), MAX_TIMER_MS);
 * deepStrictEqual([timerDelay(-5), timerDelay(NaN), timerDelay(1500.4)], [0, 0, 1500.4]);
 * ```
 */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}
