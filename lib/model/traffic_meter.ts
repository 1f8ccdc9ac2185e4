import type { ByteCounts } from "./byte_counters.ts";

/** Polls of history a meter keeps: enough to answer for the last 10 (see {@linkcode TrafficMeter.totalsAt}). */
const RING = 12;

/**
 * Bytes counted for one thing — a connection, a row, a process, an address,
 * the machine — with the totals after each of its last changes, so that rates
 * over the last poll and the last 10 polls cost nothing per poll for a meter
 * that did not change. A meter is only touched when bytes move.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { TrafficMeter } from "./traffic_meter.ts";
 * const meter = new TrafficMeter();
 * meter.add(3, 100, 10);
 * meter.add(5, 50, 0);
 * deepStrictEqual([meter.totalsAt(2), meter.totalsAt(4), meter.totalsAt(9)],
 *   [{ sent: 0, received: 0 }, { sent: 100, received: 10 }, { sent: 150, received: 10 }]);
 * ```
 */
export class TrafficMeter {
  /** Bytes counted so far. */
  sent = 0;
  received = 0;
  /** The poll that last added bytes; -1 before any. */
  lastColumn = -1;
  /** Entries of (poll, sent, received) after each change, oldest overwritten first. */
  readonly #ring = new Float64Array(RING * 3);
  #length = 0;
  #newest = -1;
  /** Bytes carried in (see {@linkcode carry}): in every total, before the first change too. */
  #carriedSent = 0;
  #carriedReceived = 0;

  /** Count bytes that moved by poll `column` (polls come in order). */
  add(column: number, sent: number, received: number): void {
    this.sent += sent;
    this.received += received;
    const ring = this.#ring;
    if (this.#length === 0 || ring[this.#newest * 3] !== column) {
      this.#newest = (this.#newest + 1) % RING;
      this.#length = Math.min(RING, this.#length + 1);
    }
    const at = this.#newest * 3;
    ring[at] = column;
    ring[at + 1] = this.sent;
    ring[at + 2] = this.received;
    this.lastColumn = column;
  }

  /**
   * Count bytes that moved before they were known to be this meter's (a
   * connection whose process a later walk named): they join every total this
   * meter gives, past polls' too, so they count in the totals and in no rate.
   */
  carry(sent: number, received: number): void {
    this.sent += sent;
    this.received += received;
    this.#carriedSent += sent;
    this.#carriedReceived += received;
    const ring = this.#ring;
    for (let i = 0; i < this.#length; i++) {
      const at = ((this.#newest - i + RING) % RING) * 3;
      ring[at + 1] = (ring[at + 1] ?? 0) + sent;
      ring[at + 2] = (ring[at + 2] ?? 0) + received;
    }
  }

  /**
   * The totals as poll `column` left them: exact for the last 11 polls (the
   * ring holds more changes than those polls can make); before the meter
   * counted anything, only what was carried in.
   */
  totalsAt(column: number): ByteCounts {
    if (column >= this.lastColumn) return { sent: this.sent, received: this.received };
    const ring = this.#ring;
    for (let i = 0; i < this.#length; i++) {
      const at = ((this.#newest - i + RING) % RING) * 3;
      if ((ring[at] ?? 0) <= column) return { sent: ring[at + 1] ?? 0, received: ring[at + 2] ?? 0 };
    }
    return { sent: this.#carriedSent, received: this.#carriedReceived };
  }
}
