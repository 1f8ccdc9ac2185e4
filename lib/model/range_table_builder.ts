/**
 * Builds a {@linkcode RangeTable} from inclusive `start–end → value` rows, in
 * whatever order and with whatever overlaps the source has. GeoIP CSVs nest
 * ranges (a /29 inside the /24 it was carved from); the more specific (smaller)
 * range wins, and between two rows of the same size the later one does.
 * Sorted, disjoint input (DB-IP's own files) takes a linear path; anything
 * else is flattened by a sweep over the boundaries with a heap of open rows.
 *
 * @module
 */
import { bigintToWords, wordsToBigint } from "./ip_words.ts";
import type { RangeTable } from "./range_table.ts";

class GrowableWords {
  data = new Uint32Array(1024);
  length = 0;
  push(word: number): void {
    if (this.length === this.data.length) {
      const bigger = new Uint32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = word;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

interface OpenRow {
  end: bigint;
  size: bigint;
  row: number;
  value: number;
}

/** Min-heap of open rows: smallest range first, then the latest row. */
class OpenRows {
  #heap: OpenRow[] = [];
  get size(): number {
    return this.#heap.length;
  }
  top(): OpenRow | undefined {
    return this.#heap[0];
  }
  static #before(a: OpenRow, b: OpenRow): boolean {
    return a.size !== b.size ? a.size < b.size : a.row > b.row;
  }
  push(item: OpenRow): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!OpenRows.#before(heap[i] as OpenRow, heap[parent] as OpenRow)) break;
      [heap[i], heap[parent]] = [heap[parent] as OpenRow, heap[i] as OpenRow];
      i = parent;
    }
  }
  pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < heap.length && OpenRows.#before(heap[left] as OpenRow, heap[best] as OpenRow)) best = left;
      if (right < heap.length && OpenRows.#before(heap[right] as OpenRow, heap[best] as OpenRow)) {
        best = right;
      }
      if (best === i) return;
      [heap[i], heap[best]] = [heap[best] as OpenRow, heap[i] as OpenRow];
      i = best;
    }
  }
}

/** Collects rows of one family and flattens them into a table. */
export class RangeTableBuilder {
  readonly family: 4 | 6;
  readonly #width: number;
  readonly #starts = new GrowableWords();
  readonly #ends = new GrowableWords();
  readonly #values = new GrowableWords();
  #maxValue = 0;

  constructor(family: 4 | 6) {
    this.family = family;
    this.#width = family === 4 ? 1 : 4;
  }

  /** Rows added so far. */
  get rows(): number {
    return this.#values.length;
  }

