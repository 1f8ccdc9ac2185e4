import type { CheckResult } from "../model/check_result.ts";
import { safeJsonText, safeTerminalText } from "./terminal_text.ts";
import { tableChunks, type TableColumn } from "./text_table.ts";

/**
 * `conntrail check` as a table: one row per address, `-` for what is not
 * known. The domain an address came from is its row's QUERY (JSON has it as
 * `domain`). Hostnames and queries are untrusted and made safe for a terminal.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderCheckTable } from "./check_report.ts";
 * const text = renderCheckTable([{ query: "8.8.8.8", ip: "8.8.8.8", domain: null, hostname: "dns.google",
 *   blocklist: null, risk_level: "SAFE", abuse_score: 0, country: "US", asn: null, as_org: null, note: null }]);
 * match(text.split("\n")[1] ?? "", /^8\.8\.8\.8 +8\.8\.8\.8 +dns\.google +- +SAFE \(0\) +US/);
 * ```
 */
export function renderCheckTable(results: readonly CheckResult[]): string {
  return [...checkTableChunks(results)].join("");
}

const text = (value: string | null) => (value === null ? "-" : safeTerminalText(value));

const CHECK_TABLE: readonly TableColumn<CheckResult>[] = [
  { head: "QUERY", cell: (r) => text(r.query) },
  { head: "ADDRESS", cell: (r) => text(r.ip) },
  { head: "HOSTNAME", cell: (r) => text(r.hostname) },
  { head: "BLOCKLIST", cell: (r) => text(r.blocklist) },
  {
    head: "REPUTATION",
    cell: (r) =>
      r.risk_level === null ? "-" : `${r.risk_level}${r.abuse_score === null ? "" : ` (${r.abuse_score})`}`,
  },
  { head: "COUNTRY", cell: (r) => text(r.country) },
  {
    head: "ASN",
    cell: (r) =>
      r.asn === null ? "-" : `AS${r.asn}${r.as_org === null ? "" : ` ${safeTerminalText(r.as_org)}`}`,
  },
  { head: "NOTE", cell: (r) => text(r.note) },
];

/** {@linkcode renderCheckTable} in chunks of whole lines, for writing as they are rendered. */
export function checkTableChunks(results: readonly CheckResult[]): Generator<string> {
  return tableChunks(CHECK_TABLE, results);
}

/** `conntrail check --format json`: an array of results with SPEC's field names. */
export function renderCheckJson(results: readonly CheckResult[]): string {
  return safeJsonText(JSON.stringify(results, null, 2)) + "\n";
}
