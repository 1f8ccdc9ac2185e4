import type { CheckResult } from "../model/check_result.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { plainTable } from "./_table_style.ts";

/**
 * `conntrail check` as a table: one row per address, `-` for what is not
 * known. Hostnames and queries are untrusted and made safe for a terminal.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderCheckTable } from "./check_report.ts";
 * const text = renderCheckTable([{ query: "8.8.8.8", ip: "8.8.8.8", hostname: "dns.google", blocklist: null,
 *   risk_level: "SAFE", abuse_score: 0, country: "US", asn: null, as_org: null, note: null }]);
 * match(text.split("\n")[1] ?? "", /^8\.8\.8\.8 +8\.8\.8\.8 +dns\.google +- +SAFE \(0\) +US/);
 * ```
 */
export function renderCheckTable(results: readonly CheckResult[]): string {
  const text = (value: string | null) => (value === null ? "-" : safeTerminalText(value));
  const rows = results.map((r) => [
    text(r.query),
    text(r.ip),
    text(r.hostname),
    text(r.blocklist),
    r.risk_level === null ? "-" : `${r.risk_level}${r.abuse_score === null ? "" : ` (${r.abuse_score})`}`,
    text(r.country),
    r.asn === null ? "-" : `AS${r.asn}${r.as_org === null ? "" : ` ${safeTerminalText(r.as_org)}`}`,
    text(r.note),
  ]);
  return plainTable(
    ["QUERY", "ADDRESS", "HOSTNAME", "BLOCKLIST", "REPUTATION", "COUNTRY", "ASN", "NOTE"],
    rows,
  ) + "\n";
}

/** `conntrail check --format json`: an array of results with SPEC's field names. */
export function renderCheckJson(results: readonly CheckResult[]): string {
  return JSON.stringify(results, null, 2) + "\n";
}
