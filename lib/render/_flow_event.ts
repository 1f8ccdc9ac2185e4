/**
 * What the ECS and OCSF records share: the event shapes they accept, the
 * context they are written in, and how an alert's verdict reads as a rule
 * and an indicator.
 *
 * @module
 */
import type { Connection } from "../model/connection.ts";
import type { HostIdentity, ProductIdentity } from "../model/host_identity.ts";
import type { ConnectionEvent } from "../model/monitor_event.ts";

/** A monitor event about a connection, or one row of a snapshot (a state, not a change). */
export type FlowEvent = ConnectionEvent | { event: "SNAPSHOT"; connection: Connection };

/** Where records are written: the machine and the product that writes them. */
export interface RecordContext {
  host: HostIdentity;
  product: ProductIdentity;
}

/** Which check raised an alert, in the order the alert watch looks at them. */
export type AlertRule = "blocklist" | "reputation" | "unexpected";

/** The rule behind an alert: a listed address first, then a bad reputation, else `--expect`. */
export function alertRule(event: ConnectionEvent): AlertRule {
  if (event.details?.blocklist !== undefined) return "blocklist";
  const level = event.details?.risk_level;
  if (level === "MALICIOUS" || level === "SUSPICIOUS") return "reputation";
  return "unexpected";
}

/** Human names of the rules, as ECS `rule.name` and OCSF enrichment descriptions show them. */
export const RULE_NAMES: Readonly<Record<AlertRule, string>> = {
  blocklist: "Connection to a listed address",
  reputation: "Connection to an address with a bad reputation",
  unexpected: "Connection to an unexpected destination",
};

/** A block-list match as the alert carries it (`ips.txt:12 203.0.113.0/24`), in parts. */
export interface ListedParts {
  list: string;
  line: number;
  entry: string;
}

/** Split `list:line entry`; null when the text is not in that shape. */
export function listedParts(text: string): ListedParts | null {
  const match = /^(.+?):(\d+) (.+)$/.exec(text);
  if (match === null) return null;
  return { list: match[1] ?? "", line: Number(match[2]), entry: match[3] ?? "" };
}

/** A timestamp's UTC offset in minutes (`…+02:00` → 120), 0 for `Z` or none. */
export function offsetMinutes(timestamp: string): number {
  const match = /([+-])(\d\d):(\d\d)$/.exec(timestamp);
  if (match === null) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return match[1] === "-" ? -minutes : minutes;
}

/** The last part of a path, `/` or `\` separated. */
export function baseName(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut < 0 ? path : path.slice(cut + 1);
}
