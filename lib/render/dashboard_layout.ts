/**
 * How a dashboard row is laid out across the screen: the label, the narrow
 * number columns, the timeline and the details bracket, and who gives way on
 * a narrow screen.
 *
 * @module
 */
import type { DashboardRow } from "./dashboard_rows.ts";

/**
 * A narrow right-aligned column between the label and the timeline. Another
 * one (a rate) is a new entry in {@linkcode NUMBER_COLUMNS}; the layout makes
 * room for it.
 */
export interface NumberColumn {
  head: string;
  text: (row: DashboardRow) => string;
}

/** The number columns, in screen order. */
export const NUMBER_COLUMNS: readonly NumberColumn[] = [
  { head: "SOCK", text: (row) => String(row.openConnections) },
];

/** What the rows on screen want. */
export interface LayoutWants {
  /** The widest label. */
  label: number;
  /** Each number column's widest text (its heading included). */
  numbers: readonly number[];
  /** The widest details bracket with what must stay (states, ports, process, the start of an alert's reason). */
  essential: number;
  /**
   * The widest bracket the label gives way for, when that is less than `essential`: the dashboard gives
   * connection rows' states, ports and process, without an alert's reason (cut, a farm's connection labels
   * all read the same). Defaults to `essential`.
   */
  labelYields?: number;
  /** The widest details bracket in full. */
  full: number;
  /** `-w`: the timeline's most cells. */
  timeline: number;
}

/** Widths in cells; `details` counts the space before the bracket (0: no details). */
export interface Layout {
  label: number;
  numbers: readonly number[];
  timeline: number;
  details: number;
}

const LABEL_MAX = 46;
const LABEL_MIN = 7;
/** The label gives way down to this, after the timeline. */
const LABEL_SHRUNK = 16;
const TIMELINE_MIN = 10;
/** The details' share before issue 23: at least 36 cells or 40 % of the room. */
const DETAILS_SHARE = 36;

/**
 * Widths for a screen `columns` wide. The details keep room for their states,
 * ports and process: the timeline gives way first (down to 10 cells), then the
 * label (down to 16), and only then is the process cut. On a wide screen the
 * timeline grows to `-w` and the details get the rest.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { layoutRow } from "./dashboard_layout.ts";
 * const wants = { label: 20, numbers: [4], essential: 41, full: 60, timeline: 80 };
 * deepStrictEqual(layoutRow(80, wants), { label: 20, numbers: [4], timeline: 12, details: 42 });
 * deepStrictEqual(layoutRow(200, wants), { label: 20, numbers: [4], timeline: 80, details: 94 });
 * ```
 */
export function layoutRow(columns: number, wants: LayoutWants): Layout {
  let label = Math.min(LABEL_MAX, Math.max(LABEL_MIN, wants.label));
  const numbers = wants.numbers;
  const fixed = numbers.reduce((sum, width) => sum + width + 1, 0);
  let room = columns - label - 1 - fixed;
  const maxTimeline = Math.max(1, wants.timeline);
  // The details' share of old, but never less than what must stay nor more than they need.
  const oldTimeline = Math.min(
    maxTimeline,
    Math.max(room - DETAILS_SHARE, Math.floor(Math.max(0, room) * 0.6)),
  );
  const detailsWant = Math.min(wants.full + 1, Math.max(wants.essential + 1, room - oldTimeline));
  const timelineMin = Math.min(TIMELINE_MIN, maxTimeline);
  let timeline = Math.min(maxTimeline, Math.max(timelineMin, room - detailsWant));
  const short = (wants.labelYields ?? wants.essential) + 1 - (room - timeline);
  if (short > 0 && label > LABEL_SHRUNK) {
    const give = Math.min(short, label - LABEL_SHRUNK);
    label -= give;
    room += give;
  }
  if (room < 0) {
    // Too narrow even for the label and the numbers: the label is cut.
    label = Math.max(1, label + room);
    room = 0;
  }
  if (timeline > room) timeline = room;
  const details = room - timeline;
  return { label, numbers, timeline, details: details > 1 ? details : 0 };
}
