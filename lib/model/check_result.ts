import type { RiskLevel } from "./risk.ts";

/** What `conntrail check` reports for one address (a domain given may yield several). */
export interface CheckResult {
  /** The IP or domain as given. */
  query: string;
  /** The address checked, or null when a domain resolved to none. */
  ip: string | null;
  /** The domain the address was resolved from (the query, for a domain), or null for an address given. */
  domain?: string | null;
  /** Reverse DNS name, or null. */
  hostname: string | null;
  /** The list and entry that matched: `ips.txt:12 203.0.113.0/24`, or null. */
  blocklist: string | null;
  risk_level: RiskLevel | null;
  abuse_score: number | null;
  country: string | null;
  asn: number | null;
  as_org: string | null;
  /** Why something was not checked: a private address, no addresses, reputation off. */
  note: string | null;
}
