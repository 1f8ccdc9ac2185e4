import type { SkippedLine } from "../parse/parse_result.ts";
import { safeTerminalText } from "../render/terminal_text.ts";

/**
 * One line that counts skipped input lines by reason, or `null` when nothing
 * was skipped.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { skippedSummary } from "./skipped_summary.ts";
 * deepStrictEqual(skippedSummary([{ line: "x", reason: 'not a TCP or UDP socket ("nl")' },
 *   { line: "y", reason: 'not a TCP or UDP socket ("u_str")' }]),
 *   "skipped 2 lines of collector output: not a TCP or UDP socket (2)");
 * ```
 */
export function skippedSummary(skipped: readonly SkippedLine[]): string | null {
  if (skipped.length === 0) return null;
  const counts = new Map<string, number>();
  for (const { reason } of skipped) {
    const kind = reason.replace(/\s*\(?"[^"]*"\)?/g, "").trim();
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const parts = [...counts].map(([kind, n]) => `${kind} (${n})`).join(", ");
  const noun = skipped.length === 1 ? "line" : "lines";
  return safeTerminalText(`skipped ${skipped.length} ${noun} of collector output: ${parts}`);
}
