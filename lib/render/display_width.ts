/**
 * How wide text is on a terminal, in character cells. Printable ASCII, which
 * almost every cell is, takes one cell a character, decided by one regex
 * test. Anything else is measured a code point at a time: East Asian wide and
 * fullwidth characters take two cells (by `get-east-asian-width`, the table
 * `string-width` uses; `string-width` itself was dropped because loading it
 * cost every command ~30 ms of start-up), emoji shown as emoji take two,
 * combining marks, format characters (but the soft hyphen and the prepended
 * concatenation marks, which terminals draw) and controls none. An emoji joined to
 * another by a zero-width joiner counts each part, which can be wider than a
 * terminal draws it: alignment is then off by a cell or two, never unsafe.
 *
 * @module
 */
import { eastAsianWidth } from "get-east-asian-width";

/** Anything but printable ASCII (finding one is faster than matching the whole text). */
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/;
/**
 * True for text of printable ASCII only: one cell a character, and nothing a terminal would act on.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isPrintableAscii } from "./display_width.ts";
 * deepStrictEqual([isPrintableAscii("curl (77)"), isPrintableAscii("火狐"), isPrintableAscii("a\x1bb")], [true, false, false]);
 * ```
 */
export function isPrintableAscii(text: string): boolean {
  return !NOT_PRINTABLE_ASCII.test(text);
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]$/u;
/**
 * Format characters that terminals draw in a cell (glibc's `wcwidth`, which tmux and others use, gives them
 * one): the soft hyphen and the prepended concatenation marks. Counted as none, a row of them cut to the
 * screen's width was wider than the screen, wrapped, and pushed the frame's top line off the screen.
 */
const DRAWN_FORMAT = /^[\u00ad\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}]$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

function codePointWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return DRAWN_FORMAT.test(char) ? 1 : 0;
  if (EMOJI.test(char)) return 2;
  const code = char.codePointAt(0) ?? 0;
  // Circled numbers on black squares: ambiguous width, which glibc's wcwidth makes wide. Counting a cell more
  // than a terminal draws only misaligns; counting one less can wrap a full line.
  if (code >= 0x3248 && code <= 0x324f) return 2;
  return eastAsianWidth(code);
}

/**
 * Terminal cells `text` takes: 2 for a wide (CJK) character or an emoji, 0 for a combining mark.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { displayWidth } from "./display_width.ts";
 * deepStrictEqual([displayWidth("curl"), displayWidth("火狐"), displayWidth("cafe\u0301"), displayWidth("👍bot")],
 *   [4, 4, 4, 5]);
 * ```
 */
export function displayWidth(text: string): number {
  if (!NOT_PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const char of text) width += codePointWidth(char);
  return width;
}

/**
 * `text` cut to at most `width` cells, ending in `…` when something was cut;
 * never splits a character from the combining marks that follow it.
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
  if (displayWidth(text) <= width) return text;
  const room = width === 1 ? 1 : width - 1;
  let out = "";
  let used = 0;
  for (const char of text) {
    const w = codePointWidth(char);
    if (used + w > room || (w === 0 && out === "")) break;
    out += char;
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
