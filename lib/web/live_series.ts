/**
 * The page's chart data: per poll, how many connections were open, opened
 * and closed, and how many alerts were raised. Bounded: the oldest points go.
 *
 * @module
 */

/** One poll on the chart. */
export interface SeriesPoint {
  /** When the poll started, epoch milliseconds. */
  at: number;
  open: number;
  opened: number;
  closed: number;
  alerts: number;
}

/**
 * The last `max` points, oldest first.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { LiveSeries } from "./live_series.ts";
 * const series = new LiveSeries(2);
 * for (const at of [1, 2, 3]) series.push({ at, open: at, opened: 0, closed: 0, alerts: 0 });
 * deepStrictEqual(series.points().map((p) => p.at), [2, 3]);
 * ```
 */
export class LiveSeries {
  readonly #max: number;
  #points: SeriesPoint[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  push(point: SeriesPoint): void {
    this.#points.push(point);
    // Trimmed in steps, so a push costs O(1) on average.
    if (this.#points.length > this.#max * 1.25) this.#points = this.#points.slice(-this.#max);
  }

  points(): SeriesPoint[] {
    return this.#points.length > this.#max ? this.#points.slice(-this.#max) : [...this.#points];
  }
}
