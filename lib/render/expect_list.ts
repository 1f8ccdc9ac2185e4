import type { EgressDestination } from "../model/egress.ts";
import { ipv4Number, ipv6Number } from "../model/ip_number.ts";
import { isDomainName } from "../parse/blocklist.ts";
import { safeTerminalText } from "./terminal_text.ts";

const MAX_PROCESSES_NAMED = 5;

/** Domains first (alphabetically, as `sort` would), then IPv4 and IPv6 addresses in numeric order. */
function entryOrder(a: string, b: string): number {
  const rank = (entry: string) => entry.includes(":") ? 2 : /^[\d.]+$/.test(entry) ? 1 : 0;
  const [ra, rb] = [rank(a), rank(b)];
  if (ra !== rb) return ra - rb;
  if (ra === 1) return ipv4Number(a) - ipv4Number(b);
  if (ra === 2) {
    const [na, nb] = [ipv6Number(a) ?? 0n, ipv6Number(b) ?? 0n];
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One line's comment: who connected, on which ports, and any alert. Never a line break. */
function comment(d: EgressDestination): string {
  const names = d.processes.map((p) => p === null ? "unknown process" : safeTerminalText(p));
  const processes = names.slice(0, MAX_PROCESSES_NAMED).join(", ") +
    (names.length > MAX_PROCESSES_NAMED ? ` +${names.length - MAX_PROCESSES_NAMED}` : "");
  const ports = d.ports.map((p) => `${p.port}/${p.protocol.toLowerCase()}`).join(", ");
  const alert = d.conditions.length > 0 ? `; alert: ${d.conditions.join(", ")}` : "";
  return `${processes}${ports === "" ? "" : ` (${ports})`}${alert}`;
}

/**
 * Every destination as an `--expect` list, one entry a line with a comment
 * naming the processes that used it: the domain when the name asked for is
 * known (and is a well-formed name), else each address. The order is stable
 * (domains, then addresses in numeric order), so a list written again diffs
 * cleanly in a repository.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renderExpectList } from "./expect_list.ts";
 * const base = { isDomain: false, ports: [{ protocol: "TCP" as const, port: 443 }], country: null, asn: null,
 *   as_org: null, first_seen: "", connections: 1, conditions: [] };
 * const text = renderExpectList([
 *   { ...base, name: "198.51.100.7", addresses: ["198.51.100.7"], processes: ["curl"] },
 *   { ...base, name: "api.example.com", isDomain: true, addresses: ["203.0.113.5"], processes: ["git", null] },
 * ]);
 * deepStrictEqual(text.split("\n").filter((line) => !line.startsWith("#")), [
 *   "api.example.com  # git, unknown process (443/tcp)",
 *   "198.51.100.7  # curl (443/tcp)",
 *   "",
 * ]);
 * ```
 */
export function renderExpectList(destinations: readonly EgressDestination[]): string {
  const entries = new Map<string, string[]>();
  for (const d of destinations) {
    const names = d.isDomain && isDomainName(d.name) ? [d.name] : d.addresses;
    for (const name of names) entries.set(name, [...(entries.get(name) ?? []), comment(d)]);
  }
  const lines = [...entries.keys()].sort(entryOrder).map((entry) =>
    `${entry}  # ${[...new Set(entries.get(entry))].join("; ")}`
  );
  return [
    "# conntrail --expect list: every destination one run connected to (written by --write-expect).",
    "# Review it, keep it with your code, and check later runs with:",
    "#   conntrail --expect THIS_FILE --fail-on unexpected",
    "# Entries: addresses, CIDRs, domains (the names programs asked for), *.domain wildcards, host:port.",
    ...lines,
    "",
  ].join("\n");
}
