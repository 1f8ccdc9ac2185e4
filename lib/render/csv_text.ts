import { stringify } from "csv-stringify/sync";
import { safeTerminalText } from "./terminal_text.ts";

/**
 * Rows as CSV, the one way conntrail writes CSV (snapshots, logs, history).
 * CSV is read in terminals and spreadsheets, so every text cell is made safe
 * as the table does it ({@linkcode safeTerminalText}: ESC, C1 controls, bidi
 * overrides and line breaks become visible `\xNN` / `\uNNNN` text), and a
 * cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) is
 * prefixed with `'`. Numbers are written as they are; null is an empty cell.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { csvText } from "./csv_text.ts";
 * deepStrictEqual(csvText([["=cmd()", "evil\x1b[2J\u202e", 443, null]], ["name", "path", "port", "user"]),
 *   "name,path,port,user\n'=cmd(),evil\\x1b[2J\\u202e,443,\n");
 * ```
 */
export function csvText(rows: readonly (readonly unknown[])[], columns?: readonly string[]): string {
  return stringify(rows.map((row) => [...row]), {
    header: columns !== undefined,
    ...(columns === undefined ? {} : { columns: [...columns] }),
    escape_formulas: true,
    cast: { number: (n) => String(n), string: safeTerminalText },
  });
}
