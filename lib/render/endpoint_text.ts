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
  return `${endpointHost(ip)}:${port ?? "*"}`;
}

/**
 * The address part of {@linkcode endpointText}: made safe for a terminal, in brackets when it holds a colon.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { endpointHost } from "./endpoint_text.ts";
 * deepStrictEqual([endpointHost("::1"), endpointHost("10.0.0.1")], ["[::1]", "10.0.0.1"]);
 * ```
 */
export function endpointHost(ip: string): string {
  const safe = safeTerminalText(ip);
  return safe.includes(":") ? `[${safe}]` : safe;
}

/** Characters in `String(n)`, counted without making the string for the ports and pids a table shows. */
export function numberLength(n: number): number {
  if (Number.isInteger(n) && n >= 0 && n < 1e7) {
    return n < 10 ? 1 : n < 100 ? 2 : n < 1e3 ? 3 : n < 1e4 ? 4 : n < 1e5 ? 5 : n < 1e6 ? 6 : 7;
  }
  return String(n).length;
}

/**
 * `endpointText(ip, port).length`, without making the text where the address needs no escaping: what a
 * table's measuring pass needs of an address column.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { endpointWidth } from "./endpoint_text.ts";
 * deepStrictEqual([endpointWidth("::1", 443), endpointWidth("10.0.0.1", null), endpointWidth(null, null)], [9, 10, 1]);
 * ```
 */
export function endpointWidth(ip: string | null, port: number | null): number {
  if (ip === null) return 1;
  if (safeTerminalText(ip) !== ip) return endpointText(ip, port).length;
  return ip.length + (ip.includes(":") ? 3 : 1) + (port === null ? 1 : numberLength(port));
}
