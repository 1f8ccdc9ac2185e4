/**
 * What one time unit of a row shows. `Idle` (`--traffic`) is an open row
 * whose connections moved no byte in that time unit.
 */
export const Cell = { Nothing: 0, New: 1, Active: 2, Listening: 3, Closed: 4, Idle: 5 } as const;

/** A cell value. */
export type Cell = typeof Cell[keyof typeof Cell];

/** The symbol of each cell, as the timeline monitor drew them. */
export const CELL_SYMBOLS: readonly string[] = ["·", "▲", "■", "○", "×", "□"];

/** The legend, in symbol order. */
export const CELL_NAMES: readonly string[] = ["Empty", "New", "Active", "Listen", "Closed", "Idle"];

const MAX_SEGMENTS = 512;

/**
 * One row's timeline: a ring buffer of the last `width` cells for the screen,
 * and the spans it was present in for the export, both bounded. Columns count
 * time units from the start of the run.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Cell, CELL_SYMBOLS, Timeline } from "./timeline.ts";
 * const t = new Timeline(5);
 * t.write(2, Cell.New);
 * t.write(3, Cell.Active);
 * t.write(4, Cell.Closed);
 * deepStrictEqual([...t.visible(4)].map((c) => CELL_SYMBOLS[c]).join(""), "··▲■×");
 * deepStrictEqual([...t.visible(7)].map((c) => CELL_SYMBOLS[c]).join(""), "■×···");
 * ```
 */
export class Timeline {
  readonly #cells: Uint8Array;
  #lastWritten = -1;
  /** Present spans as flat `[start, end, start, end, …]` (inclusive columns). */
  #spans: number[] = [];
  #merged = false;

  constructor(width: number) {
    this.#cells = new Uint8Array(width);
  }

  /** Set the cell of a column; columns skipped since the last write become empty. */
  write(column: number, cell: Cell): void {
    const width = this.#cells.length;
    const gap = column - this.#lastWritten;
    for (let c = this.#lastWritten + 1, n = 0; c < column && n < width; c++, n++) {
      this.#cells[c % width] = Cell.Nothing;
    }
    if (gap > 0 || this.#lastWritten < 0) this.#lastWritten = column;
    this.#cells[column % width] = cell;
    if (cell !== Cell.Closed && cell !== Cell.Nothing) this.#markPresent(column);
  }

  /**
   * Set every column from `from` to `to` (inclusive) to one cell: a row held
   * through time units a slow poll spanned without looking. Writes at most
   * `width` cells and one span, however long the stretch.
   */
  fill(from: number, to: number, cell: Cell): void {
    if (to < from) return;
    const width = this.#cells.length;
    for (let c = this.#lastWritten + 1, n = 0; c < from && n < width; c++, n++) {
      this.#cells[c % width] = Cell.Nothing;
    }
    for (let c = Math.max(from, to - width + 1); c <= to; c++) this.#cells[c % width] = cell;
    if (to > this.#lastWritten) this.#lastWritten = to;
    if (cell === Cell.Closed || cell === Cell.Nothing) return;
    const last = this.#spans.length - 1;
    if (last > 0 && (this.#spans[last] ?? -2) >= from - 1) {
      this.#spans[last] = Math.max(this.#spans[last] ?? to, to);
      return;
    }
    this.#markPresent(from);
    this.#spans[this.#spans.length - 1] = to;
  }

  #markPresent(column: number): void {
    const last = this.#spans.length - 1;
    if (last > 0 && this.#spans[last] === column - 1) {
      this.#spans[last] = column;
      return;
    }
    if (last > 0 && this.#spans[last] === column) return;
    if (this.#spans.length >= MAX_SEGMENTS * 2) {
      // Join the two oldest spans: the export loses one gap, memory stays bounded.
      this.#spans.splice(1, 2);
      this.#merged = true;
    }
    // The first span is made to size: a push would make room for 17 numbers, and most rows have a span or two.
    if (this.#spans.length === 0) this.#spans = [column, column];
    else this.#spans.push(column, column);
  }

  /** The cells of the `width` columns ending at `column`, oldest first. */
  visible(column: number): Uint8Array {
    const width = this.#cells.length;
    const out = new Uint8Array(width);
    const oldest = Math.max(column - width + 1, this.#lastWritten - width + 1);
    for (let c = Math.max(0, oldest); c <= Math.min(column, this.#lastWritten); c++) {
      out[c - (column - width + 1)] = this.#cells[c % width] ?? Cell.Nothing;
    }
    return out;
  }

  /** Present spans `[start, end]`, oldest first, for the export. */
  spans(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i + 1 < this.#spans.length; i += 2) {
      out.push([this.#spans[i] ?? 0, this.#spans[i + 1] ?? 0]);
    }
    return out;
  }

  /** True when old gaps were joined to keep the span list bounded. */
  get spansMerged(): boolean {
    return this.#merged;
  }
}
