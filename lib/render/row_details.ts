import type { AddressInfo } from "../enrich/address_info.ts";
import type { ProcessInfo, TrackedRow } from "../monitor/tracked_row.ts";
import { safeTerminalText } from "./terminal_text.ts";

/**
 * Ports as the timeline monitor showed them: the first few, then `+N`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { portsText } from "./row_details.ts";
 * deepStrictEqual(portsText([443, 80, 22, 8080], 1), "443,80,22+2");
 * ```
 */
export function portsText(ports: readonly number[], more = 0, shown = 3): string {
  const extra = Math.max(0, ports.length - shown) + more;
  return ports.slice(0, shown).join(",") + (extra > 0 ? `+${extra}` : "");
}

/**
 * A process as `name (pid)`, safe for a terminal; `unknown process` when the OS did not tell.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { processText } from "./row_details.ts";
 * deepStrictEqual(processText({ pid: 4211, name: "firefox" }), "firefox (4211)");
 * deepStrictEqual(processText({ pid: null, name: null }), "unknown process");
 * ```
 */
export function processText(process: Pick<ProcessInfo, "pid" | "name">): string {
  if (process.name === null && process.pid === null) return "unknown process";
  const name = process.name === null ? "?" : safeTerminalText(process.name);
  return process.pid === null ? name : `${name} (${process.pid})`;
}

/**
 * An address with its name when known: `dns.google (8.8.8.8)`, safe for a terminal.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { addressText } from "./row_details.ts";
 * deepStrictEqual(addressText("8.8.8.8", "dns.google"), "dns.google (8.8.8.8)");
 * deepStrictEqual(addressText("8.8.8.8", "\x1b[2J"), "\\x1b[2J (8.8.8.8)");
 * deepStrictEqual(addressText("8.8.8.8", null), "8.8.8.8");
 * ```
 */
export function addressText(ip: string, hostname: string | null | undefined): string {
  const address = safeTerminalText(ip);
  return hostname ? `${safeTerminalText(hostname)} (${address})` : address;
}

/**
 * Country and network owner as `US | AS15169 Google LLC`, leaving out what is unknown; `""` when nothing is.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { geoText } from "./row_details.ts";
 * deepStrictEqual(geoText({ country: "US", asn: 15169, as_org: "Google LLC" }), "US | AS15169 Google LLC");
 * deepStrictEqual(geoText({}), "");
 * ```
 */
export function geoText(info: AddressInfo): string {
  const parts: string[] = [];
  if (info.country) parts.push(safeTerminalText(info.country));
  if (info.asn) parts.push(`AS${info.asn}${info.as_org ? ` ${safeTerminalText(info.as_org)}` : ""}`);
  return parts.join(" | ");
}

/**
 * The bracket after a row's timeline: `[CC | AS org | STATE | Port:… | process]`,
 * with only the parts that are known.
 */
export function rowDetails(row: TrackedRow, info: AddressInfo): string {
  const parts: string[] = [];
  const geo = geoText(info);
  if (geo !== "") parts.push(geo);
  const states = row.openConnections === 0 ? "CLOSED" : safeTerminalText(row.states.join(","));
  parts.push(states);
  if (row.ports.length > 0) parts.push(`Port:${portsText(row.ports, row.morePorts)}`);
  const [first] = row.processes;
  if (first !== undefined) {
    const more = row.processes.length - 1 + row.moreProcesses;
    parts.push(processText(first) + (more > 0 ? ` +${more}` : ""));
  }
  return `[${parts.join(" | ")}]`;
}
