const RECENT = 5;

/**
 * How long polls take, against the time unit: the recent mean says whether
 * the monitor keeps up now, the totals say how the run went.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { PollTimes } from "./poll_times.ts";
 * const times = new PollTimes(1000);
 * for (const ms of [300, 1400, 1500]) times.record(ms);
 * deepStrictEqual([times.overran, times.maxMs, Math.round(times.recentMs)], [2, 1500, 1067]);
 * ```
 */
export class PollTimes {
  readonly #timeUnitMs: number;
  readonly #recent: number[] = [];
  #count = 0;
  #totalMs = 0;
  #maxMs = 0;
  #overran = 0;

  constructor(timeUnitMs: number) {
    this.#timeUnitMs = timeUnitMs;
  }

  /** Count one poll that took `ms`. */
  record(ms: number): void {
    this.#count++;
    this.#totalMs += ms;
    this.#maxMs = Math.max(this.#maxMs, ms);
    if (ms > this.#timeUnitMs) this.#overran++;
    this.#recent.push(ms);
    if (this.#recent.length > RECENT) this.#recent.shift();
  }

  /** Polls counted. */
  get count(): number {
    return this.#count;
  }

  /** Polls that took longer than the time unit. */
  get overran(): number {
    return this.#overran;
  }

  get maxMs(): number {
    return this.#maxMs;
  }

  get meanMs(): number {
    return this.#count === 0 ? 0 : this.#totalMs / this.#count;
  }

  /** The mean of the last few polls. */
  get recentMs(): number {
    return this.#recent.length === 0 ? 0 : this.#recent.reduce((a, b) => a + b, 0) / this.#recent.length;
  }

  /** The mean of the last few polls and one still running that has taken `ms` so far. */
  recentWith(ms: number): number {
    const recent = [...this.#recent.slice(1 - RECENT), ms];
    return recent.reduce((a, b) => a + b, 0) / recent.length;
  }
}
