/**
 * IP address text read and written the one way conntrail does it: IPv4 as
 * four decimal numbers (`203.0.113.7`), IPv6 as RFC 4291 text (hex groups,
 * at most one `::`, an optional dotted IPv4 tail and an optional `%zone` of
 * letters and digits), written back as RFC 5952 text (`2001:db8::1`).
 *
 * The grammar is what inet_pton(3) reads, and no more: the other spellings
 * a general parser such as ipaddr.js accepts (`127.1`, `0x7f.0.0.1`, `2130706433`,
 * `010.0.0.1` read as octal 8.0.0.1, leading zeros in an IPv4 tail) are not
 * addresses here. They are how filters and allow lists are slipped past, and
 * `ss` never prints them. The deprecated IPv4-compatible form `::a.b.c.d` is
 * the IPv6 address RFC 4291 makes of it (`::102:304`), not IPv4-mapped.
 *
 * Hand-written because the library it replaces is CommonJS: loading any
 * CommonJS package loads Deno's Node layer (~+12 MiB of RSS at start). Its
 * behaviour is held to ipaddr.js's by a differential test
 * (tests/model/ip_address_test.ts).
 *
 * @module
 */
import { hexValue } from "./ip_words.ts";

/** An IPv4 address as an unsigned 32-bit number. */
export interface Ipv4Address {
  readonly family: 4;
  readonly value: number;
}

/** An IPv6 address as its eight 16-bit groups, most significant first, and its zone (`""` for none). */
export interface Ipv6Address {
  readonly family: 6;
  readonly groups: readonly number[];
  readonly zone: string;
}

export type IpAddress = Ipv4Address | Ipv6Address;

/** Strict dotted-decimal IPv4 between `from` and `to`: its number, or -1. No leading zeros, no short forms. */
function decimalIpv4(text: string, from: number, to: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : -1;
}

function isZoneText(text: string, from: number): boolean {
  if (from >= text.length) return false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!alnum) return false;
  }
  return true;
}

/** The groups of IPv6 text before `to`, or null. */
function ipv6Groups(text: string, to: number): number[] | null {
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (to === 0) return null;
  if (text.charCodeAt(0) === 58) {
    if (to < 2 || text.charCodeAt(1) !== 58) return null;
    gap = 0;
    i = 2;
  }
  while (i < to) {
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < to && digits < 5; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
    }
    if (j < to && text.charCodeAt(j) === 46) {
      // A dotted IPv4 tail is the last two groups (the count is checked below, as for any group).
      const v4 = decimalIpv4(text, i, to);
      if (v4 < 0) return null;
      groups.push(Math.floor(v4 / 65536), v4 % 65536);
      break;
    }
    if (digits === 0 || digits > 4 || groups.length === 8) return null;
    groups.push(value);
    i = j;
    if (i === to) break;
    if (text.charCodeAt(i) !== 58) return null;
    i++;
    if (i === to) return null;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return null;
      gap = groups.length;
      i++;
    }
  }
  if (gap < 0) return groups.length === 8 ? groups : null;
  // `::` stands for at least one zero group.
  if (groups.length > 7) return null;
  groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  return groups;
}

/**
 * Dotted-decimal IPv4 text as its number, or -1 when it is not exactly four
 * decimal numbers from 0 to 255 without leading zeros.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseIpv4 } from "./ip_address.ts";
 * deepStrictEqual([parseIpv4("203.0.113.7"), parseIpv4("010.0.0.1"), parseIpv4("127.1")], [3405803783, -1, -1]);
 * ```
 */
export function parseIpv4(text: string): number {
  return decimalIpv4(text, 0, text.length);
}

/**
 * IPv6 text as its groups and zone, or null (IPv4 text is not IPv6).
 * IPv4-mapped addresses stay IPv6 here: {@linkcode unmapIp} makes them IPv4.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseIpv6 } from "./ip_address.ts";
 * deepStrictEqual(parseIpv6("FE80::1%eth0"), { family: 6, groups: [0xfe80, 0, 0, 0, 0, 0, 0, 1], zone: "eth0" });
 * deepStrictEqual(parseIpv6("::ffff:8.8.8.8")?.groups, [0, 0, 0, 0, 0, 0xffff, 0x808, 0x808]);
 * deepStrictEqual([parseIpv6("1::2::3"), parseIpv6("8.8.8.8"), parseIpv6("fe80::1%eth0.5")], [null, null, null]);
 * ```
 */
export function parseIpv6(text: string): Ipv6Address | null {
  let to = text.indexOf("%");
  if (to < 0) to = text.length;
  else if (!isZoneText(text, to + 1)) return null;
  const groups = ipv6Groups(text, to);
  return groups === null ? null : { family: 6, groups, zone: to < text.length ? text.slice(to + 1) : "" };
}

