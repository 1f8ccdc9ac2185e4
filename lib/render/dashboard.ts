import type { DescribeAddress } from "../model/address_info.ts";
import { clockTime } from "../model/timestamp.ts";
import type { PollInfo } from "../model/poll_info.ts";
import { Cell, CELL_NAMES, CELL_SYMBOLS } from "../model/timeline.ts";
import type { TimelineView } from "../model/timeline_view.ts";
import { type Color, paint } from "./ansi.ts";
import {
  type DashboardRow,
  freezeRow,
  rowMatches,
  SORT_ORDERS,
  type SortOrder,
  sortRows,
} from "./dashboard_rows.ts";
import { layoutRow, NUMBER_COLUMNS } from "./dashboard_layout.ts";
import { cutToWidth, displayWidth, padToWidth } from "./display_width.ts";
import { elapsedText } from "./elapsed_text.ts";
import { intervalText } from "./interval_text.ts";
import { addressText, essentialDetailsWidth, peerName, rowDetails } from "./row_details.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { RATE_SPANS, type TrafficRate } from "../model/traffic_ledger.ts";
import { rateCell, trafficHeader } from "./traffic_text.ts";

export { SORT_ORDERS, type SortOrder };

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
  /** Why a row was alerted (alerted rows are pinned on top and drawn in red), or null. */
  alertOf?: (row: DashboardRow) => string | null;
  /** Alerts raised so far, for the header. */
  alertCount?: () => number;
  /** The monitor's filters, as the status line names them (`--filter-local`); empty when none. */
  filterNames?: string;
  /** The clock notes are stamped with. */
  now?: () => Date;
}

/** What a key press asks the program to do. */
export type KeyAction = "quit" | "redraw" | "none";

// Idle (an open row that moved nothing, --traffic) is drawn dim: the Active colour would say it moves data.
const CELL_COLORS: readonly Color[] = ["grey", "green", "blue", "yellow", "red", "grey"];
const LEGEND_ORDER = [Cell.New, Cell.Active, Cell.Listening, Cell.Closed, Cell.Nothing];
const TRAFFIC_LEGEND_ORDER = [Cell.New, Cell.Active, Cell.Idle, Cell.Listening, Cell.Closed, Cell.Nothing];
const HEADER_LINES = 4;
const KEYS = "q quit  p pause  s sort  / filter  ? keys";
const SHORT_KEYS = "? keys";
const NOTES_KEPT = 50;
const LABEL_HEADS: Record<string, string> = {
  IPs: "ADDRESS",
  processes: "PROCESS",
  connections: "CONNECTION",
};

const HELP = [
  "Keys",
  "  ↑ ↓  j k        scroll one row",
  "  PgUp PgDn       scroll one page",
  "  Home End        first row, last row",
  "  /               filter rows: type, Enter keeps it, Esc clears it",
  "  s               sort: activity, most recent, name (addresses in numeric order), rate",
  "  p               pause the screen (tracking goes on)",
  "  ?               these keys (any key closes them)",
  "  q  Ctrl+C       quit",
  "",
  "Rows with an alert stay on top, in red, with the reason; SOCK is the sockets open now.",
  "The timeline has one cell per time unit, newest on the right: ▲ new ■ active ○ listen × closed · none.",
  "RATE (--traffic): ↑ sent ↓ received per second over the last poll; □ an open row that moved nothing.",
];

/** What a frame shows of the tracker: live, or frozen while paused. */
interface View {
  rows: readonly DashboardRow[];
  column: number;
  runtimeSeconds: number;
  activeRows: number;
  uniqueRows: number;
  poll: PollInfo | null;
  /** A row's rate over the last poll (`--traffic`), as the frame shows it; null without counters. */
  rateOf: (row: DashboardRow) => TrafficRate | null;
}

/**
 * The refresh-mode screen as a state machine: `render(size)` draws the
 * tracker's rows into a frame of exactly that size, `onKey` takes the keys
 * (names as {@linkcode KeyDecoder} gives them). Rows scroll; alerted rows are
 * pinned on top; `/` filters; `?` shows the keys; `p` freezes the rows shown
 * while tracking goes on (scrolling, sorting and filtering still work on
 * them). The last line says which rows are shown, what filters hide, and the
 * latest note. With `--traffic` (a tracker that counts bytes) the header
 * carries the machine's rate and totals, a RATE column shows each row's
 * bytes per second, `s` steps to the rate order, and the timeline draws `□`
 * for an open row that moved nothing.
 */
