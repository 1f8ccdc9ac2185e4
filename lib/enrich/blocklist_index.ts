import { type Blocklist, entryText, type PortedHost } from "../parse/blocklist.ts";
import {
  ipv4Number,
  ipv6Number,
  lastStartAtOrBelow,
  mappedIpv4,
  mergeSortedIpv4,
  orderByStart,
} from "../model/ip_number.ts";

/** The list entry an address matched: `ips.txt:12 203.0.113.0/24`, or the domain it came from. */
export interface ListedEntry {
  /** The list's name as the user gave it (its path). */
  list: string;
  line: number;
  /** The entry as written canonically (`203.0.113.0/24`), or the domain for a domain entry. */
  entry: string;
  /** For an address a domain entry resolved to: the domain. */
  domain?: string;
}

/** A list to index, with the addresses its domain entries resolved to (address → domain). */
export interface IndexedList {
  name: string;
  list: Blocklist;
  resolved?: ReadonlyMap<string, string>;
  /** The addresses the domains of its `host:port` entries resolved to (domain → addresses). */
  portedAddresses?: ReadonlyMap<string, readonly string[]>;
}

/** What a connection is matched by: its remote address, the names it was asked by, its remote port. */
export interface MatchTarget {
  ip: string;
  /** The name asked (and, for block lists, its CNAME chain): matched against domain and `*.` entries. */
  names?: readonly string[];
  port?: number | null;
}

interface PortedIndexEntry {
  host: PortedHost;
  port: number;
  entry: ListedEntry;
  addresses: ReadonlySet<string>;
}

/** True when `name` is strictly under `suffix` (`a.b.example.com` under `example.com`). */
function isUnder(name: string, suffix: string): boolean {
  return name.length > suffix.length + 1 && name.endsWith(suffix) &&
    name[name.length - suffix.length - 1] === ".";
}

function hostHolds(
  host: PortedHost,
  ip: string,
  names: readonly string[],
  addresses: ReadonlySet<string>,
): boolean {
  switch (host.family) {
    case "domain":
      return names.includes(host.name) || addresses.has(ip);
    case "wildcard":
      return names.some((name) => isUnder(name, host.name));
    case 4: {
      let v4 = ipv4Number(ip);
      if (v4 < 0) {
        const v6 = ipv6Number(ip);
        v4 = v6 === null ? -1 : mappedIpv4(v6);
      }
      return v4 >= 0 && host.first <= v4 && v4 <= host.last;
    }
    case 6: {
      const v6 = ipv6Number(ip);
      return v6 !== null && host.first <= v6 && v6 <= host.last;
    }
  }
}

/** One list's IPv4 entries sorted by start, with the running maximum of their ends. */
class SortedEntries {
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
  readonly lines: Uint32Array;
  /** `maxEnds[i]` = the largest end among entries 0..i: no earlier entry can hold an address above it. */
  readonly #maxEnds: Uint32Array;

  constructor(list: Blocklist) {
    const { starts, ends, lines } = list.v4;
    const order = orderByStart(starts);
    const n = order.length;
    this.starts = new Uint32Array(n);
    this.ends = new Uint32Array(n);
    this.lines = new Uint32Array(n);
    this.#maxEnds = new Uint32Array(n);
    let maxEnd = 0;
    for (let i = 0; i < n; i++) {
      const from = order[i] ?? 0;
      this.starts[i] = starts[from] ?? 0;
      const end = ends[from] ?? 0;
      this.ends[i] = end;
      this.lines[i] = lines[from] ?? 0;
      if (end > maxEnd) maxEnd = end;
      this.#maxEnds[i] = maxEnd;
    }
  }