/**
 * IPv4 or IPv6 text as an address, or null. IPv4-mapped IPv6 stays IPv6
 * (ipaddr.js's `parse`); {@linkcode processIp} unmaps it.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseIp } from "./ip_address.ts";
 * deepStrictEqual(parseIp("10.0.0.1"), { family: 4, value: 0x0a000001 });
 * deepStrictEqual(parseIp("::1")?.family, 6);
 * deepStrictEqual([parseIp(""), parseIp("1.2.3.4%eth0"), parseIp("example.com")], [null, null, null]);
 * ```
 */
export function parseIp(text: string): IpAddress | null {
  const v4 = decimalIpv4(text, 0, text.length);
  if (v4 >= 0) return { family: 4, value: v4 };
  return text.includes(":") ? parseIpv6(text) : null;
}

/** True for an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, ::ffff:0:0/96). */
export function isIpv4Mapped(address: IpAddress): address is Ipv6Address {
  if (address.family !== 6) return false;
  const g = address.groups;
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

/**
 * The IPv4 address inside an IPv4-mapped one (its zone dropped); any other address as it is.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseIp, unmapIp } from "./ip_address.ts";
 * deepStrictEqual(unmapIp(parseIp("::ffff:10.0.0.1")!), { family: 4, value: 0x0a000001 });
 * ```
 */
export function unmapIp(address: IpAddress): IpAddress {
  if (!isIpv4Mapped(address)) return address;
  return { family: 4, value: (address.groups[6] ?? 0) * 65536 + (address.groups[7] ?? 0) };
}

/** {@linkcode parseIp}, with an IPv4-mapped address read as its IPv4 address (ipaddr.js's `process`). */
export function processIp(text: string): IpAddress | null {
  const address = parseIp(text);
  return address === null ? null : unmapIp(address);
}

/**
 * The address as text: IPv4 dotted decimal, IPv6 as RFC 5952 says (lower
 * case, the longest run of two or more zero groups as `::`, the first of
 * equal runs), with `%zone` when it has one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ipText, parseIp } from "./ip_address.ts";
 * deepStrictEqual(ipText(parseIp("2001:DB8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
 * deepStrictEqual(ipText(parseIp("::ffff:10.0.0.1")!), "::ffff:a00:1");
 * deepStrictEqual(ipText({ family: 4, value: 0x7f000001 }), "127.0.0.1");
 * ```
 */
export function ipText(address: IpAddress): string {
  if (address.family === 4) {
    const v = address.value;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const g = address.groups;
  let bestAt = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && g[end] === 0) end++;
    if (end - i > bestLength) {
      bestAt = i;
      bestLength = end - i;
    }
    i = end;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((n) => n.toString(16)).join(":");
  const text = bestAt < 0 ? hex(0, 8) : `${hex(0, bestAt)}::${hex(bestAt + bestLength, 8)}`;
  return address.zone === "" ? text : `${text}%${address.zone}`;
}

/**
 * The canonical text of an address given as text ({@linkcode processIp} then
 * {@linkcode ipText}), or null when it is not one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { canonicalIp } from "./ip_address.ts";
 * deepStrictEqual(canonicalIp("2001:DB8:0::7"), "2001:db8::7");
 * deepStrictEqual(canonicalIp("::ffff:8.8.8.8"), "8.8.8.8");
 * deepStrictEqual(canonicalIp("8.8.8"), null);
 * ```
 */
export function canonicalIp(text: string): string | null {
  const address = processIp(text);
  return address === null ? null : ipText(address);
}

/** The address's bytes in network order: 4 for IPv4, 16 for IPv6. */
export function ipBytes(address: IpAddress): number[] {
  if (address.family === 4) {
    const v = address.value;
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  }
  return address.groups.flatMap((group) => [group >> 8, group & 255]);
}

/** An IPv6 address as a 128-bit number. */
export function ipv6Value(address: Ipv6Address): bigint {
  let n = 0n;
  for (const group of address.groups) n = (n << 16n) | BigInt(group);
  return n;
}

/**
 * `address/bits` text: the address (IPv4-mapped stays IPv6) and the prefix
 * length, which must fit the family (0-32, 0-128); or null.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseCidr } from "./ip_address.ts";
 * deepStrictEqual(parseCidr("10.0.0.0/8"), { address: { family: 4, value: 0x0a000000 }, bits: 8 });
 * deepStrictEqual([parseCidr("10.0.0.0/33"), parseCidr("10.0.0.0"), parseCidr("10.0.0.0/-1")], [null, null, null]);
 * ```
 */
export function parseCidr(text: string): { address: IpAddress; bits: number } | null {
  const slash = text.lastIndexOf("/");
  if (slash <= 0 || slash === text.length - 1) return null;
  for (let i = slash + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const address = parseIp(text.slice(0, slash));
  if (address === null) return null;
  const bits = Number(text.slice(slash + 1));
  return bits <= (address.family === 4 ? 32 : 128) ? { address, bits } : null;
}

/** One block of special-purpose address space, named as ipaddr.js's `range()` names it. */
export interface SpecialRange {
  name: string;
  address: IpAddress;
  bits: number;
}

// In ipaddr.js 2.5's order: an address takes the name of the first block it is in.
const SPECIAL_V4: readonly [string, string][] = [
  ["unspecified", "0.0.0.0/8"],
  ["broadcast", "255.255.255.255/32"],
  ["multicast", "224.0.0.0/4"],
  ["linkLocal", "169.254.0.0/16"],
  ["loopback", "127.0.0.0/8"],
  ["carrierGradeNat", "100.64.0.0/10"],
  ["private", "10.0.0.0/8"],
  ["private", "172.16.0.0/12"],
  ["private", "192.168.0.0/16"],
  ["reserved", "192.0.0.0/24"],
  ["reserved", "192.0.2.0/24"],
  ["reserved", "192.88.99.0/24"],
  ["reserved", "198.18.0.0/15"],
  ["reserved", "198.51.100.0/24"],
  ["reserved", "203.0.113.0/24"],
  ["reserved", "240.0.0.0/4"],
  ["as112", "192.175.48.0/24"],
  ["as112", "192.31.196.0/24"],
  ["amt", "192.52.193.0/24"],
];

const SPECIAL_V6: readonly [string, string][] = [
  ["unspecified", "::/128"],
  ["linkLocal", "fe80::/10"],
  ["multicast", "ff00::/8"],
  ["loopback", "::1/128"],
  ["uniqueLocal", "fc00::/7"],
  ["ipv4Mapped", "::ffff:0:0/96"],
  ["deprecatedSiteLocal", "fec0::/10"],
  ["discard", "100::/64"],
  ["rfc6145", "::ffff:0:0:0/96"],
  ["rfc6052", "64:ff9b::/96"],
  ["rfc6052", "64:ff9b:1::/48"],
  ["6to4", "2002::/16"],
  ["teredo", "2001::/32"],
  ["benchmarking", "2001:2::/48"],
  ["amt", "2001:3::/32"],
  ["as112v6", "2001:4:112::/48"],
  ["as112v6", "2620:4f:8000::/48"],
  ["deprecatedOrchid", "2001:10::/28"],
  ["orchid2", "2001:20::/28"],
  ["droneRemoteIdProtocolEntityTags", "2001:30::/28"],
  ["segmentRouting", "5f00::/16"],
  ["reserved", "2001::/23"],
  ["reserved", "2001:db8::/32"],
  ["reserved", "3fff::/20"],
];

let specialTables: { v4: SpecialRange[]; v6: SpecialRange[] } | null = null;

/** The blocks of special-purpose space of one family, in the order {@linkcode ipRange} tries them. */
export function specialRanges(family: 4 | 6): readonly SpecialRange[] {
  specialTables ??= {
    v4: SPECIAL_V4.map(([name, cidr]) => ({ name, ...parseCidr(cidr)! })),
    v6: SPECIAL_V6.map(([name, cidr]) => ({ name, ...parseCidr(cidr)! })),
  };
  return family === 4 ? specialTables.v4 : specialTables.v6;
}

function inBlock(value: number | bigint, block: SpecialRange): boolean {
  if (block.address.family === 4) {
    const size = 2 ** (32 - block.bits);
    return Math.floor((value as number) / size) === Math.floor(block.address.value / size);
  }
  const shift = BigInt(128 - block.bits);
  return (value as bigint) >> shift === ipv6Value(block.address) >> shift;
}

/**
 * The name of the special-purpose block the address is in (`private`,
 * `loopback`, `uniqueLocal`, `6to4`, …, the names of ipaddr.js's `range()`),
 * or `unicast`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ipRange, parseIp } from "./ip_address.ts";
 * deepStrictEqual(["172.20.1.1", "127.0.0.1", "fd00::1", "8.8.8.8"].map((ip) => ipRange(parseIp(ip)!)),
 *   ["private", "loopback", "uniqueLocal", "unicast"]);
 * ```
 */
export function ipRange(address: IpAddress): string {
  const value = address.family === 4 ? address.value : ipv6Value(address);
  for (const block of specialRanges(address.family)) {
    if (inBlock(value, block)) return block.name;
  }
  return "unicast";
}
