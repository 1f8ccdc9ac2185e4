import { safeLineStart, safeTerminalText } from "./terminal_text.ts";

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
  let out = columns === undefined ? "" : csvRecord(columns, columns.length);
  for (const row of rows) out += csvRecord(row, columns?.length ?? row.length);
  return out;
}

// Written by hand to write, byte for byte, what csv-stringify wrote with header, columns,
// escape_formulas and casts of numbers to String and strings to safeTerminalText (held to it by
// tests/render/csv_text_test.ts): that package reads Node's Buffer global, so loading it loaded
// Deno's Node layer (~+5 MiB of RSS at import) into every monitor run.

/** A spreadsheet runs a cell as a formula when it starts with one of these (and full-width `=`, `+`, `-`, `@`). */
const FORMULA_START = /^[=+@\t\r\uff1d\uff0b\uff0d\uff20-]/;

function cellText(value: unknown): string {
  switch (typeof value) {
    case "string":
      return safeTerminalText(value);
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "1" : "";
    case "object":
      if (value === null) return "";
      return value instanceof Date ? String(value.getTime()) : JSON.stringify(value);
    default:
      return "";
  }
}

function csvCell(field: unknown): string {
  let text = cellText(field);
  if (text === "") return "";
  const quote = text.includes(",") || text.includes('"') || text.includes("\n") || text.includes("\r");
  // A negative number is a number, not a formula.
  if (
    FORMULA_START.test(text) && !(text[0] === "-" && (typeof field === "number" || typeof field === "bigint"))
  ) {
    text = `'${text}`;
  }
  if (text.includes('"')) text = text.replaceAll('"', '""');
  return quote ? `"${text}"` : text;
}

function csvRecord(fields: readonly unknown[], width: number): string {
  let line = "";
  const count = Math.min(fields.length, width);
  // A record's first field starts a line: no workflow command may start there (see safeLineStart).
  for (let i = 0; i < count; i++) {
    line += i === 0 ? safeLineStart(csvCell(fields[i])) : "," + csvCell(fields[i]);
  }
  return line + "\n";
}
