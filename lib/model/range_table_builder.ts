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
    const w = this.#width;
    const n = this.rows;
    const starts = this.#starts.data;
    const ends = this.#ends.data;
    const order = this.#orderByStart();
    const out = new TableWriter(w);
    const maxEnd = new Uint32Array(w);
    // Walk the rows by start in clusters of overlapping rows. Real files are
    // almost all single-row clusters, written as they are; only the few
    // clusters with nesting go through the sweep.
    let i = 0;
    while (i < n) {
      const first = order[i] as number;
      maxEnd.set(ends.subarray(first * w, first * w + w));
      let j = i + 1;
      for (; j < n; j++) {
        const row = order[j] as number;
        if (compareWords(starts, row * w, maxEnd, 0, w) > 0) break;
        if (compareWords(ends, row * w, maxEnd, 0, w) > 0) maxEnd.set(ends.subarray(row * w, row * w + w));
      }
      out.gapUntil(starts, first * w);
      if (j === i + 1) out.write(starts, first * w, this.#values.data[first] as number);
      else {this.#sweep(
          order.subarray(i, j),
          w === 1 ? BigInt(maxEnd[0] as number) : wordsToBigint(maxEnd),
          out,
        );}
      out.coveredThrough(maxEnd);
      i = j;
    }
    const table = out.finish();
    const values = this.#maxValue < 256
      ? Uint8Array.from(table.values)
      : this.#maxValue < 65536
      ? Uint16Array.from(table.values)
      : table.values.slice();
    return { family: this.family, starts: table.starts.slice(), values };
  }

  /** Row indexes by start (ties in row order); the identity when already sorted. */
  #orderByStart(): Uint32Array {
    const w = this.#width;
    const n = this.rows;
    const starts = this.#starts.data;
    const order = new Uint32Array(n);
    for (let r = 0; r < n; r++) order[r] = r;
    let sorted = true;
    for (let r = 1; r < n && sorted; r++) sorted = compareWords(starts, (r - 1) * w, starts, r * w, w) <= 0;
    if (sorted) return order;
    return order.sort((a, b) => compareWords(starts, a * w, starts, b * w, w) || a - b);
  }

  /** Flatten one cluster of overlapping rows, ending at `last`: a sweep over its boundaries with a heap of open rows. */
  #sweep(rows: Uint32Array, last: bigint, out: TableWriter): void {
    const w = this.#width;
    const key = (words: Uint32Array, r: number) =>
      w === 1 ? BigInt(words[r] as number) : wordsToBigint(words, r * 4);
    const top = w === 1 ? 0xffffffffn : (1n << 128n) - 1n;
    const boundaries: bigint[] = [];
    for (const r of rows) {
      boundaries.push(key(this.#starts.data, r));
      const end = key(this.#ends.data, r);
      if (end < top) boundaries.push(end + 1n);
    }
    boundaries.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const open = new OpenRows();
    const words = new Uint32Array(4);
    let next = 0;
    let previous = -1n;
    for (const at of boundaries) {
      if (at === previous || at > last) continue;
      previous = at;
      while (next < rows.length && key(this.#starts.data, rows[next] as number) <= at) {
        const row = rows[next++] as number;
        const end = key(this.#ends.data, row);
        open.push({
          end,
          size: end - key(this.#starts.data, row),
          row,
          value: this.#values.data[row] as number,
        });
      }
      while (open.size > 0 && (open.top() as OpenRow).end < at) open.pop();
      if (w === 1) words[0] = Number(at);
      else bigintToWords(at, words);
      out.write(words, 0, open.top()?.value ?? 0);
    }
  }
}

/** Writes table entries in address order, joining equal neighbours and filling gaps with value 0. */
class TableWriter {
  readonly #width: number;
  readonly #starts = new GrowableWords();
  readonly #values = new GrowableWords();
  /** The address after the last one covered; `#ended` when that would pass the top. */
  readonly #next: Uint32Array;
  #ended = false;
  #lastValue = -1;

  constructor(width: number) {
    this.#width = width;
    this.#next = new Uint32Array(width);
  }

  write(words: Uint32Array, at: number, value: number): void {
    if (value === this.#lastValue) return;
    for (let i = 0; i < this.#width; i++) this.#starts.push(words[at + i] as number);
    this.#values.push(value);
    this.#lastValue = value;
  }

  /** A row starts at `words[at…]`: say "nothing known" for the gap before it, if any. */
  gapUntil(words: Uint32Array, at: number): void {
    if (compareWords(words, at, this.#next, 0, this.#width) > 0) this.write(this.#next, 0, 0);
  }

  /** Everything up to `end` has been written. */
  coveredThrough(end: Uint32Array): void {
    this.#next.set(end);
    this.#ended = !increment(this.#next);
  }

  finish(): { starts: Uint32Array; values: Uint32Array } {
    if (!this.#ended) this.write(this.#next, 0, 0);
    return { starts: this.#starts.view(), values: this.#values.view() };
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
