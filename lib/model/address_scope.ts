import { ipRange, ipv6Value, processIp, specialRanges } from "./ip_address.ts";

// Range names (ipRange, as ipaddr.js names them) of addresses that are routed on the public internet.
// 6to4, Teredo and NAT64 (rfc6052/rfc6145) embed public IPv4 peers. AS112 (RFC 7534/7535) and AMT
// (RFC 7450) are special-purpose but globally reachable in IANA's registries: real servers with an AS.
const PUBLIC_RANGES = new Set(["unicast", "6to4", "teredo", "rfc6052", "rfc6145", "as112", "as112v6", "amt"]);
const cache = new Map<string, boolean>();
const CACHE_LIMIT = 100_000;

/**
 * True for addresses that are not a public internet peer: the special-purpose
 * ranges of RFC 6890 and IANA's registries that are not globally reachable —
 * private (RFC 1918), loopback, link-local, CGNAT (100.64/10), multicast,
 * broadcast, unspecified, benchmarking (198.18/15), reserved and documentation
 * ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20),
 * and IPv6 unique-local, link-local, loopback, discard, multicast and reserved.
 * IPv4-mapped IPv6 is judged as its IPv4 address. Text that is not an IP
 * counts as local, so it is never sent out.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isLocalAddress } from "./address_scope.ts";
 * deepStrictEqual(["10.0.0.1", "100.64.0.1", "fd00::1", "::ffff:192.168.1.1"].map(isLocalAddress),
 *   [true, true, true, true]);
 * deepStrictEqual(["8.8.8.8", "2001:4860:4860::8888"].map(isLocalAddress), [false, false]);
 * ```
 */
export function isLocalAddress(ip: string): boolean {
  const cached = cache.get(ip);
  if (cached !== undefined) return cached;
  const address = processIp(ip);
  const local = address === null || !PUBLIC_RANGES.has(ipRange(address));
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(ip, local);
  return local;
}

/** The blocks of special-purpose space that are not a public peer, as [first, last] per family. */
function specialBlocks(): { v4: [number, number][]; v6: [bigint, bigint][] } {
  const v4: [number, number][] = [];
  const v6: [bigint, bigint][] = [];
  for (const { name, address, bits } of specialRanges(4)) {
    if (PUBLIC_RANGES.has(name) || address.family !== 4) continue;
    v4.push([address.value, address.value + 2 ** (32 - bits) - 1]);
  }
  for (const { name, address, bits } of specialRanges(6)) {
    if (PUBLIC_RANGES.has(name) || name === "ipv4Mapped" || address.family !== 6) continue;
    const first = ipv6Value(address);
    v6.push([first, first + (1n << BigInt(128 - bits)) - 1n]);
  }
  return { v4, v6 };
}

let blocks: ReturnType<typeof specialBlocks> | null = null;

/**
 * True when every address from `first` to `last` (IPv4 as numbers, IPv6 as
 * bigints) is special-purpose: a list entry that can only ever match with
 * `--include-private`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { isSpecialRange } from "./address_scope.ts";
 * deepStrictEqual(isSpecialRange(0x0a000000, 0x0a0000ff), true); // 10.0.0.0/24
 * deepStrictEqual(isSpecialRange(0xc0000000, 0xc000ffff), false); // 192.0.0.0/16 holds public addresses
 * deepStrictEqual(isSpecialRange(0x20010db8n << 96n, (0x20010db8n << 96n) + 1n), true); // 2001:db8::/127
 * ```
 */
export function isSpecialRange(first: number | bigint, last: number | bigint): boolean {
  blocks ??= specialBlocks();
  if (typeof first === "number" && typeof last === "number") {
    return blocks.v4.some(([from, to]) => from <= first && last <= to);
  }
  return blocks.v6.some(([from, to]) => from <= BigInt(first) && BigInt(last) <= to);
}
