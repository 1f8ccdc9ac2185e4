import type { DescribeAddress } from "../enrich/address_info.ts";
import { Cell, CELL_NAMES, CELL_SYMBOLS } from "../monitor/timeline.ts";
import type { TrackedRow } from "../monitor/tracked_row.ts";
import type { Tracker } from "../monitor/tracker.ts";
import { type Color, paint } from "./ansi.ts";
import { addressText, rowDetails } from "./row_details.ts";
import { safeTerminalText } from "./terminal_text.ts";

/** Orders the `s` key steps through. */
export const SORT_ORDERS = ["activity", "recent", "name"] as const;

/** A row order. */
export type SortOrder = typeof SORT_ORDERS[number];

/** A terminal size in character cells. */
export interface ScreenSize {
  columns: number;
  rows: number;
}

/** Options of a {@linkcode Dashboard}. */
export interface DashboardOptions {
  timeUnitSeconds: number;
  /** Timeline characters at most (`-w`); fewer when the terminal is narrower. */
  width: number;
  color: boolean;
  describe: DescribeAddress;
  /** What a row is: `IPs`, `processes`, `connections`. */
  rowNoun: string;
  /** Rows to draw in the alert colour. */
  isAlerted?: (row: TrackedRow) => boolean;
}

/** What a key press asks the program to do. */
export type KeyAction = "quit" | "redraw" | "none";

const CELL_COLORS: readonly Color[] = ["grey", "green", "blue", "yellow", "red"];
const LEGEND_ORDER = [Cell.New, Cell.Active, Cell.Listening, Cell.Closed, Cell.Nothing];
const LABEL_MAX = 46;
const HEADER_LINES = 4;
const DETAILS_ROOM = 36;

function cut(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join("") : chars.slice(0, width - 1).join("") + "…";
}

function pad(text: string, width: number): string {
  const length = [...text].length;
  return length >= width ? text : text + " ".repeat(width - length);
}

function compareRows(order: SortOrder): (a: TrackedRow, b: TrackedRow) => number {
  // Listening rows come after the peers this machine talks to, except in name order.
  const listeningLast = (a: TrackedRow, b: TrackedRow) => Number(a.listening) - Number(b.listening);
  switch (order) {
    case "activity":
      return (a, b) =>
        listeningLast(a, b) || b.activeColumns - a.activeColumns || b.lastColumn - a.lastColumn ||
        a.label.localeCompare(b.label);
    case "recent":
      return (a, b) =>
        b.firstColumn - a.firstColumn || b.lastColumn - a.lastColumn || a.label.localeCompare(b.label);
    case "name":
      return (a, b) => a.label.localeCompare(b.label, undefined, { numeric: true });
  }
}

/**
 * The refresh-mode screen as a state machine: `render(size)` draws the
 * tracker's rows into a frame of exactly that size, `onKey` handles q, p, s.
 * Pausing freezes the rows shown while tracking goes on.
 */
export class Dashboard {
  readonly #tracker: Tracker;
  readonly #options: DashboardOptions;
  #sort: SortOrder = "activity";
  #paused = false;
  /** While paused: the frame shown, and the size it was drawn for. */
  #frozen: { size: string; frame: string } | null = null;

  constructor(tracker: Tracker, options: DashboardOptions) {
    this.#tracker = tracker;
    this.#options = options;
  }

  get paused(): boolean {
    return this.#paused;
  }

  get sort(): SortOrder {
    return this.#sort;
  }

  /** Handle one key: `q` (or Ctrl+C) quits, `p` pauses or resumes, `s` changes the sort. */
  onKey(key: string): KeyAction {
    switch (key) {
      case "q":
      case "Q":
      case "\x03":
        return "quit";
      case "p":
      case "P":
        this.#paused = !this.#paused;
        this.#frozen = null;
        return "redraw";
      case "s":
      case "S":
        this.#sort = SORT_ORDERS[(SORT_ORDERS.indexOf(this.#sort) + 1) % SORT_ORDERS.length] ?? "activity";
        this.#frozen = null;
        return "redraw";
      default:
        return "none";
    }
  }

  #sortedRows(): TrackedRow[] {
    return [...this.#tracker.rows()].sort(compareRows(this.#sort));
  }

