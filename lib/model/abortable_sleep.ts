import { timerDelay } from "./timer_delay.ts";

/**
 * Wait `ms`, or until `signal` aborts, whichever comes first (at once when it has): the timer and the listener
 * are both removed then, so neither keeps the process or the signal busy.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { abortableSleep } from "./abortable_sleep.ts";
 * const stop = new AbortController();
 * const waiting = abortableSleep(60_000, stop.signal);
 * stop.abort();
 * deepStrictEqual(await waiting, undefined);
 * ```
 */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, timerDelay(ms));
    signal.addEventListener("abort", done, { once: true });
  });
}
