/**
 * Byte counters and the arithmetic on them that rates rely on.
 *
 * @module
 */

/** Bytes sent and received: so far (counters), or over a span (deltas). */
export interface ByteCounts {
  sent: number;
  received: number;
}

/**
 * Bytes moved between two readings of one socket's counter. A counter that
 * went down belongs to a new socket (the same addresses and ports reused since
 * the last reading; the kernel's 64-bit counters do not wrap): everything it
 * counts moved since then. No earlier reading (`null`) also counts all of it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { counterDelta } from "./byte_counters.ts";
 * deepStrictEqual(counterDelta(1000, 1500), 500);
 * deepStrictEqual(counterDelta(1500, 200), 200); // a reset: a new socket counted 200 so far
 * deepStrictEqual(counterDelta(null, 700), 700);
 * ```
 */
export function counterDelta(previous: number | null, current: number): number {
  return previous === null || current < previous ? current : current - previous;
}
