/**
 * A flat, sorted map from address ranges to small integer values: the shape
 * every GeoIP source is turned into. Each entry covers from its start up to
 * the next entry's start; value 0 means "nothing known" (gaps are entries).
 * A lookup is one binary search over a typed array, with no allocation.
 *
 * @module
 */
import { lastStartAtOrBelow } from "./ip_number.ts";

/** One family's table: `starts` holds 1 word per entry (IPv4) or 4 (IPv6, most significant first). */
export interface RangeTable {
  family: 4 | 6;
  starts: Uint32Array;
  /** The value of each entry; 0 is "nothing known". */
  values: Uint32Array | Uint16Array | Uint8Array;
}

/** An empty table of a family. */
export function emptyRangeTable(family: 4 | 6): RangeTable {
  return { family, starts: new Uint32Array(0), values: new Uint8Array(0) };
}

/** Number of entries in a table. */
export function rangeTableSize(table: RangeTable): number {
  return table.values.length;
}

function ipv4Value(starts: Uint32Array, values: RangeTable["values"], address: number): number {
  const i = lastStartAtOrBelow(starts, address);
  return i < 0 ? 0 : values[i] as number;
}

function ipv6Value(starts: Uint32Array, values: RangeTable["values"], words: Uint32Array): number {
  const w0 = words[0] as number, w1 = words[1] as number, w2 = words[2] as number, w3 = words[3] as number;
  let low = 0;
  let high = values.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const at = mid * 4;
    const s0 = starts[at] as number;
    let atOrBelow: boolean;
    if (s0 !== w0) atOrBelow = s0 < w0;
    else {
      const s1 = starts[at + 1] as number;
      if (s1 !== w1) atOrBelow = s1 < w1;
      else {
        const s2 = starts[at + 2] as number;
        atOrBelow = s2 !== w2 ? s2 < w2 : (starts[at + 3] as number) <= w3;
      }
    }
    if (atOrBelow) low = mid + 1;
    else high = mid - 1;
  }
  return high < 0 ? 0 : values[high] as number;
}

/**
 * The value for an address given as words (see `ipWords`), 0 when unknown.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { rangeValue } from "./range_table.ts";
 * // 10.0.0.0 → 1, 10.0.1.0 → nothing
 * const table = { family: 4 as const, starts: new Uint32Array([0x0a000000, 0x0a000100]), values: new Uint8Array([1, 0]) };
 * deepStrictEqual([rangeValue(table, new Uint32Array([0x0a0000ff])), rangeValue(table, new Uint32Array([0x0a000100]))], [1, 0]);
 * ```
 */
export function rangeValue(table: RangeTable, words: Uint32Array): number {
  return table.family === 4
    ? ipv4Value(table.starts, table.values, words[0] as number)
    : ipv6Value(table.starts, table.values, words);
}