export class Dashboard {
  readonly #tracker: TimelineView;
  readonly #options: DashboardOptions;
  readonly #now: () => Date;
  #sort: SortOrder = "activity";
  #paused = false;
  #frozen: View | null = null;
  #poll: PollInfo | null = null;
  #offset = 0;
  /** After End: stay at the last row as rows come (as `tail -f` does), until a key scrolls up. */
  #followEnd = false;
  /** Rows one page scrolls: the scroll region of the last frame. */
  #page = 10;
  #filter = "";
  #typing = false;
  #help = false;
  #notes: string[] = [];
  #noteCount = 0;
  /** The rows of the last frame, in order: the next sort starts from it. */
  #lastOrder: DashboardRow[] = [];

  constructor(tracker: TimelineView, options: DashboardOptions) {
    this.#tracker = tracker;
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
  }

  get paused(): boolean {
    return this.#paused;
  }

  get sort(): SortOrder {
    return this.#sort;
  }

  /** The `/` filter in force. */
  get filter(): string {
    return this.#filter;
  }

  /** After each poll: how the polls go and what the monitor's filters hid. */
  onPoll(info: PollInfo | undefined): void {
    if (info !== undefined) this.#poll = info;
  }

  /** A note for the status line (a list re-read, a rate limit); it is also printed at exit. */
  note(line: string): void {
    this.#notes.push(`${clockTime(this.#now())} ${safeTerminalText(line)}`);
    if (this.#notes.length > NOTES_KEPT) this.#notes.shift();
    this.#noteCount++;
  }

  /**
   * Handle one key: `q` (or Ctrl+C) quits, `p` pauses or resumes, `s` changes
   * the sort, arrows/`j`/`k`/PgUp/PgDn/Home/End scroll, `/` starts a filter
   * (typed keys go into it until Enter or Esc), `?` shows the keys.
   */
  onKey(key: string): KeyAction {
    if (key === "\x03") return "quit";
    if (this.#typing) return this.#typeFilter(key);
    if (this.#help) {
      this.#help = false;
      return "redraw";
    }
    switch (key) {
      case "q":
      case "Q":
        return "quit";
      case "p":
      case "P":
        this.#paused = !this.#paused;
        this.#frozen = null;
        return "redraw";
      case "s":
      case "S":
        {
          const orders: readonly SortOrder[] = this.#tracker.traffic === null
            ? SORT_ORDERS.filter((o) => o !== "rate")
            : SORT_ORDERS;
          this.#sort = orders[(orders.indexOf(this.#sort) + 1) % orders.length] ?? "activity";
        }
        return "redraw";
      case "?":
        this.#help = true;
        return "redraw";
      case "/":
        this.#typing = true;
        return "redraw";
      case "escape":
        if (this.#filter === "") return "none";
        this.#filter = "";
        this.#toTop();
        return "redraw";
      case "up":
      case "k":
        return this.#scrollBy(-1);
      case "down":
      case "j":
        return this.#scrollBy(1);
      case "pageup":
        return this.#scrollBy(-this.#page);
      case "pagedown":
      case " ":
        return this.#scrollBy(this.#page);
      case "home":
      case "g":
        return this.#scrollBy(-Infinity);
      case "end":
      case "G":
        return this.#scrollBy(Infinity);
      default:
        return "none";
    }
  }

  #typeFilter(key: string): KeyAction {
    if (key === "enter") this.#typing = false;
    else if (key === "escape") {
      this.#typing = false;
      this.#filter = "";
    } else if (key === "backspace") this.#filter = [...this.#filter].slice(0, -1).join("");
    else if (key === "\x15") this.#filter = ""; // Ctrl+U
    else if ([...key].length === 1 && key >= " ") this.#filter += key;
    else return "none";
    this.#toTop();
    return "redraw";
  }

  #toTop(): void {
    this.#offset = 0;
    this.#followEnd = false;
  }

  #scrollBy(rows: number): KeyAction {
    if (rows === Infinity) {
      const already = this.#followEnd;
      this.#followEnd = true;
      return already ? "none" : "redraw";
    }
    if (rows < 0) this.#followEnd = false;
    const before = this.#offset;
    // Clamped to the rows when the next frame is drawn.
    this.#offset = Math.max(0, this.#offset + rows);
    return this.#offset === before ? "none" : "redraw";
  }

