/**
 * Borderless text tables, as `ss` and `lsof` print them: a header row, then
 * one line per row, columns split by three spaces, no trailing blanks.
 *
 * Hand-written (it replaced cli-table3, which took 2.5 minutes for 26,000
 * rows and overflowed the stack at 200,000): the time is linear in the rows,
 * and the lines come out in chunks, so the first ones can be written before
 * the rest are rendered (`conntrail snapshot | head -1` returns at once).
 * Column widths come from a first pass over the rows that measures the cells
 * without keeping them, so the alignment is exact and memory stays at one
 * chunk of lines.
 *
 * @module
 */
import { displayWidth, isPrintableAscii } from "./display_width.ts";
import { safeLineStart, safeTerminalText } from "./terminal_text.ts";

/**
 * One column: its heading and the text of a row in it. Every cell is made safe for a terminal here,
 * whatever its source (a table is where they all meet: a stored IP, status or risk level is as untrusted as a
 * process name), so cells escaped before come out the same.
 */
export interface TableColumn<T> {
  head: string;
  cell: (row: T) => string;
  /**
   * True when every cell is printable ASCII (addresses, numbers, status words): the measuring pass takes its
   * length, with no test. A wrong hint only misaligns the column: cells are still made safe when written.
   */
  ascii?: boolean;
  /**
   * The width of the row's cell as written (what measuring `cell(row)` would give), without building the
   * cell: the measuring pass of a large table calls it instead of `cell` (an address and port, a number).
   */
  width?: (row: T) => number;
}

/** Options of {@linkcode tableChunks}. */
export interface TableChunksOptions {
  /** Rows per chunk of text; the header goes with the first chunk. */
  rowsPerChunk?: number;
}

const GAP = "   ";
const ROWS_PER_CHUNK = 1000;
/** Padding is cut from this (a slice is cheaper than `" ".repeat` on every cell). */
let spaces = " ".repeat(256);

const asciiWidth = (text: string) => text.length;

/**
 * True for text written as it is: printable ASCII with no `##[`, which a GitHub Actions log would run as a
 * workflow command (in printable ASCII nothing can stand between, see {@linkcode safeTerminalText}).
 */
function isPlain(text: string): boolean {
  return isPrintableAscii(text) && !text.includes("##[");
}

/** A cell as it will be written: plain text as it is, anything else made safe for a terminal. */
function safe(text: string): string {
  return isPlain(text) ? text : safeTerminalText(text);
}

/** The width of a cell as it will be written. */
function safeWidth(text: string): number {
  return isPlain(text) ? text.length : displayWidth(safeTerminalText(text));
}

/** Padding of `n` cells (none when `n` is not positive) and the gap after it, in one string. */
function gapAfter(n: number): string {
  return n > 0 ? padding(n + GAP.length) : GAP;
}

function padding(n: number): string {
  if (n <= 0) return "";
  if (n > spaces.length) spaces = " ".repeat(n * 2);
  return spaces.slice(0, n);
}

/**
 * The table as chunks of whole lines, each line ending in `\n`. Cells must
 * already be safe for a terminal. Widths are measured in terminal cells, so
 * wide characters line up.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { tableChunks } from "./text_table.ts";
 * const columns = [
 *   { head: "PID", cell: (r: { pid: number; name: string }) => String(r.pid) },
 *   { head: "PROCESS", cell: (r: { pid: number; name: string }) => r.name },
 * ];
 * const rows = [{ pid: 1, name: "init" }, { pid: 4211, name: "firefox" }];
 * deepStrictEqual([...tableChunks(columns, rows, { rowsPerChunk: 1 })], [
 *   "PID    PROCESS\n1      init\n",
 *   "4211   firefox\n",
 * ]);
 * ```
 */
export function* tableChunks<T>(
  columns: readonly TableColumn<T>[],
  rows: readonly T[],
  options: TableChunksOptions = {},
): Generator<string> {
  const rowsPerChunk = Math.max(1, options.rowsPerChunk ?? ROWS_PER_CHUNK);
  const widths = columns.map((column) => displayWidth(safe(column.head)));
  const cells = columns.map((column) => column.cell);
  // A column that knows its widths is measured without building its cells (they are built once, to write).
  const measured = columns.map((column) => {
    const { width, cell } = column;
    if (width !== undefined) return width;
    const measure = column.ascii ? asciiWidth : safeWidth;
    return (row: T) => measure(cell(row));
  });
  const last = columns.length - 1;
  for (const row of rows) {
    for (let i = 0; i <= last; i++) {
      const width = (measured[i] as (row: T) => number)(row);
      if (width > (widths[i] as number)) widths[i] = width;
    }
  }
  const line = (texts: readonly string[]) => {
    // Nearly every line is plain throughout: written as it is, padded by length, and tested once
    // whole; only a line that fails the test is put together again cell by cell.
    let out = "";
    for (let i = 0; i < last; i++) {
      const text = texts[i] as string;
      out += text + gapAfter((widths[i] as number) - text.length);
    }
    out += texts[last] ?? "";
    if (isPlain(out)) return (out.charCodeAt(out.length - 1) === 32 ? out.trimEnd() : out) + "\n";
    return mixedLine(texts);
  };
  const mixedLine = (texts: readonly string[]) => {
    let out = "";
    for (let i = 0; i < last; i++) {
      const text = texts[i] as string;
      // Plain text (nearly every cell) is written as it is and measured by its length.
      if (isPlain(text)) out += text + padding((widths[i] as number) - text.length) + GAP;
      else {
        const shown = safeTerminalText(text);
        out += shown + padding((widths[i] as number) - displayWidth(shown)) + GAP;
      }
    }
    return (out + safe(texts[last] ?? "")).trimEnd() + "\n";
  };
  let chunk = line(columns.map((column) => column.head));
  let count = 0;
  const texts: string[] = new Array(columns.length);
  for (const row of rows) {
    for (let i = 0; i <= last; i++) texts[i] = (cells[i] as (row: T) => string)(row);
    // Only a hostile file's value can start a line with a workflow command; the row is then a cell wider.
    texts[0] = safeLineStart(texts[0] as string);
    chunk += line(texts);
    if (++count % rowsPerChunk === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk !== "") yield chunk;
}

/**
 * A whole table as one string, without a final newline: for small tables
 * (`check`, one address's history) and tests.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { plainTable } from "./text_table.ts";
 * deepStrictEqual(plainTable(["ID", "TAKEN"], [["3", "today"], ["10", "-"]]), "ID   TAKEN\n3    today\n10   -");
 * ```
 */
export function plainTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns = head.map((text, i) => ({ head: text, cell: (row: readonly string[]) => row[i] ?? "" }));
  let out = "";
  for (const chunk of tableChunks(columns, rows)) out += chunk;
  return out.slice(0, -1);
}

/**
 * Write a table chunk by chunk, waiting for each write: the way commands
 * stream a table to stdout.
 */
export async function writeTable<T>(
  write: (text: string) => Promise<void>,
  columns: readonly TableColumn<T>[],
  rows: readonly T[],
): Promise<void> {
  for (const chunk of tableChunks(columns, rows)) await write(chunk);
}
