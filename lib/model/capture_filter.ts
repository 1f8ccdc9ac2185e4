/**
 * Capture filters for a set of connections: a tcpdump (BPF) expression and a
 * Wireshark display filter that match their traffic. `conntrail filter` and
 * the web page's capture-filter view both build them here.
 *
 * @module
 */
import { ipText, processIp } from "./ip_address.ts";
import type { Connection, Protocol } from "./connection.ts";
import { compareText } from "./text_order.ts";

/** What one clause of a filter matches: a peer (or none, for a wildcard listener) and its ports. */
export interface FilterTarget {
  protocol: Protocol;
  /** The peer's address in canonical form, or null for a socket listening on every address. */
  host: string | null;
  family: 4 | 6;
  /** One port (the service), or both ends' ports when the direction is unknown; empty for none. */
  ports: number[];
}

/** Filters for one set of connections, in both syntaxes. */
export interface CaptureFilters {
  /** tcpdump / libpcap syntax: `(host 203.0.113.7 and tcp port 443) or …`. */
  bpf: string;
  /** Wireshark display filter syntax: `(ip.addr == 203.0.113.7 && tcp.port == 443) || …`. */
  wireshark: string;
  /** Distinct clauses (peer, protocol and port) in each filter. */
  clauses: number;
  /** Connections left out because their address or port is not one a filter can name. */
  skipped: number;
}

/** Which filter syntax to print: the two tools' names, or both. */
export const FILTER_SYNTAXES = ["bpf", "wireshark", "both"] as const;
export type FilterSyntax = typeof FILTER_SYNTAXES[number];

/** An address as filters write it, or null when it is not an address (so it can never inject syntax). */
function canonicalHost(ip: string): { host: string; family: 4 | 6 } | null {
  // A zone (`fe80::1%eth0`) names an interface: neither filter language takes it.
  const bare = ip.split("%", 1)[0] ?? "";
  const parsed = processIp(bare);
  return parsed === null ? null : { host: ipText(parsed), family: parsed.family };
}

function isPort(port: number | null): port is number {
  return port !== null && Number.isInteger(port) && port > 0 && port <= 65535;
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

/**
 * The clause that matches one connection's traffic, or null when its
 * address cannot be written into a filter. An outgoing connection is its
 * peer and the peer's port; an incoming one the peer and the local port (the
 * service); a listening socket its port, and its address unless that is a
 * wildcard.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { filterTarget } from "./capture_filter.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 50000,
 *   remote_ip: "203.0.113.7", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 42, process_name: "curl", process_path: null, user: null };
 * deepStrictEqual(filterTarget(c), { protocol: "TCP", host: "203.0.113.7", family: 4, ports: [443] });
 * deepStrictEqual(filterTarget({ ...c, remote_ip: "203.0.113.7) or (port 22" }), null);
 * ```
 */
export function filterTarget(c: Connection): FilterTarget | null {
  if (c.remote_ip === null || c.direction === "listening") {
    const local = canonicalHost(c.local_ip);
    if (local === null || !isPort(c.local_port)) return null;
    return {
      protocol: c.protocol,
      host: isWildcard(local.host) ? null : local.host,
      family: local.family,
      ports: [c.local_port],
    };
  }
  const peer = canonicalHost(c.remote_ip);
  if (peer === null) return null;
  const ports = c.direction === "outgoing"
    ? [c.remote_port]
    : c.direction === "incoming"
    ? [c.local_port]
    : [c.local_port, c.remote_port];
  return { protocol: c.protocol, ...peer, ports: ports.filter(isPort) };
}

function bpfClause(t: FilterTarget): string {
  const proto = t.protocol.toLowerCase();
  const parts = t.host === null ? [] : [`host ${t.host}`];
  if (t.ports.length === 0) parts.push(proto);
  for (const port of t.ports) parts.push(`${proto} port ${port}`);
  return `(${parts.join(" and ")})`;
}

function wiresharkClause(t: FilterTarget): string {
  const proto = t.protocol.toLowerCase();
  const parts = t.host === null ? [] : [`${t.family === 4 ? "ip" : "ipv6"}.addr == ${t.host}`];
  if (t.ports.length === 0) parts.push(proto);
  for (const port of t.ports) parts.push(`${proto}.port == ${port}`);
  return `(${parts.join(" && ")})`;
}

function compareTargets(a: FilterTarget, b: FilterTarget): number {
  return compareText(a.host ?? "", b.host ?? "") || compareText(a.protocol, b.protocol) ||
    (a.ports[0] ?? 0) - (b.ports[0] ?? 0) || (a.ports[1] ?? 0) - (b.ports[1] ?? 0);
}

/**
 * Both filters for a set of connections: one clause per distinct peer,
 * protocol and port, sorted, joined with `or`. Connections to the same
 * service share a clause. An empty set gives empty filters.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { captureFilters } from "./capture_filter.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 50000,
 *   remote_ip: "203.0.113.7", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const,
 *   pid: 42, process_name: "curl", process_path: null, user: null };
 * const dns = { ...c, protocol: "UDP" as const, family: 6 as const, remote_ip: "2001:db8::53", remote_port: 53 };
 * const filters = captureFilters([c, { ...c, local_port: 50001 }, dns]);
 * deepStrictEqual(filters.bpf, "(host 2001:db8::53 and udp port 53) or (host 203.0.113.7 and tcp port 443)");
 * deepStrictEqual(filters.wireshark, "(ipv6.addr == 2001:db8::53 && udp.port == 53) || (ip.addr == 203.0.113.7 && tcp.port == 443)");
 * deepStrictEqual(filters.clauses, 2);
 * ```
 */
export function captureFilters(connections: Iterable<Connection>): CaptureFilters {
  const targets = new Map<string, FilterTarget>();
  let skipped = 0;
  for (const c of connections) {
    const target = filterTarget(c);
    if (target === null) {
      skipped++;
      continue;
    }
    const key = bpfClause(target);
    if (!targets.has(key)) targets.set(key, target);
  }
  const sorted = [...targets.values()].sort(compareTargets);
  return {
    bpf: sorted.map(bpfClause).join(" or "),
    wireshark: sorted.map(wiresharkClause).join(" || "),
    clauses: sorted.length,
    skipped,
  };
}
