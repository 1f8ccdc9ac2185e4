import { safeTerminalText } from "./terminal_text.ts";

/**
 * An untrusted value (a process name, a domain) as a Markdown code span that
 * is safe in a table cell: no HTML, links, emphasis or mentions come of it,
 * a `|` cannot end the cell, and control characters show as `\xNN`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { markdownCode } from "./markdown_text.ts";
 * deepStrictEqual(markdownCode("curl"), "`curl`");
 * deepStrictEqual(markdownCode("a|b`<img>"), "``a\\|b`<img>``");
 * deepStrictEqual(markdownCode("`x"), "`` `x ``");
 * ```
 */
export function markdownCode(text: string): string {
  const safe = safeTerminalText(text).replaceAll("|", "\\|");
  const longest = Math.max(0, ...[...safe.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = safe.startsWith("`") || safe.endsWith("`") ? " " : "";
  return `${fence}${pad}${safe}${pad}${fence}`;
}

/**
 * Text for a Markdown table cell, with every character that Markdown or
 * HTML would act on escaped: `<`, `>` and `&` as entities, the rest of
 * Markdown's punctuation with a backslash, and `.` and `:` too, so that GitHub
 * makes no link of `www.evil.example` or `https://…`. GitHub links
 * `name@host.tld` whatever is escaped in it: text with an `@` is a code span
 * ({@linkcode markdownCode}), where nothing is linked.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { markdownText } from "./markdown_text.ts";
 * deepStrictEqual(markdownText("blocklist ips.txt:3 <b>|*x*"), "blocklist ips\\.txt\\:3 &lt;b&gt;\\|\\*x\\*");
 * deepStrictEqual(markdownText("abuse@isp.example"), "`abuse@isp.example`");
 * ```
 */
export function markdownText(text: string): string {
  if (text.includes("@")) return markdownCode(text);
  return safeTerminalText(text)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replace(/[\\`*_{}[\]|~!#@:.]/g, (c) => `\\${c}`);
}
