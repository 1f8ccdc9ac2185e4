/**
 * Show an address and port the way users type them: `1.2.3.4:80`, `[::1]:80`,
 * and `*` for a missing peer.
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
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return `${host}:${port ?? "*"}`;
}
