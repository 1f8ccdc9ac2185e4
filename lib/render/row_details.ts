import type { AddressInfo } from "../model/address_info.ts";
import type { ProcessInfo, TrackedRow } from "../model/tracked_row.ts";
import { cutToWidth, displayWidth } from "./display_width.ts";
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
 * The name to show for an address: the domain a program asked for (from DNS
 * answers, `--sniff-dns`) before the PTR name (`hostname`), which for a CDN
 * names the CDN; so the dashboard, scroll lines and exports prefer it
 * everywhere at once.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { peerName } from "./row_details.ts";
 * deepStrictEqual(peerName({ hostname: "dns.google" }), "dns.google");
 * deepStrictEqual(peerName({ domain: "api.example.com", hostname: "edge-7.cdn.example.net" }), "api.example.com");
 * ```
 */
export function peerName(info: AddressInfo): string | null | undefined {
  return info.domain || info.hostname;
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

/** What the details bracket needs of a row. */
export type DetailsRow = Pick<
  TrackedRow,
  "openConnections" | "states" | "ports" | "morePorts" | "processes" | "moreProcesses"
>;

/** The details of a row as parts, most important last: see {@linkcode rowDetails}. */
function detailsParts(row: DetailsRow, info: AddressInfo, alert: string | null) {
  const [first] = row.processes;
  const more = row.processes.length - 1 + row.moreProcesses;
  return {
    reason: alert === null ? null : `ALERT ${safeTerminalText(alert)}`,
    country: info.country ? safeTerminalText(info.country) : null,
    asn: info.asn ? `AS${info.asn}` : null,
    org: info.asn && info.as_org ? safeTerminalText(info.as_org) : null,
    states: row.openConnections === 0 ? "CLOSED" : safeTerminalText(row.states.join(",")),
    ports: row.ports.length > 0 ? `Port:${portsText(row.ports, row.morePorts)}` : null,
    process: first === undefined ? null : processText(first) + (more > 0 ? ` +${more}` : ""),
  };
}

function bracket(parts: readonly (string | null)[]): string {
  return `[${parts.filter((p) => p !== null).join(" | ")}]`;
}

/**
 * The bracket after a row's timeline, `[CC | AS org | STATE | Port:… | process]`
 * with only the parts that are known, and for an alerted row the reason first
 * (`[ALERT blocklist ips.txt:12 … | …]`). Given a `width`, parts give way in
 * this order until it fits: the AS name, the AS, the country, the reason (cut,
 * and for it the ports and the states give way, until 12 cells of it are left),
 * the ports, the states; the process goes last (then the text is cut).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { rowDetails } from "./row_details.ts";
 * const row = { openConnections: 1, states: ["ESTABLISHED"], ports: [443], morePorts: 0,
 *   processes: [{ pid: 4211, name: "firefox", path: null }], moreProcesses: 0 };
 * const info = { country: "US", asn: 15169, as_org: "Google LLC" };
 * deepStrictEqual(rowDetails(row, info), "[US | AS15169 Google LLC | ESTABLISHED | Port:443 | firefox (4211)]");
 * deepStrictEqual(rowDetails(row, info, { width: 46 }), "[US | ESTABLISHED | Port:443 | firefox (4211)]");
 * deepStrictEqual(rowDetails(row, info, { width: 30 }), "[ESTABLISHED | firefox (4211)]");
 * deepStrictEqual(rowDetails(row, info, { width: 25 }), "[firefox (4211)]");
 * ```
 */
export function rowDetails(
  row: DetailsRow,
  info: AddressInfo,
  options: { alert?: string | null; width?: number } = {},
): string {
  const p = detailsParts(row, info, options.alert ?? null);
  const org = p.asn !== null && p.org !== null ? `${p.asn} ${p.org}` : p.asn;
  const full = bracket([p.reason, p.country, org, p.states, p.ports, p.process]);
  const width = options.width;
  if (width === undefined || displayWidth(full) <= width) return full;
  const tail = [p.states, p.ports, p.process];
  const variants = [
    [p.reason, p.country, p.asn, ...tail],
    [p.reason, p.country, ...tail],
    [p.reason, ...tail],
  ];
  for (const parts of variants) {
    const text = bracket(parts);
    if (displayWidth(text) <= width) return text;
  }
  if (p.reason !== null) {
    // The reason, cut, while it keeps a few words; the ports and then the states go before it does (a
    // connection row's label holds its ports already; the reason says why the row is red and on top).
    for (const rest of [tail, [p.states, p.process], [p.process ?? p.states]]) {
      const room = width - displayWidth(bracket(["", ...rest]));
      if (room >= 12) return bracket([cutToWidth(p.reason, room), ...rest]);
    }
  }
  for (const parts of [tail, [p.states, p.process], [p.process ?? p.states]]) {
    const text = bracket(parts);
    if (displayWidth(text) <= width) return text;
  }
  return cutToWidth(bracket([p.process ?? p.states]), width);
}

/** The most of an alert's reason the dashboard keeps room for. */
const REASON_KEPT = 48;

/**
 * The width of the bracket with what must stay (states, ports, process, and
 * the start of an alert's reason): the room the dashboard keeps for it before
 * the timeline grows.
 */
export function essentialDetailsWidth(row: DetailsRow, alert: string | null = null): number {
  const p = detailsParts(row, {}, alert);
  const reason = p.reason === null ? null : cutToWidth(p.reason, REASON_KEPT);
  return displayWidth(bracket([reason, p.states, p.ports, p.process]));
}
