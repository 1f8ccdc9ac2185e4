/**
 * The few ANSI sequences conntrail writes. Written out here rather than taken
 * from ansi-escapes, which reads the environment when imported and so would
 * add `--allow-env` to every command.
 *
 * @module
 */

/** SGR colours of the timeline symbols and event words. */
export const COLORS = {
  green: "\x1b[32m",
  blue: "\x1b[34m",
  yellow: "\x1b[33m",
  red: "\x1b[31m",
  grey: "\x1b[90m",
  bold: "\x1b[1m",
  inverse: "\x1b[7m",
} as const;

/** A colour name. */
export type Color = keyof typeof COLORS;

/** Ends any colour. */
export const RESET = "\x1b[0m";

/** Screen control. */
export const SCREEN = {
  enterAlternate: "\x1b[?1049h",
  leaveAlternate: "\x1b[?1049l",
  hideCursor: "\x1b[?25l",
  showCursor: "\x1b[?25h",
  home: "\x1b[H",
  clearToEndOfLine: "\x1b[K",
  clearBelow: "\x1b[J",
} as const;

/**
 * Wrap text in a colour when colours are on.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { paint } from "./ansi.ts";
 * deepStrictEqual(paint("x", "red", true), "\x1b[31mx\x1b[0m");
 * deepStrictEqual(paint("x", "red", false), "x");
 * ```
 */
export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled && text !== "" ? `${COLORS[color]}${text}${RESET}` : text;
}
