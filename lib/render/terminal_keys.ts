/**
 * Terminal input bytes to key names: what the dashboard's `onKey` takes.
 *
 * @module
 */

/** Keys that are not one character: arrows and the like, by name. */
export type NamedKey =
  | "up"
  | "down"
  | "pageup"
  | "pagedown"
  | "home"
  | "end"
  | "escape"
  | "backspace"
  | "enter";

/** CSI and SS3 sequences of xterm, the Linux console, tmux and screen (`ESC [ A`, `ESC O A`, `ESC [ 5 ~`). */
const SEQUENCES: Record<string, NamedKey> = {
  "[A": "up",
  "[B": "down",
  "OA": "up",
  "OB": "down",
  "[5~": "pageup",
  "[6~": "pagedown",
  "[H": "home",
  "[F": "end",
  "OH": "home",
  "OF": "end",
  "[1~": "home",
  "[4~": "end",
  "[7~": "home",
  "[8~": "end",
};

/**
 * Turns what a terminal in raw mode sends into keys: a named key for arrows,
 * PgUp/PgDn, Home/End, Esc, Backspace and Enter; otherwise the character
 * itself (control characters too, such as `\x03` for Ctrl+C). Escape
 * sequences it does not know (F-keys, mouse) are dropped whole, so their bytes
 * never turn into letters. Multi-byte UTF-8 split across reads is joined.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { KeyDecoder } from "./terminal_keys.ts";
 * const keys = new KeyDecoder();
 * deepStrictEqual(keys.decode(new TextEncoder().encode("j\x1b[A\x1b[6~\x1b[15~/é\x7f\r\x1b")),
 *   ["j", "up", "pagedown", "/", "é", "backspace", "enter", "escape"]);
 * ```
 */
export class KeyDecoder {
  readonly #text = new TextDecoder();

  /** The keys in a chunk of input. */
  decode(bytes: Uint8Array): string[] {
    const text = this.#text.decode(bytes, { stream: true });
    const keys: string[] = [];
    let i = 0;
    while (i < text.length) {
      const ch = String.fromCodePoint(text.codePointAt(i) ?? 0);
      if (ch !== "\x1b") {
        keys.push(ch === "\r" || ch === "\n" ? "enter" : ch === "\x7f" || ch === "\b" ? "backspace" : ch);
        i += ch.length;
        continue;
      }
      const next = text[i + 1];
      if (next !== "[" && next !== "O") {
        // A lone Esc (terminals send a whole sequence in one write).
        keys.push("escape");
        i++;
        continue;
      }
      // CSI: parameters and intermediates up to a final byte in @..~; SS3: one final byte.
      let end = i + 2;
      if (next === "[") {
        while (end < text.length && !/[@-~]/.test(text[end] as string)) end++;
      }
      const body = text.slice(i + 1, end + 1);
      const named = SEQUENCES[body];
      if (named !== undefined) keys.push(named);
      i = end + 1;
    }
    return keys;
  }
}
