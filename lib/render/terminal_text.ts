// C0 controls, DEL, C1 controls (ESC and CSI among them) and the Unicode bidi
// overrides that can reorder what a terminal shows.
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** The same, to test: nearly every string is safe, and a test costs half a `replace` that finds nothing. */
// deno-lint-ignore no-control-regex
const HAS_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * What may stand between the characters of a command start and still let the GitHub Actions runner see
 * it: the runner looks for `##[` with .NET's culture-sensitive `IndexOf`, which under ICU skips what
 * collation ignores (controls, format characters, marks and a few more; measured with ICU's own collator).
 */
const SKIPPED = "[\\p{Cc}\\p{Cf}\\p{M}\\p{Default_Ignorable_Code_Point}\\u0640\\u07fa\\u180a\\u1cd3\\ufe73]*";
/** The start of a workflow command, which the runner acts on anywhere in a line (`##[name]data`). */
const GITHUB_COMMAND = new RegExp(`#${SKIPPED}#${SKIPPED}\\[`, "gu");

/**
 * A line that starts (after white space, and what the runner skips) with `::` and a command the runner
 * knows (`::warning …::`, `::add-mask::`): the runner's other form, which only counts at a line's start.
 */
const LINE_COMMAND = new RegExp(
  `^[\\s${
    SKIPPED.slice(1, -2)
  }]*:${SKIPPED}:${SKIPPED}(?:stop-commands|set-env|set-output|save-state|add-mask|` +
    "add-path|debug|warning|error|notice|add-matcher|remove-matcher|echo|group|endgroup)(?=[\\s:]|$)",
  "iu",
);

/**
 * Text that begins a line (a table's first cell, a CSV record's first field) with its first `:` shown as
 * `\x3a` when the line would start a GitHub Actions workflow command (`::warning::…` as an address in a
 * hostile history file); an address such as `::1` is left alone.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { safeLineStart } from "./terminal_text.ts";
 * deepStrictEqual(safeLineStart("::warning::x"), "\\x3a:warning::x");
 * deepStrictEqual(safeLineStart("::1"), "::1");
 * ```
 */
export function safeLineStart(text: string): string {
  if (!text.includes(":") || !LINE_COMMAND.test(text)) return text;
  return text.replace(":", "\\x3a");
}

/** The text with the `[` of every command start written as `bracket`. */
function breakCommands(text: string, bracket: string): string {
  // Nearly no name has a `#`: the search is one scan. (A value a hostile file typed wrong passes as before.)
  if (typeof text !== "string" || !text.includes("#")) return text;
  return text.replace(GITHUB_COMMAND, (start) => start.slice(0, -1) + bracket);
}

/**
 * Make an untrusted string (a process name, a path, a hostname) safe to print
 * on a terminal: control characters and escape sequences are shown as visible
 * `\xNN` / `\uNNNN` text instead of being executed by the terminal.
 *
 * A CI log is read by a machine too: the GitHub Actions runner acts on `##[`
 * anywhere in a line of a step's output as a workflow command (`##[add-mask]`,
 * `##[stop-commands]TOKEN`, which would silence conntrail's own annotations),
 * so the `[` after `##` (with anything the runner skips between) is shown as `\x5b`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { safeTerminalText } from "./terminal_text.ts";
 * deepStrictEqual(safeTerminalText("evil\x1b[2Jname"), "evil\\x1b[2Jname");
 * deepStrictEqual(safeTerminalText("##[stop-commands]x.example"), "##\\x5bstop-commands]x.example");
 * ```
 */
export function safeTerminalText(text: string): string {
  const shown = HAS_UNSAFE.test(text)
    ? text.replace(UNSAFE, (c) => {
      const code = c.charCodeAt(0);
      return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    })
    : text;
  // After the escapes, which add only `\`, `x`, `u` and hex digits: none of them makes a command start.
  return breakCommands(shown, "\\x5b");
}

/**
 * JSON text (a record, a document) with every `##[` written `##\u005b`: the
 * same JSON value, as `JSON.parse` reads it, but no GitHub Actions workflow
 * command when a CI log shows the line (see {@linkcode safeTerminalText}).
 * `#` and `[` can only stand inside a JSON string, where `\u005b` is `[`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { safeJsonText } from "./terminal_text.ts";
 * const json = safeJsonText(JSON.stringify({ hostname: "##[add-mask]x" }));
 * deepStrictEqual(json, '{"hostname":"##\\u005badd-mask]x"}');
 * deepStrictEqual(JSON.parse(json).hostname, "##[add-mask]x");
 * ```
 */
export function safeJsonText(json: string): string {
  return breakCommands(json, "\\u005b");
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
