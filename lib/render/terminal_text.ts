// C0 controls, DEL, C1 controls (ESC and CSI among them) and the Unicode bidi
// overrides that can reorder what a terminal shows.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** The same, to test: nearly every string is safe, and a test costs half a `replace` that finds nothing. */
// deno-lint-ignore no-control-regex
const HAS_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * Make an untrusted string (a process name, a path, a hostname) safe to print
 * on a terminal: control characters and escape sequences are shown as visible
 * `\xNN` / `\uNNNN` text instead of being executed by the terminal.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { safeTerminalText } from "./terminal_text.ts";
 * deepStrictEqual(safeTerminalText("evil\x1b[2Jname"), "evil\\x1b[2Jname");
 * ```
 */
export function safeTerminalText(text: string): string {
  if (!HAS_UNSAFE.test(text)) return text;
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * {@linkcode safeTerminalText} for text of several lines: line breaks are
 * kept, every other control is shown. Everything conntrail writes to stderr
 * (errors, usage errors, notes) passes through it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { safeTerminalLines } from "./terminal_text.ts";
 * deepStrictEqual(safeTerminalLines("error: \x1b]0;x\x07\nnext\n"), "error: \\x1b]0;x\\x07\nnext\n");
 * ```
 */
export function safeTerminalLines(text: string): string {
  return text.split("\n").map(safeTerminalText).join("\n");
}
