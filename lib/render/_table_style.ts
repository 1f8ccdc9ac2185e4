import Table from "cli-table3";
import { safeTerminalText } from "./terminal_text.ts";

/** cli-table3 characters for a table without borders: columns split by spaces, as `ss` and `lsof` print. */
export const BORDERLESS = {
  top: "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  bottom: "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  left: "",
  "left-mid": "",
  mid: "",
  "mid-mid": "",
  right: "",
  "right-mid": "",
  middle: " ",
};

/**
 * A borderless table as text: a header row, then the rows, columns split by
 * spaces, no trailing blanks. Every cell passes through
 * {@linkcode safeTerminalText} here, whatever its source (a table is the
 * one place all of them meet): a stored IP, status or risk level is as
 * untrusted as a process name.
 */
export function plainTable(head: readonly string[], rows: readonly string[][]): string {
  const table = new Table({
    head: head.map(safeTerminalText),
    style: { head: [], border: [], compact: true },
    chars: BORDERLESS,
  });
  for (const row of rows) table.push(row.map(safeTerminalText));
  return table.toString().split("\n").map((line) => line.trimEnd().replace(/^ /, "")).join("\n");
}
