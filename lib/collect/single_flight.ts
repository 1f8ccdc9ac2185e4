/**
 * Wrap an async function so that at most one call runs at a time: a call made
 * while another is running gets the running call's promise instead of
 * starting a second run (lsof polled without this piled up 40 copies).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { singleFlight } from "./single_flight.ts";
 * let runs = 0;
 * const once = singleFlight(async () => { runs++; await new Promise((r) => setTimeout(r, 5)); return runs; });
 * deepStrictEqual(await Promise.all([once(), once()]), [1, 1]);
 * deepStrictEqual(await once(), 2);
 * ```
 */
export function singleFlight<A extends unknown[], T>(
  run: (...args: A) => Promise<T>,
): (...args: A) => Promise<T> {
  let running: Promise<T> | null = null;
  return (...args) => {
    running ??= run(...args).finally(() => {
      running = null;
    });
    return running;
  };
}