  /**
   * Add `start–end → value` (words as `ipWords` gives them). Value 0 clears
   * the range. Returns false, adding nothing, when start is after end.
   */
  add(start: Uint32Array, end: Uint32Array, value: number): boolean {
    if (compareWords(start, 0, end, 0, this.#width) > 0) return false;
    for (let i = 0; i < this.#width; i++) {
      this.#starts.push(start[i] as number);
      this.#ends.push(end[i] as number);
    }
    this.#values.push(value);
    if (value > this.#maxValue) this.#maxValue = value;
    return true;
  }

  /** The flattened table: sorted, disjoint, adjacent equal values joined, gaps as value 0. */
  build(): RangeTable {
    const out = this.#sortedAndDisjoint() ? this.#buildLinear() : this.#buildBySweep();
    const values = this.#maxValue < 256
      ? Uint8Array.from(out.values)
      : this.#maxValue < 65536
      ? Uint16Array.from(out.values)
      : out.values.slice();
    return { family: this.family, starts: out.starts.slice(), values };
  }

  #sortedAndDisjoint(): boolean {
    const w = this.#width;
    const starts = this.#starts.data;
    const ends = this.#ends.data;
    for (let r = 1; r < this.rows; r++) {
      if (compareWords(starts, r * w, ends, (r - 1) * w, w) <= 0) return false;
    }
    return true;
  }

  #buildLinear(): { starts: Uint32Array; values: Uint32Array } {
    const w = this.#width;
    const starts = this.#starts.data;
    const ends = this.#ends.data;
    const outStarts = new GrowableWords();
    const outValues = new GrowableWords();
    const next = new Uint32Array(w);
    let haveNext = false; // `next` holds the address after the previous row's end
    let ended = false; // the previous row ended at the top of the address space
    let lastValue = -1;
    const emit = (words: Uint32Array, at: number, value: number) => {
      if (value === lastValue) return;
      for (let i = 0; i < w; i++) outStarts.push(words[at + i] as number);
      outValues.push(value);
      lastValue = value;
    };
    for (let r = 0; r < this.rows; r++) {
      if (ended) break;
      if (!haveNext) {
        if (!isZero(starts, r * w, w)) emit(new Uint32Array(w), 0, 0);
      } else if (compareWords(starts, r * w, next, 0, w) > 0) {
        emit(next, 0, 0);
      }
      emit(starts, r * w, this.#values.data[r] as number);
      next.set(ends.subarray(r * w, r * w + w));
      ended = !increment(next);
      haveNext = true;
    }
    if (haveNext && !ended) emit(next, 0, 0);
    return { starts: outStarts.view(), values: outValues.view() };
  }

  #buildBySweep(): { starts: Uint32Array; values: Uint32Array } {
    const w = this.#width;
    const n = this.rows;
    const top = w === 1 ? 0xffffffffn : (1n << 128n) - 1n;
    const startOf = (r: number) =>
      w === 1 ? BigInt(this.#starts.data[r] as number) : wordsToBigint(this.#starts.data, r * 4);
    const endOf = (r: number) =>
      w === 1 ? BigInt(this.#ends.data[r] as number) : wordsToBigint(this.#ends.data, r * 4);
    const rowStarts: bigint[] = new Array(n);
    const boundaries: bigint[] = [];
    for (let r = 0; r < n; r++) {
      rowStarts[r] = startOf(r);
      boundaries.push(rowStarts[r] as bigint);
      const end = endOf(r);
      if (end < top) boundaries.push(end + 1n);
    }
    boundaries.push(0n);
    boundaries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const order = Array.from({ length: n }, (_, r) => r).sort((a, b) => {
      const sa = rowStarts[a] as bigint, sb = rowStarts[b] as bigint;
      return sa < sb ? -1 : sa > sb ? 1 : a - b;
    });
    const outStarts = new GrowableWords();
    const outValues = new GrowableWords();
    const words = new Uint32Array(4);
    const open = new OpenRows();
    let nextRow = 0;
    let lastValue = -1;
    let previous = -1n;
    for (const at of boundaries) {
      if (at === previous) continue;
      previous = at;
      while (nextRow < n && (rowStarts[order[nextRow] as number] as bigint) <= at) {
        const row = order[nextRow++] as number;
        const end = endOf(row);
        open.push({
          end,
          size: end - (rowStarts[row] as bigint),
          row,
          value: this.#values.data[row] as number,
        });
      }
      while (open.size > 0 && (open.top() as OpenRow).end < at) open.pop();
      const value = open.top()?.value ?? 0;
      if (value === lastValue) continue;
      lastValue = value;
      if (w === 1) outStarts.push(Number(at));
      else {
        bigintToWords(at, words);
        for (let i = 0; i < 4; i++) outStarts.push(words[i] as number);
      }
      outValues.push(value);
    }
    return { starts: outStarts.view(), values: outValues.view() };
  }
}

/** Compare `width` words of `a` at `ai` with `b` at `bi`: <0, 0 or >0. */
export function compareWords(a: Uint32Array, ai: number, b: Uint32Array, bi: number, width: number): number {
  for (let i = 0; i < width; i++) {
    const x = a[ai + i] as number, y = b[bi + i] as number;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isZero(words: Uint32Array, at: number, width: number): boolean {
  for (let i = 0; i < width; i++) if (words[at + i] !== 0) return false;
  return true;
}

/** Add one to a multi-word number in place; false when it wrapped past the top. */
function increment(words: Uint32Array): boolean {
  for (let i = words.length - 1; i >= 0; i--) {
    if (words[i] !== 0xffffffff) {
      words[i] = (words[i] as number) + 1;
      return true;
    }
    words[i] = 0;
  }
  return false;
}
