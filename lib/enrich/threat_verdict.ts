import { isLocalAddress } from "../model/address_scope.ts";
import type { Reputation } from "../model/risk.ts";
import type { BlocklistIndex, ListedEntry } from "./blocklist_index.ts";
import type { AnsweredName } from "./dns_names.ts";

/** Where verdicts come from; any of them may be off. */
export interface ThreatSources {
  /** Every block list, as last read well. */
  blocklists: () => BlocklistIndex | null;
  /** What reputation knows now (queues a check when it does not know yet). */
  reputation: ((ip: string) => Reputation | null) | null;
  /** Allowed destinations (`--expect`): anything else is UNEXPECTED. */
  expected: (() => BlocklistIndex) | null;
  /** The name of the `--expect` file, for messages. */
  expectedName?: string;
  /** Match private and special addresses against lists too (`--include-private`). */
  includePrivate: boolean;
  /** The name a connection to an address at a time (ms) was asked by (`--sniff-dns`); absent: no names. */
  names?: ((ip: string, at: number) => AnsweredName | null) | null;
}

/** What else is known about a connection to the address: the name asked, its CNAME chain, the port. */
export interface VerdictTarget {
  domain?: string | null;
  /** The names from the one asked to the one that held the address; block lists match any of them. */
  chain?: readonly string[];
  port?: number | null;
}

/** What is known about one remote address. */
export interface Verdict {
  /** The list entry that matched, or null. */
  listed: ListedEntry | null;
  /** True when the address is private or special and lists were not consulted for it. */
  privateSkipped: boolean;
  reputation: Reputation | null;
  /** Null when there is no `--expect` list; else whether the address is outside it. */
  unexpected: boolean | null;
}

/** `ips.txt:12 203.0.113.0/24`, with the domain when an entry was one. */
export function listedText(entry: ListedEntry): string {
  return `${entry.list}:${entry.line} ${entry.entry}`;
}

const LOOPBACK = /^(127\.|::1$)/;

/**
 * The verdict on one address from every source that is on. Private and
 * special addresses are not matched against lists unless `includePrivate`
 * (FireHOL level 1 lists the bogons 10/8, 192.168/16, … and would flag every
 * LAN connection); reputation only ever sees public addresses. With a
 * target, list domain and `*.` entries match its names (block lists: the
 * CNAME chain too; `--expect`: the name asked), and `host:port` entries its
 * port.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { BlocklistIndex } from "./blocklist_index.ts";
 * import { parseBlocklist } from "../parse/blocklist.ts";
 * import { verdictFor } from "./threat_verdict.ts";
 * const index = new BlocklistIndex([{ name: "level1", list: parseBlocklist("10.0.0.0/8\n8.8.8.0/24\n") }]);
 * const sources = { blocklists: () => index, reputation: null, expected: null, includePrivate: false };
 * deepStrictEqual(verdictFor("8.8.8.8", sources).listed?.entry, "8.8.8.0/24");
 * deepStrictEqual(verdictFor("10.1.2.3", sources).listed, null);
 * deepStrictEqual(verdictFor("10.1.2.3", { ...sources, includePrivate: true }).listed?.entry, "10.0.0.0/8");
 * ```
 */
export function verdictFor(ip: string, sources: ThreatSources, target: VerdictTarget = {}): Verdict {
  const local = isLocalAddress(ip);
  const privateSkipped = local && !sources.includePrivate;
  const index = sources.blocklists();
  const asked = target.domain == null ? [] : [target.domain];
  const port = target.port ?? null;
  const listed = index === null || privateSkipped
    ? null
    : index.matchTarget({ ip, names: target.chain ?? asked, port });
  const reputation = sources.reputation?.(ip) ?? null;
  const unexpected = sources.expected === null || LOOPBACK.test(ip)
    ? null
    : !sources.expected().hasTarget({ ip, names: asked, port });
  return { listed, privateSkipped, reputation, unexpected };
}
