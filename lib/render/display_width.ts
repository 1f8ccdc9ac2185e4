/**
 * How wide text is on a terminal, in character cells. Hand-written for the
 * common case (printable ASCII: one cell per character, decided by one regex
 * test) because tables measure every cell; anything else goes to
 * `string-width`, which knows East Asian wide characters, combining marks and
 * emoji.
 *
 * @module
 */
import stringWidth from "string-width";

/** Anything but printable ASCII (finding one is faster than matching the whole text). */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;

/**
 * Terminal cells `text` takes: 2 for a wide (CJK) character or an emoji, 0 for a combining mark.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { displayWidth } from "./display_width.ts";
 * deepStrictEqual([displayWidth("curl"), displayWidth("火狐"), displayWidth("cafe\u0301")], [4, 4, 4]);
 * ```
 */
export function displayWidth(text: string): number {
  return NOT_PRINTABLE_ASCII.test(text) ? stringWidth(text) : text.length;
}

const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });

/**
 * `text` cut to at most `width` cells, ending in `…` when something was cut;
 * never splits a character (or a character and its combining marks).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { cutToWidth } from "./display_width.ts";
 * deepStrictEqual(cutToWidth("firefox-esr", 8), "firefox…");
 * deepStrictEqual(cutToWidth("火狐浏览器", 6), "火狐…");
 * deepStrictEqual(cutToWidth("curl", 8), "curl");
 * ```
 */
export function cutToWidth(text: string, width: number): string {
  if (width <= 0) return "";
  if (!NOT_PRINTABLE_ASCII.test(text)) {
    if (text.length <= width) return text;
    return width === 1 ? text.slice(0, 1) : text.slice(0, width - 1) + "…";
  }
  if (stringWidth(text) <= width) return text;
  const room = width === 1 ? 1 : width - 1;
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > room) break;
    out += segment;
    used += w;
  }
  return width === 1 ? out : out + "…";
}

/**
 * `text` followed by spaces up to `width` cells (unchanged when it is as wide or wider).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { padToWidth } from "./display_width.ts";
 * deepStrictEqual(padToWidth("火狐", 6) + "|", "火狐  |");
 * ```
 */
export function padToWidth(text: string, width: number): string {
  const w = displayWidth(text);
  return w >= width ? text : text + " ".repeat(width - w);
}
