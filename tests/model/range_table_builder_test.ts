import { deepStrictEqual } from "node:assert/strict";
import { bigintToWords } from "../../lib/model/ip_words.ts";
import { type RangeTable, rangeValue } from "../../lib/model/range_table.ts";
import { RangeTableBuilder } from "../../lib/model/range_table_builder.ts";

interface Row {
  start: bigint;
  end: bigint;
  value: number;
}

/** The rule, by brute force: the smallest row holding the address wins; between equals, the later row. */
function expected(rows: readonly Row[], address: bigint): number {
  let best: Row | null = null;
  let bestIndex = -1;
  rows.forEach((row, i) => {
    if (row.start > address || row.end < address) return;
    if (
      best === null || row.end - row.start < best.end - best.start ||
      (row.end - row.start === best.end - best.start && i > bestIndex)
    ) {
      best = row;
      bestIndex = i;
    }
  });
  return (best as Row | null)?.value ?? 0;
}

function words(family: 4 | 6, value: bigint): Uint32Array {
  const out = new Uint32Array(4);
  if (family === 4) out[0] = Number(value);
  else bigintToWords(value, out);
  return out;
}

function build(family: 4 | 6, rows: readonly Row[]): RangeTable {
  const builder = new RangeTableBuilder(family);
  for (const row of rows) builder.add(words(family, row.start), words(family, row.end), row.value);
  return builder.build();
}

function randomRows(count: number, base: bigint, span: number, values: number): Row[] {
  return Array.from({ length: count }, () => {
    const a = Math.floor(Math.random() * span);
    const size = Math.random() < 0.5 ? Math.floor(Math.random() * 8) : Math.floor(Math.random() * span / 4);
    return {
      start: base + BigInt(a),
      end: base + BigInt(Math.min(span - 1, a + size)),
      value: 1 + Math.floor(Math.random() * values),
    };
  });
}

Deno.test("RangeTableBuilder flattens nested, crossing, touching and duplicate ranges so the more specific wins", () => {
  for (let round = 0; round < 40; round++) {
    const rows = randomRows(30, 1000n, 600, 5);
    const table = build(4, rows);
    for (let a = 990n; a < 1610n; a++) {
      deepStrictEqual(rangeValue(table, words(4, a)), expected(rows, a), `round ${round}, address ${a}`);
    }
  }
});

Deno.test("RangeTableBuilder gives the same answers for IPv6 at the top of the address space", () => {
  const top = (1n << 128n) - 1n;
  for (let round = 0; round < 20; round++) {
    const rows = randomRows(25, top - 499n, 500, 4);
    const table = build(6, rows);
    for (let a = top - 520n; a <= top; a++) {
      deepStrictEqual(rangeValue(table, words(6, a)), expected(rows, a), `round ${round}, address ${a}`);
    }
  }
});

Deno.test("RangeTableBuilder takes sorted, disjoint rows on the linear path with the same result", () => {
  const rows: Row[] = [
    { start: 0n, end: 9n, value: 1 },
    { start: 10n, end: 19n, value: 1 }, // touches, same value: joined
    { start: 25n, end: 30n, value: 2 }, // a gap before it
    { start: 31n, end: 0xffffffffn, value: 3 }, // to the top
  ];
  const table = build(4, rows);
  deepStrictEqual([...table.starts], [0, 20, 25, 31]);
  deepStrictEqual([...table.values], [1, 0, 2, 3]);
  for (const a of [0n, 19n, 20n, 24n, 25n, 31n, 0xffffffffn]) {
    deepStrictEqual(rangeValue(table, words(4, a)), expected(rows, a));
  }
  // Shuffled, the same rows go through the sweep and come out the same.
  const swept = build(4, [rows[2], rows[0], rows[3], rows[1]] as Row[]);
  deepStrictEqual([[...swept.starts], [...swept.values]], [[...table.starts], [...table.values]]);
});

Deno.test("RangeTableBuilder refuses a row whose start is after its end", () => {
  const builder = new RangeTableBuilder(6);
  deepStrictEqual(builder.add(words(6, 10n), words(6, 9n), 1), false);
  deepStrictEqual(builder.rows, 0);
});

Deno.test("RangeTableBuilder on the ip-location-db shape: a /24, a host inside it, then the rest of the /24", () => {
  // geo-whois-asn-country-ipv4.csv: 2.58.196.0-2.58.197.255 then 2.58.197.15 alone then 2.58.197.16-…
  const rows: Row[] = [
    { start: 37405696n, end: 37406207n, value: 1 },
    { start: 37405967n, end: 37405967n, value: 2 },
    { start: 37405968n, end: 37406207n, value: 3 },
  ];
  const table = build(4, rows);
  deepStrictEqual(
    [37405696n, 37405966n, 37405967n, 37405968n, 37406207n, 37406208n].map((a) =>
      rangeValue(table, words(4, a))
    ),
    [1, 1, 2, 3, 3, 0],
  );
});
