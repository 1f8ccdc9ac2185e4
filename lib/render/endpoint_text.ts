import { safeTerminalText } from "./terminal_text.ts";

/**
 * Show an address and port the way users type them: `1.2.3.4:80`, `[::1]:80`,
 * and `*` for a missing peer. An address read back from a file may be any
 * text: it is made safe for a terminal.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { endpointText } from "./endpoint_text.ts";
 * deepStrictEqual(endpointText("::1", 443), "[::1]:443");
 * deepStrictEqual(endpointText(null, null), "*");
 * ```
 */
export function endpointText(ip: string | null, port: number | null): string {
  if (ip === null) return "*";
  const safe = safeTerminalText(ip);
  const host = safe.includes(":") ? `[${safe}]` : safe;
  return `${host}:${port ?? "*"}`;
}
