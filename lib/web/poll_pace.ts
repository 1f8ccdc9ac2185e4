/**
 * How `conntrail serve` keeps up with its time unit: how long each poll's
 * work takes (collect, track, alerts, the page's update), how many polls took
 * longer than the time unit, and how many ticks passed without a poll.
 *
 * @module
 */

/** Where the pace stands after a poll; the page shows it, the exit line sums it up. */
export interface PaceReport {
  /** The time unit, in milliseconds. */
  tick_ms: number;
  /** This poll's work, in milliseconds. */
  poll_ms: number;
  /** Median of every poll's work so far, in milliseconds. */
  median_ms: number;
  /** The longest poll's work so far, in milliseconds. */
  max_ms: number;
  polls: number;
  /** Polls whose work took longer than the time unit. */
  overruns: number;
  /** Ticks since the first poll that had no poll of their own (the loop ran late). */
  missed_ticks: number;
}

/** Options of {@linkcode PollPace}. */
export interface PollPaceOptions {
  /** Called once, at the first poll whose work is longer than the time unit. */
  onFirstOverrun?: (report: PaceReport) => void;
}

/** Durations are kept to two significant digits: the median stays exact enough and memory stays bounded. */
function bucket(ms: number): number {
  return ms < 1 ? Math.round(ms * 10) / 10 : Number(ms.toPrecision(2));
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)}s` : `${Number((ms / 1000).toPrecision(2))}s`;
}

/**
 * Counts each poll's work against the time unit.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { PollPace } from "./poll_pace.ts";
 * const pace = new PollPace(1000);
 * pace.record(0, 200);
 * pace.record(1000, 2400); // overran: the next poll starts at once
 * const last = pace.record(2400, 2600);
 * deepStrictEqual([last.overruns, last.missed_ticks, last.max_ms], [1, 0, 1400]);
 * pace.record(3400, 3600);
 * deepStrictEqual(pace.report()?.missed_ticks, 0);
 * pace.record(6000, 6100); // ticks 4 and 5 had no poll
 * deepStrictEqual(pace.report()?.missed_ticks, 2);
 * ```
 */
export class PollPace {
  readonly #tickMs: number;
  readonly #options: PollPaceOptions;
  readonly #histogram = new Map<number, number>();
  #firstStart: number | null = null;
  #polls = 0;
  #overruns = 0;
  #maxMs = 0;
  #lastMs = 0;
  #missed = 0;
  #warned = false;

  constructor(tickMs: number, options: PollPaceOptions = {}) {
    this.#tickMs = tickMs;
    this.#options = options;
  }

  /** A poll that started at `startedAt` and whose work ended at `finishedAt` (epoch ms). */
  record(startedAt: number, finishedAt: number): PaceReport {
    const ms = Math.max(0, finishedAt - startedAt);
    this.#firstStart ??= startedAt;
    this.#polls++;
    this.#lastMs = ms;
    this.#maxMs = Math.max(this.#maxMs, ms);
    const key = bucket(ms);
    this.#histogram.set(key, (this.#histogram.get(key) ?? 0) + 1);
    if (this.#tickMs > 0) {
      // Ticks since the first poll (it has one) against the polls that happened: the loop's drift.
      const ticks = Math.floor((startedAt - this.#firstStart) / this.#tickMs + 1e-9) + 1;
      this.#missed = Math.max(this.#missed, ticks - this.#polls);
      if (ms > this.#tickMs) this.#overruns++;
    }
    const report = this.report()!;
    if (this.#overruns > 0 && !this.#warned) {
      this.#warned = true;
      this.#options.onFirstOverrun?.(report);
    }
    return report;
  }

  /** The pace so far, or null before the first poll. */
  report(): PaceReport | null {
    if (this.#polls === 0) return null;
    return {
      tick_ms: this.#tickMs,
      poll_ms: this.#lastMs,
      median_ms: this.#median(),
      max_ms: this.#maxMs,
      polls: this.#polls,
      overruns: this.#overruns,
      missed_ticks: this.#missed,
    };
  }

  #median(): number {
    const keys = [...this.#histogram.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const key of keys) {
      seen += this.#histogram.get(key)!;
      if (seen * 2 >= this.#polls) return key;
    }
    return 0;
  }
}

/**
 * One sentence on the pace, for the exit line and notes.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { paceText } from "./poll_pace.ts";
 * deepStrictEqual(
 *   paceText({ tick_ms: 1000, poll_ms: 90, median_ms: 120, max_ms: 1400, polls: 60, overruns: 2, missed_ticks: 1 }),
 *   "a poll's work took 0.12s (median), 1.4s at most, against a 1s time unit; 2 polls overran it and 1 tick had no poll",
 * );
 * ```
 */
export function paceText(report: PaceReport): string {
  const head = `a poll's work took ${seconds(report.median_ms)} (median), ${
    seconds(report.max_ms)
  } at most, against a ${seconds(report.tick_ms)} time unit`;
  if (report.overruns === 0 && report.missed_ticks === 0) return `${head}; no poll overran it`;
  const polls = report.overruns === 1 ? "1 poll" : `${report.overruns} polls`;
  const ticks = report.missed_ticks === 1 ? "1 tick" : `${report.missed_ticks} ticks`;
  return `${head}; ${polls} overran it and ${ticks} had no poll`;
}