  /** The most specific entry holding the address (the latest start), or -1. */
  find(value: number): number {
    for (let i = lastStartAtOrBelow(this.starts, value); i >= 0; i--) {
      if ((this.#maxEnds[i] ?? 0) < value) return -1;
      if ((this.ends[i] ?? 0) >= value) return i;
    }
    return -1;
  }
}

/**
 * Every block list in one lookup structure. IPv4 ranges of all lists are
 * merged and sorted into two typed arrays, so the common answer — not listed —
 * costs one binary search; only a hit looks for the list and entry that hold
 * it. IPv6 ranges (few in real lists) are merged likewise as bigints.
 * Addresses resolved from domain entries are looked up exactly.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseBlocklist } from "../parse/blocklist.ts";
 * import { BlocklistIndex } from "./blocklist_index.ts";
 * const index = new BlocklistIndex([
 *   { name: "ips.txt", list: parseBlocklist("203.0.113.0/24\n203.0.113.7\n2001:db8::/32\nbad.example\n"),
 *     resolved: new Map([["198.51.100.9", "bad.example"]]) },
 * ]);
 * deepStrictEqual(index.match("203.0.113.7"), { list: "ips.txt", line: 2, entry: "203.0.113.7" });
 * deepStrictEqual(index.match("203.0.113.8"), { list: "ips.txt", line: 1, entry: "203.0.113.0/24" });
 * deepStrictEqual(index.match("2001:db8::1")?.entry, "2001:db8::/32");
 * deepStrictEqual(index.match("198.51.100.9"), { list: "ips.txt", line: 4, entry: "bad.example", domain: "bad.example" });
 * deepStrictEqual([index.has("8.8.8.8"), index.has("::ffff:203.0.113.1")], [false, true]);
 * ```
 */
export class BlocklistIndex {
  readonly #lists: { name: string; sorted: SortedEntries; v6: Blocklist["v6"] }[];
  readonly #v4Starts: Uint32Array;
  readonly #v4Ends: Uint32Array;
  readonly #v6: { first: bigint; last: bigint }[];
  readonly #resolved = new Map<string, ListedEntry>();
  readonly #domains = new Map<string, ListedEntry>();
  readonly #wildcards = new Map<string, ListedEntry>();
  readonly #ported: PortedIndexEntry[] = [];
  /** Entries indexed, across lists. */
  readonly entryCount: number;

  constructor(lists: readonly IndexedList[]) {
    this.#lists = lists.map(({ name, list }) => ({ name, v6: list.v6, sorted: new SortedEntries(list) }));
    this.entryCount = lists.reduce((sum, { list }) => sum + list.entryCount, 0);
    const merged = this.#mergeIpv4();
    this.#v4Starts = merged.starts;
    this.#v4Ends = merged.ends;
    this.#v6 = lists.flatMap(({ list }) => list.v6).sort((a, b) => (a.first < b.first ? -1 : 1));
    for (const { name, list, resolved, portedAddresses } of lists) {
      for (const { name: domain, line } of list.domains) {
        if (!this.#domains.has(domain)) {
          this.#domains.set(domain, { list: name, line, entry: domain, domain });
        }
      }
      for (const { name: domain, line } of list.wildcards ?? []) {
        if (!this.#wildcards.has(domain)) {
          this.#wildcards.set(domain, { list: name, line, entry: `*.${domain}`, domain });
        }
      }
      for (const { host, port, line, text } of list.ported ?? []) {
        const addresses = new Set(host.family === "domain" ? portedAddresses?.get(host.name) ?? [] : []);
        this.#ported.push({ host, port, entry: { list: name, line, entry: text }, addresses });
      }
      const lineOf = new Map(list.domains.map((d) => [d.name, d.line]));
      for (const [address, domain] of resolved ?? []) {
        if (this.#resolved.has(address)) continue;
        const line = lineOf.get(domain) ?? 0;
        this.#resolved.set(address, { list: name, line, entry: domain, domain });
      }
    }
  }

  #mergeIpv4(): { starts: Uint32Array; ends: Uint32Array } {
    const first = this.#lists[0]?.sorted;
    if (this.#lists.length === 1 && first !== undefined) return mergeSortedIpv4(first.starts, first.ends);
    const total = this.#lists.reduce((sum, l) => sum + l.sorted.starts.length, 0);
    const starts = new Uint32Array(total);
    const ends = new Uint32Array(total);
    let at = 0;
    for (const { sorted } of this.#lists) {
      starts.set(sorted.starts, at);
      ends.set(sorted.ends, at);
      at += sorted.starts.length;
    }
    const order = orderByStart(starts);
    // Typed arrays: millions of entries as number[] would not fit the heap.
    return mergeSortedIpv4(
      Uint32Array.from(order, (i) => starts[i] ?? 0),
      Uint32Array.from(order, (i) => ends[i] ?? 0),
    );
  }

  /** Merged IPv4 and IPv6 ranges, for sizing and benchmarks. */
  get rangeCount(): number {
    return this.#v4Starts.length + this.#v6.length;
  }

  /** How many IPv4 addresses the lists cover together (each counted once). */
  get ipv4AddressCount(): number {
    let total = 0;
    for (let i = 0; i < this.#v4Starts.length; i++) {
      total += (this.#v4Ends[i] ?? 0) - (this.#v4Starts[i] ?? 0) + 1;
    }
    return total;
  }

  #hasIpv4(value: number): boolean {
    const i = lastStartAtOrBelow(this.#v4Starts, value);
    return i >= 0 && value <= (this.#v4Ends[i] ?? 0);
  }

  /** True when a list holds the address. The hot path: no allocation for IPv4. */
  has(ip: string): boolean {
    const v4 = ipv4Number(ip);
    if (v4 >= 0) return this.#hasIpv4(v4) || (this.#resolved.size > 0 && this.#resolved.has(ip));
    return this.match(ip) !== null;
  }

  /** The list and entry holding the address (the first list given wins), or null. */
  match(ip: string): ListedEntry | null {
    let v4 = ipv4Number(ip);
    if (v4 < 0) {
      const v6 = ipv6Number(ip);
      if (v6 === null) return null;
      v4 = mappedIpv4(v6);
      if (v4 < 0) return this.#resolved.get(ip) ?? this.#matchIpv6(v6);
    }
    if (this.#hasIpv4(v4)) {
      for (const { name, sorted } of this.#lists) {
        const i = sorted.find(v4);
        if (i >= 0) {
          const entry = entryText(4, sorted.starts[i] ?? 0, sorted.ends[i] ?? 0);
          return { list: name, line: sorted.lines[i] ?? 0, entry };
        }
      }
    }
    return this.#resolved.get(ip) ?? null;
  }

  /**
   * The domain entry naming this domain (lower case, no final dot), or the
   * `*.` entry it falls under; null when none does.
   */
  matchDomain(name: string): ListedEntry | null {
    const domain = name.toLowerCase().replace(/\.$/, "");
    const exact = this.#domains.get(domain);
    if (exact !== undefined || this.#wildcards.size === 0) return exact ?? null;
    for (let dot = domain.indexOf("."); dot >= 0; dot = domain.indexOf(".", dot + 1)) {
      const wildcard = this.#wildcards.get(domain.slice(dot + 1));
      if (wildcard !== undefined) return { ...wildcard, domain };
    }
    return null;
  }

  /**
   * The entry that holds a connection's target: one holding its address,
   * else a domain or `*.` entry naming one of its names, else a `host:port`
   * entry for its port. The list given first wins within each kind.
   */
  matchTarget(target: MatchTarget): ListedEntry | null {
    const byAddress = this.match(target.ip);
    if (byAddress !== null) return byAddress;
    for (const name of target.names ?? []) {
      const byName = this.matchDomain(name);
      if (byName !== null) return byName;
    }
    if (this.#ported.length === 0 || target.port == null) return null;
    const names = (target.names ?? []).map((n) => n.toLowerCase().replace(/\.$/, ""));
    for (const ported of this.#ported) {
      if (ported.port === target.port && hostHolds(ported.host, target.ip, names, ported.addresses)) {
        return names.length === 0 ? ported.entry : { ...ported.entry, domain: names[0] };
      }
    }
    return null;
  }

  /** Whether any list has `host:port` entries: without them, a target's port changes no match. */
  get matchesPorts(): boolean {
    return this.#ported.length > 0;
  }

  /** True when {@linkcode matchTarget} would find an entry; as cheap as {@linkcode has} for a bare address. */
  hasTarget(target: MatchTarget): boolean {
    if (this.has(target.ip)) return true;
    if ((target.names?.length ?? 0) === 0 && (this.#ported.length === 0 || target.port == null)) return false;
    return this.matchTarget(target) !== null;
  }

  #matchIpv6(value: bigint): ListedEntry | null {
    if (!this.#v6.some((r) => r.first <= value && value <= r.last)) return null;
    for (const { name, v6 } of this.#lists) {
      let best: (typeof v6)[number] | null = null;
      for (const r of v6) {
        if (r.first <= value && value <= r.last && (best === null || r.first >= best.first)) best = r;
      }
      if (best !== null) return { list: name, line: best.line, entry: entryText(6, best.first, best.last) };
    }
    return null;
  }
}
