/** csvText() against csv-stringify, which it replaced, as the oracle: the same bytes for every kind of cell. */
import { deepStrictEqual } from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import { csvText } from "../../lib/render/csv_text.ts";
import { safeTerminalText } from "../../lib/render/terminal_text.ts";
import { campaign, type Fuzz } from "../fuzz/_fuzz.ts";

/** What csvText() wrote when it called csv-stringify. */
function oracle(rows: unknown[][], columns?: string[]): string {
  return stringify(rows.map((row) => [...row]), {
    header: columns !== undefined,
    ...(columns === undefined ? {} : { columns: [...columns] }),
    escape_formulas: true,
    cast: { number: (n) => String(n), string: safeTerminalText },
  });
}

const STARTS = [
  "=",
  "+",
  "-",
  "@",
  "\t",
  "\r",
  "\n",
  "\uff1d",
  "\uff0b",
  "\uff0d",
  "\uff20",
  '"',
  ",",
  "'",
  " ",
  "",
];

function cell(fuzz: Fuzz): unknown {
  switch (fuzz.int(9)) {
    case 0:
      return null;
    case 1:
      return undefined;
    case 2:
      return fuzz.pick([0, -1, -0.5, 443, 1e21, NaN, -Infinity, fuzz.int(70000) - 100]);
    case 3:
      return fuzz.pick([true, false, -5n, 12n]);
    case 4:
      return fuzz.pick([new Date(fuzz.int(2 ** 40)), { a: "x,y" }, ["=1", 2]]);
    case 5:
      return "";
    default:
      return fuzz.pick(STARTS) + fuzz.text(12) + fuzz.pick(["", ",", '"', "\n", "\r\n", '""']);
  }
}

Deno.test("csvText() writes what csv-stringify wrote, header or not, for hostile text and every kind of value", async () => {
  deepStrictEqual(csvText([]), oracle([]));
  deepStrictEqual(csvText([], ["a", "=b"]), oracle([], ["a", "=b"]));
  deepStrictEqual(csvText([[-3, "-3", 1, "x"]], ["n", "s"]), oracle([[-3, "-3", 1, "x"]], ["n", "s"]));
  await campaign("csv text", 3_000, (fuzz) => {
    const width = 1 + fuzz.int(6);
    const rows = Array.from(
      { length: fuzz.int(5) },
      () => Array.from({ length: fuzz.int(width + 2) }, () => cell(fuzz)),
    );
    const columns = fuzz.chance(0.5)
      ? Array.from({ length: width }, () => fuzz.pick(["name", "=x", "a,b", 'q"', fuzz.text(6)]))
      : undefined;
    deepStrictEqual(
      csvText(rows, columns),
      oracle(rows, columns),
      JSON.stringify([rows, columns], (_, v) => typeof v === "bigint" ? `${v}n` : v),
    );
  });
});