  #liveView(): View {
    const started = this.#tracker.startedAt?.getTime() ?? 0;
    const ledger = this.#tracker.traffic;
    return {
      rateOf: ledger === null
        ? () => null
        : (row) => (row.traffic === null ? null : ledger.rate(row.traffic, RATE_SPANS.tick)),
      rows: [...this.#tracker.rows()],
      column: this.#tracker.column,
      runtimeSeconds: Math.round(((this.#tracker.lastPollAt?.getTime() ?? started) - started) / 1000),
      activeRows: this.#tracker.activeRowCount,
      uniqueRows: this.#tracker.uniqueRowCount,
      poll: this.#poll,
    };
  }

  #view(): View {
    if (!this.#paused) return this.#liveView();
    if (this.#frozen === null) {
      const live = this.#liveView();
      const rates = new Map(live.rows.map((row) => [row.key, live.rateOf(row)]));
      this.#frozen = {
        ...live,
        rows: live.rows.map((row) => freezeRow(row, live.column)),
        rateOf: (row) => rates.get(row.key) ?? null,
      };
    }
    return this.#frozen;
  }

  /** Draw one frame of exactly `size.rows` lines, none wider than `size.columns` cells. */
  render(size: ScreenSize): string {
    const columns = Math.max(20, size.columns);
    const view = this.#view();
    const alertOf = this.#options.alertOf ?? (() => null);
    let rows = view.rows;
    const filter = this.#filter;
    if (filter !== "") {
      const { describe } = this.#options;
      rows = rows.filter((row) =>
        rowMatches(row, row.ip === null ? {} : describe(row.ip), alertOf(row), filter)
      );
    }
    const { sorted, alerted } = sortRows(
      rows,
      this.#sort,
      (row) => alertOf(row) !== null,
      this.#lastOrder,
      view.rateOf,
    );
    this.#lastOrder = sorted;

    const lines = this.#header(view, columns);
    const body = Math.max(0, size.rows - HEADER_LINES - 1);
    let shown = { first: 0, last: 0, pinned: 0 };
    if (this.#help) {
      for (const line of HELP.slice(0, body)) lines.push(cutToWidth(line, columns));
    } else {
      const pinned = Math.min(alerted, Math.max(1, Math.floor(body / 2)));
      const scrollable = sorted.length - pinned;
      const region = Math.max(0, body - pinned);
      this.#page = Math.max(1, region);
      const last = Math.max(0, scrollable - region);
      this.#offset = this.#followEnd ? last : Math.min(this.#offset, last);
      const visible = [
        ...sorted.slice(0, pinned),
        ...sorted.slice(pinned + this.#offset, pinned + this.#offset + region),
      ];
      shown = { first: this.#offset + 1, last: this.#offset + visible.length - pinned, pinned };
      lines.push(...this.#rows(visible, view, columns, lines));
    }
    while (lines.length < size.rows - 1) lines.push("");
    if (size.rows > HEADER_LINES) lines.push(this.#statusLine(sorted.length, view, shown, columns));
    return lines.slice(0, size.rows).join("\n");
  }

  #header(view: View, columns: number): string[] {
    const { color } = this.#options;
    const title = `conntrail — network connection monitor${this.#paused ? "  [PAUSED]" : ""}`;
    const alerts = this.#options.alertCount?.() ?? 0;
    const alertText = alerts > 0 ? `ALERTS: ${alerts}` : "";
    const poll = view.poll;
    const status = cutToWidth(
      `Time: ${view.runtimeSeconds}s | ` +
        `${intervalText(this.#options.timeUnitSeconds, poll === null ? null : poll.recentMs / 1000)} | ` +
        (alertText === "" ? "" : `${alertText} | `) +
        `${this.#options.rowNoun}: ${view.activeRows} active, ${view.uniqueRows} seen | ` +
        `Sort: ${this.#sort}` +
        (this.#filter === "" ? "" : ` | Filter: /${safeTerminalText(this.#filter)}`) +
        // What the user chose (order, filter) comes before the traffic totals, which a narrow screen may cut.
        (this.#tracker.traffic === null ? "" : ` | ${trafficHeader(this.#tracker.traffic)}`),
      columns,
    );
    // As many legend entries as fit (all of them from 48 columns), then the keys if they fit too.
    const entries = (this.#tracker.traffic === null ? LEGEND_ORDER : TRAFFIC_LEGEND_ORDER).map((cell) => ({
      plain: `${CELL_SYMBOLS[cell] ?? ""} ${CELL_NAMES[cell] ?? ""}`,
      painted: `${paint(CELL_SYMBOLS[cell] ?? "", CELL_COLORS[cell] ?? "grey", color)} ${
        CELL_NAMES[cell] ?? ""
      }`,
    }));
    let legendWidth = -3;
    let legend = "";
    for (const entry of entries) {
      if (legendWidth + 3 + entry.plain.length > columns) break;
      legend += (legend === "" ? "" : "   ") + entry.painted;
      legendWidth += 3 + entry.plain.length;
    }
    const keys = legendWidth + 2 + KEYS.length <= columns
      ? KEYS
      : legendWidth + 2 + SHORT_KEYS.length <= columns
      ? SHORT_KEYS
      : "";
    return [
      paint(cutToWidth(title, columns), "bold", color),
      alertText !== "" && color && status.includes(alertText)
        ? status.replace(alertText, paint(alertText, "red", true))
        : status,
      keys === "" ? legend : `${legend}  ${paint(keys, "grey", color)}`,
      "",
    ];
  }

  /** The rows' lines; also writes the column headings into the header's last line. */
  #rows(visible: readonly DashboardRow[], view: View, columns: number, header: string[]): string[] {
    const { color, describe } = this.#options;
    const alertOf = this.#options.alertOf ?? (() => null);
    const labels = visible.map((row) => this.#label(row));
    const numberColumns = this.#tracker.traffic === null ? NUMBER_COLUMNS : [
      ...NUMBER_COLUMNS,
      { head: "RATE", text: (row: DashboardRow) => rateCell(view.rateOf(row)).trimEnd() },
    ];
    const numbers = numberColumns.map((column) =>
      Math.max(displayWidth(column.head), ...visible.map((row) => displayWidth(column.text(row))))
    );
    let essential = 0;
    let labelYields = 0;
    let full = 0;
    const infos = visible.map((row) => (row.ip === null ? {} : describe(row.ip)));
    for (const [i, row] of visible.entries()) {
      essential = Math.max(essential, essentialDetailsWidth(row, alertOf(row)));
      labelYields = Math.max(labelYields, essentialDetailsWidth(row));
      full = Math.max(full, displayWidth(rowDetails(row, infos[i] ?? {}, { alert: alertOf(row) })));
    }
    // The cells the tracker keeps (its -w) bound the timeline too.
    const kept = visible[0]?.timeline.visible(view.column).length ?? this.#options.width;
    const layout = layoutRow(columns, {
      label: Math.max(0, ...labels.map(displayWidth)),
      numbers,
      essential,
      // A connection's label is what tells its row from the next (a farm's rows differ only in ports): it
      // gives way for states, ports and process, not for an alert's reason. An address cut is still told
      // apart by its details, and gives way as before.
      ...(this.#options.rowNoun === "connections" ? { labelYields } : {}),
      full,
      timeline: Math.min(this.#options.width, kept),
    });
    const numberText = (texts: readonly string[]) =>
      numberColumns.map((_, i) => (texts[i] ?? "").padStart(layout.numbers[i] ?? 0)).join(" ");
    const span = elapsedText(layout.timeline * this.#options.timeUnitSeconds);
    header[HEADER_LINES - 1] = paint(
      padToWidth(LABEL_HEADS[this.#options.rowNoun] ?? "", layout.label) + " " +
        numberText(numberColumns.map((c) => c.head)) + " " +
        padToWidth(cutToWidth(`LAST ${span}`, layout.timeline), layout.timeline) +
        (layout.details > 1 ? " " + cutToWidth("DETAILS", layout.details - 1) : ""),
      "grey",
      color,
    ).trimEnd();
    return visible.map((row, i) => {
      const alert = alertOf(row);
      const label = padToWidth(this.#fitLabel(row, labels[i] ?? "", layout.label), layout.label);
      const labelColor: Color = alert !== null ? "red" : row.openConnections > 0 ? "bold" : "grey";
      const cells = layout.timeline === 0
        ? new Uint8Array(0)
        : row.timeline.visible(view.column).subarray(-layout.timeline);
      const details = layout.details > 1
        ? " " + rowDetails(row, infos[i] ?? {}, { alert, width: layout.details - 1 })
        : "";
      return `${paint(label, labelColor, color)} ${numberText(numberColumns.map((c) => c.text(row)))} ` +
        this.#timelineText(cells) + details;
    });
  }

  #statusLine(
    total: number,
    view: View,
    shown: { first: number; last: number; pinned: number },
    columns: number,
  ): string {
    const { color, rowNoun } = this.#options;
    if (this.#typing) {
      return cutToWidth(
        `/${safeTerminalText(this.#filter)}▏  Enter keeps the filter, Esc clears it`,
        columns,
      );
    }
    const parts: string[] = [];
    const rows = total === 0 ? `no ${rowNoun}` : `${total} ${rowNoun}`;
    const scrolled = total - shown.pinned > shown.last - shown.first + 1 || shown.first > 1;
    parts.push(
      rows + (shown.pinned > 0 ? ` (${shown.pinned} alerted on top)` : "") +
        (scrolled && !this.#help ? `, showing ${shown.first}–${shown.last} (↑↓ PgUp PgDn)` : ""),
    );
    if (this.#filter !== "") {
      parts.push(`/${safeTerminalText(this.#filter)}: ${view.rows.length - total} hidden (Esc clears)`);
    }
    const hidden = view.poll?.hiddenRows ?? 0;
    if (hidden > 0) {
      parts.push(`${hidden} ${rowNoun} hidden by ${this.#options.filterNames || "the filters"}`);
    }
    const latest = this.#notes.at(-1);
    if (latest !== undefined) {
      // Every note is printed again when the screen is restored.
      parts.push((this.#noteCount > 1 ? `[${this.#noteCount} notes] ` : "") + latest);
    }
    return paint(cutToWidth(parts.join(" | "), columns), "grey", color);
  }

  /** A label in `width` cells: a name that does not fit gives way to the address it names. */
  #fitLabel(row: DashboardRow, label: string, width: number): string {
    if (displayWidth(label) <= width) return label;
    if (row.ip !== null && !row.listening && this.#options.rowNoun === "IPs") {
      return cutToWidth(row.ip, width);
    }
    if (this.#options.rowNoun === "connections") return fitConnectionLabel(label, width);
    return cutToWidth(label, width);
  }

  #label(row: DashboardRow): string {
    if (row.ip !== null && this.#options.rowNoun === "IPs" && !row.listening) {
      return addressText(row.ip, peerName(this.#options.describe(row.ip)));
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

/**
 * `TCP 10.0.0.2:50000 → 8.8.8.8:443`, as the tracker labels a connection row. The arrows are spelt
 * `\u2190` and `\u2192` so the bundle stays ASCII (scripts/bundle.ts).
 */
const CONNECTION_LABEL = /^(\S+) (\S+):(\d+) ([\u2190\u2192]) (\S+:\d+)$/u;

/**
 * A connection's label in `width` cells. Cut at its end, every row of a farm
 * of connections to one peer read the same (`TCP 127.0.0.1:3…` at 80 columns,
 * the remote port lost at 140): the local port, which tells them apart, and
 * the remote end stay, and the protocol, then the local address, give way
 * first (bandwhich shows `:port => remote:port`); then the remote address is
 * cut from its left, keeping its port.
 */
function fitConnectionLabel(label: string, width: number): string {
  const parts = CONNECTION_LABEL.exec(label);
  if (parts === null) return cutToWidth(label, width);
  const [, , localIp, localPort, arrow, remote] = parts;
  for (const text of [`${localIp}:${localPort} ${arrow} ${remote}`, `:${localPort} ${arrow} ${remote}`]) {
    if (displayWidth(text) <= width) return text;
  }
  const head = `:${localPort} ${arrow} …`;
  const room = width - displayWidth(head);
  if (room < 4) return cutToWidth(`:${localPort} ${arrow} ${remote}`, width);
  return head + [...(remote ?? "")].slice(-room).join("");
}