  /**
   * Draw one frame of exactly `size.rows` lines, none wider than `size.columns`.
   * While paused the same frame comes back until the size or the sort changes.
   */
  render(size: ScreenSize): string {
    const key = `${size.columns}x${size.rows}`;
    if (this.#paused && this.#frozen?.size === key) return this.#frozen.frame;
    const frame = this.#draw(size);
    if (this.#paused) this.#frozen = { size: key, frame };
    return frame;
  }

  #draw(size: ScreenSize): string {
    const { color } = this.#options;
    const columns = Math.max(20, size.columns);
    const rows = this.#sortedRows();
    const column = this.#tracker.column;
    const started = this.#tracker.startedAt?.getTime() ?? 0;
    const runtime = Math.round(((this.#tracker.lastPollAt?.getTime() ?? started) - started) / 1000);
    const title = `conntrail — network connection monitor${this.#paused ? "  [PAUSED]" : ""}`;
    const status = `Time: ${runtime}s | Interval: ${this.#options.timeUnitSeconds}s | ` +
      `${this.#options.rowNoun}: ${this.#tracker.activeRowCount} active, ${this.#tracker.uniqueRowCount} seen | ` +
      `Sort: ${this.#sort}`;
    const legendParts = LEGEND_ORDER.map((cell) => ({
      symbol: CELL_SYMBOLS[cell] ?? "",
      name: CELL_NAMES[cell] ?? "",
      color: CELL_COLORS[cell] ?? "grey",
    }));
    const legend = legendParts.map((p) => `${paint(p.symbol, p.color, color)} ${p.name}`).join("   ");
    const legendWidth = legendParts.map((p) => `${p.symbol} ${p.name}`).join("   ").length;
    const keys = "q quit  p pause  s sort";
    const lines = [
      paint(cut(title, columns), "bold", color),
      cut(status, columns),
      legendWidth + 2 + keys.length <= columns ? `${legend}  ${paint(keys, "grey", color)}` : legend,
      "",
    ];

    const available = Math.max(0, size.rows - HEADER_LINES);
    const shown = rows.length > available ? Math.max(0, available - 1) : rows.length;
    const labels = rows.slice(0, shown).map((row) => this.#label(row));
    const labelWidth = Math.min(LABEL_MAX, Math.max(7, ...labels.map((l) => [...l].length)));
    // The details after the timeline keep some room; the timeline gives way first on a narrow screen.
    const room = columns - labelWidth - 2;
    const timelineWidth = Math.max(
      1,
      Math.min(this.#options.width, Math.max(room - DETAILS_ROOM, Math.floor(room * 0.6))),
    );
    for (let i = 0; i < shown; i++) {
      const row = rows[i] as TrackedRow;
      const label = pad(cut(labels[i] ?? "", labelWidth), labelWidth);
      const cells = row.timeline.visible(column).subarray(-timelineWidth);
      const details = rowDetails(row, row.ip === null ? {} : this.#options.describe(row.ip));
      const detailsRoom = room - timelineWidth;
      const alerted = this.#options.isAlerted?.(row) ?? false;
      lines.push(
        `${paint(label, alerted ? "red" : row.openConnections > 0 ? "bold" : "grey", color)} ` +
          this.#timelineText(cells) + (detailsRoom > 1 ? " " + cut(details, detailsRoom - 1) : ""),
      );
    }
    if (shown < rows.length) {
      lines.push(paint(cut(`… ${rows.length - shown} more rows`, columns), "grey", color));
    }
    while (lines.length < size.rows) lines.push("");
    return lines.slice(0, size.rows).join("\n");
  }

  #label(row: TrackedRow): string {
    if (row.ip !== null && this.#options.rowNoun === "IPs" && !row.listening) {
      return addressText(row.ip, this.#options.describe(row.ip).hostname);
    }
    return safeTerminalText(row.label);
  }

  #timelineText(cells: Uint8Array): string {
    if (!this.#options.color) return Array.from(cells, (c) => CELL_SYMBOLS[c] ?? "·").join("");
    let out = "";
    let i = 0;
    while (i < cells.length) {
      const cell = cells[i] ?? 0;
      let j = i;
      while (j < cells.length && cells[j] === cell) j++;
      out += paint((CELL_SYMBOLS[cell] ?? "·").repeat(j - i), CELL_COLORS[cell] ?? "grey", true);
      i = j;
    }
    return out;
  }
}
