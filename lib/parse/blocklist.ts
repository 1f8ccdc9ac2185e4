import { type IpAddress, ipText, ipv6Value, parseIpv4, parseIpv6, unmapIp } from "../model/ip_address.ts";
import type { SkippedLine } from "./parse_result.ts";
import { thousands } from "../model/thousands.ts";

/** IPv4 entries of a list, in file order: `starts[i]..ends[i]` came from line `lines[i]`. */
export interface Ipv4Entries {
  starts: Uint32Array;
  ends: Uint32Array;
  lines: Uint32Array;
}

/** An IPv6 entry of a list: its first and last address as 128-bit numbers. */
export interface Ipv6Entry {
  first: bigint;
  last: bigint;
  line: number;
}

/** A domain entry: resolved later, each address remembering the domain. */
export interface DomainEntry {
  name: string;
  line: number;
}

/** The host of a `host:port` entry: an address range, a domain, or a `*.` wildcard domain. */
export type PortedHost =
  | { family: 4; first: number; last: number }
  | { family: 6; first: bigint; last: bigint }
  | { family: "domain"; name: string }
  | { family: "wildcard"; name: string };

/** A `host:port` entry: the host only on that port. */
export interface PortedEntry {
  host: PortedHost;
  port: number;
  line: number;
  /** The entry as written (lower case): `api.example.com:443`, `[2001:db8::/32]:443`. */
  text: string;
}

/** What {@linkcode parseBlocklist} read from one list file. */
export interface Blocklist {
  v4: Ipv4Entries;
  v6: Ipv6Entry[];
  domains: DomainEntry[];
  /** `*.example.com` entries (the name without `*.`): every name under it, not the name itself. */
  wildcards: DomainEntry[];
  /** `host:port` entries. */
  ported: PortedEntry[];
  /** Lines that hold no usable entry, the first {@linkcode MAX_SKIPPED_KEPT}; `line` is `N: text`. */
  skipped: SkippedLine[];
  /** How many lines were skipped in all (a junk file of millions of lines keeps only the first few). */
  skippedCount: number;
  /** Lines with an entry (IPv4, IPv6, domains, wildcards and `host:port`). */
  entryCount: number;
  /**
   * Set when the list holds more IPv6 entries or domains than
   * {@linkcode BLOCKLIST_LIMITS} allow: reading stopped there, and the list
   * should not be used (`more than 200,000 IPv6 entries`).
   */
  overLimit: string | null;
}

/**
 * The most IPv6 entries and domains one list may hold. Each takes about a
 * hundred bytes of heap (IPv4 entries take 12, outside it), and the shipped
 * V8 flags cap the heap at 256 MB; real lists hold a few thousand.
 */
export const BLOCKLIST_LIMITS = { ipv6: 200_000, domains: 200_000 } as const;

/** Skipped lines kept for messages; the rest are only counted. */
export const MAX_SKIPPED_KEPT = 100;

/** A Uint32Array that grows as it is filled: 4 bytes an entry, where a number[] of large values takes ~24. */
class Uint32Column {
  #data = new Uint32Array(1024);
  #length = 0;

  push(value: number): void {
    if (this.#length === this.#data.length) {
      const bigger = new Uint32Array(this.#data.length * 2);
      bigger.set(this.#data);
      this.#data = bigger;
    }
    this.#data[this.#length++] = value;
  }

  get length(): number {
    return this.#length;
  }

  /** The values, in a buffer of their own size. */
  done(): Uint32Array {
    return this.#data.slice(0, this.#length);
  }
}

/**
 * A copy of a short string that does not point into the text it was cut
 * from: V8 keeps a slice's parent alive, and the parent is the whole file.
 */
function detached(text: string): string {
  return text.split("").join("");
}

const HASH = 35;
const SEMICOLON = 59;
const SLASH = 47;
const DOT = 46;
const CR = 13;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === CR || c === 11 || c === 12;
}

function isCommentStart(c: number): boolean {
  return c === HASH || c === SEMICOLON;
}

/** Mask of the addresses a prefix covers below its network address. */
function hostBits(bits: number): number {
  return bits >= 32 ? 0 : bits <= 0 ? 0xffffffff : (0xffffffff >>> bits);
}

/**
 * The fast path for the lines that make up nearly every real list: an IPv4
 * address or CIDR, optionally followed by a count (ipsum) and a comment.
 * Returns false to hand the line to the general reader.
 */
function readIpv4Line(text: string, from: number, to: number, out: { start: number; end: number }): boolean {
  let i = from;
  let value = 0;
  for (let octet = 0; octet < 4; octet++) {
    let part = 0;
    let digits = 0;
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      part = part * 10 + (c - 48);
      if (++digits > 3) return false;
      i++;
    }
    if (digits === 0 || part > 255) return false;
    value = value * 256 + part;
    if (octet < 3) {
      if (text.charCodeAt(i) !== DOT) return false;
      i++;
    }
  }
  let bits = 32;
  if (i < to && text.charCodeAt(i) === SLASH) {
    i++;
    bits = 0;
    let digits = 0;
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      bits = bits * 10 + (c - 48);
      digits++;
      i++;
    }
    if (digits === 0 || digits > 2 || bits > 32) return false;
  }
  // What may follow: nothing, a comment, or whitespace then a count and/or a comment.
  let sawCount = false;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (isCommentStart(c)) break;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c >= 48 && c <= 57 && !sawCount && isSpace(text.charCodeAt(i - 1))) {
      while (i < to && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      sawCount = true;
      continue;
    }
    return false;
  }
  const mask = hostBits(bits);
  out.start = (value & ~mask) >>> 0;
  out.end = (out.start | mask) >>> 0;
  return true;
}

const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** True for a hostname such as `bad.example`: two or more labels, a top-level label with a letter. */
export function isDomainName(text: string): boolean {
  if (text.length > 253 || !text.includes(".")) return false;
  const labels = (text.endsWith(".") ? text.slice(0, -1) : text).split(".");
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  return /[a-z]/.test(labels[labels.length - 1] ?? "");
}

type Parsed = PortedHost | { family: "ported"; host: PortedHost; port: number; text: string };

function parseAddress(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4 >= 0) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === null ? null : unmapIp(v6);
}

function rangeOf(first: IpAddress, last: IpAddress): Parsed | null {
  if (first.family === 4 && last.family === 4) {
    return first.value <= last.value ? { family: 4, first: first.value, last: last.value } : null;
  }
  if (first.family !== 6 || last.family !== 6) return null;
  const a = ipv6Value(first);
  const b = ipv6Value(last);
  return a <= b ? { family: 6, first: a, last: b } : null;
}

function readCidr(text: string): Parsed | null {
  const [addressText = "", bitsText = ""] = text.split("/");
  const address = parseAddress(addressText);
  if (address === null || !/^\d{1,3}$/.test(bitsText)) return null;
  const mapped = address.family === 4 && parseIpv4(addressText) < 0;
  const bits = Number(bitsText) - (mapped ? 96 : 0);
  if (address.family === 4) {
    if (bits < 0 || bits > 32) return null;
    const mask = hostBits(bits);
    const first = (address.value & ~mask) >>> 0;
    return { family: 4, first, last: (first | mask) >>> 0 };
  }
  if (bits > 128) return null;
  const host = (1n << BigInt(128 - bits)) - 1n;
  const first = ipv6Value(address) & ~host;
  return { family: 6, first, last: first | host };
}

const BRACKETED_PORT = /^\[([^\]]+)\]:(\d{1,5})$/;
const HOST_PORT = /^([^:\[\]]+):(\d{1,5})$/;

/** `host:port`, `[IPv6]:port`, `[IPv6/len]:port`: the host read as any other entry, on one port. */
function readPorted(entry: string): Parsed | null {
  const parts = BRACKETED_PORT.exec(entry) ?? HOST_PORT.exec(entry);
  if (parts === null) return null;
  const port = Number(parts[2]);
  const host = readEntry([parts[1] ?? ""]);
  if (host === null || host.family === "ported" || port < 1 || port > 65535) return null;
  return { family: "ported", host, port, text: entry.toLowerCase() };
}

/** The general reader: IPv6, ranges `a-b`, domains, wildcards, `host:port`, hosts-file lines, mapped addresses. */
function readEntry(tokens: string[]): Parsed | null {
  // `a - b` written with spaces.
  if (tokens.length === 3 && tokens[1] === "-") tokens = [`${tokens[0]}-${tokens[2]}`];
  // A hosts-file line (`0.0.0.0 bad.example`) lists the domain.
  if (tokens.length === 2 && (tokens[0] === "0.0.0.0" || tokens[0] === "127.0.0.1")) {
    const name = (tokens[1] ?? "").toLowerCase();
    return isDomainName(name) ? { family: "domain", name: name.replace(/\.$/, "") } : null;
  }
  // Anything after the entry must be a count (ipsum's `IP<TAB>count`).
  if (tokens.length > 2 || (tokens.length === 2 && !/^\d+$/.test(tokens[1] ?? ""))) return null;
  const entry = tokens[0] ?? "";
  if (
    /:\d{1,5}$/.test(entry) &&
    (entry.startsWith("[") || !entry.slice(0, entry.lastIndexOf(":")).includes(":"))
  ) {
    return readPorted(entry);
  }
  if (entry.startsWith("*.")) {
    const name = entry.slice(2).toLowerCase();
    return isDomainName(name) ? { family: "wildcard", name: name.replace(/\.$/, "") } : null;
  }
  if (entry.includes("/")) return readCidr(entry);
  const dash = entry.indexOf("-", entry.includes(":") ? 0 : 1);
  const address = parseAddress(entry);
  if (address !== null) return rangeOf(address, address);
  if (dash > 0) {
    const first = parseAddress(entry.slice(0, dash));
    const last = parseAddress(entry.slice(dash + 1));
    if (first !== null && last !== null) return rangeOf(first, last);
  }
  const name = entry.toLowerCase();
  return isDomainName(name) ? { family: "domain", name: name.replace(/\.$/, "") } : null;
}

function commentStart(line: string): number {
  for (let i = 0; i < line.length; i++) if (isCommentStart(line.charCodeAt(i))) return i;
  return line.length;
}

/**
 * Read a block list in any of the formats found in the wild, without being
 * told which: plain lists of IPv4/IPv6 addresses, CIDRs and ranges `a-b`;
 * domains (and hosts-file lines `0.0.0.0 bad.example`); FireHOL `.netset` and
 * `.ipset` files (`#` headers); Spamhaus DROP (`1.10.16.0/20 ; SBL256894`,
 * `;` comments); ipsum (`77.90.185.20<TAB>10`). CRLF endings and inline
 * comments are fine. IPv4-mapped IPv6 counts as IPv4. A line with anything
 * else is skipped with its number, and the rest of the file still counts.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseBlocklist } from "./blocklist.ts";
 * const list = parseBlocklist(
 *   "# my list\r\n203.0.113.0/24\r\n1.10.16.0/20 ; SBL256894\r\n77.90.185.20\t10\r\n" +
 *     "2001:db8::/32\r\nbad.example # a domain\r\nsee https://example.com for more\r\n",
 * );
 * deepStrictEqual(list.entryCount, 5);
 * deepStrictEqual([...list.v4.lines], [2, 3, 4]);
 * deepStrictEqual(list.domains, [{ name: "bad.example", line: 6 }]);
 * deepStrictEqual(list.skipped, [{ line: "7: see https://example.com for more", reason: "not an IP, CIDR, range or domain" }]);
 * ```
 */
export function parseBlocklist(text: string): Blocklist {
  const starts = new Uint32Column();
  const ends = new Uint32Column();
  const lines = new Uint32Column();
  const v6: Ipv6Entry[] = [];
  const domains: DomainEntry[] = [];
  const wildcards: DomainEntry[] = [];
  const ported: PortedEntry[] = [];
  const skipped: SkippedLine[] = [];
  let skippedCount = 0;
  const fast = { start: 0, end: 0 };
  let lineNumber = 0;
  let from = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (from <= text.length) {
    let to = text.indexOf("\n", from);
    if (to < 0) to = text.length;
    lineNumber++;
    let first = from;
    while (first < to && isSpace(text.charCodeAt(first))) first++;
    const c = text.charCodeAt(first);
    if (first < to && !isCommentStart(c)) {
      if (c >= 48 && c <= 57 && readIpv4Line(text, first, to, fast)) {
        starts.push(fast.start);
        ends.push(fast.end);
        lines.push(lineNumber);
      } else {
        const raw = text.slice(first, to);
        const tokens = raw.slice(0, commentStart(raw)).trim().split(/\s+/);
        const entry = readEntry(tokens);
        if (entry === null) {
          if (++skippedCount <= MAX_SKIPPED_KEPT) {
            const line = detached(`${lineNumber}: ${raw.trim().slice(0, 200)}`);
            skipped.push({ line, reason: "not an IP, CIDR, range or domain" });
          }
        } else if (entry.family === 4) {
          starts.push(entry.first);
          ends.push(entry.last);
          lines.push(lineNumber);
        } else if (entry.family === 6) {
          v6.push({ first: entry.first, last: entry.last, line: lineNumber });
        } else if (entry.family === "domain") {
          domains.push({ name: detached(entry.name), line: lineNumber });
        } else if (entry.family === "wildcard") {
          wildcards.push({ name: detached(entry.name), line: lineNumber });
        } else {
          ported.push({ host: entry.host, port: entry.port, line: lineNumber, text: detached(entry.text) });
        }
      }
    }
    const names = domains.length + wildcards.length + ported.length;
    if (v6.length > BLOCKLIST_LIMITS.ipv6 || names > BLOCKLIST_LIMITS.domains) break;
    if (to === text.length) break;
    from = to + 1;
  }
  const overLimit = v6.length > BLOCKLIST_LIMITS.ipv6
    ? `more than ${thousands(BLOCKLIST_LIMITS.ipv6)} IPv6 entries`
    : domains.length + wildcards.length + ported.length > BLOCKLIST_LIMITS.domains
    ? `more than ${thousands(BLOCKLIST_LIMITS.domains)} domains`
    : null;
  return {
    v4: { starts: starts.done(), ends: ends.done(), lines: lines.done() },
    v6,
    domains,
    wildcards,
    ported,
    skipped,
    skippedCount,
    entryCount: starts.length + v6.length + domains.length + wildcards.length + ported.length,
    overLimit,
  };
}

/** Dotted text of an IPv4 number. */
export function ipv4Text(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** Canonical text of a 128-bit IPv6 number. */
export function ipv6Text(value: bigint): string {
  const parts: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) parts.push(Number((value >> shift) & 0xffffn));
  return ipText({ family: 6, groups: parts, zone: "" });
}

function prefixLength(span: bigint, maxBits: number): number | null {
  // A CIDR covers 2^k addresses: span + 1 is a power of two.
  const size = span + 1n;
  if ((size & (size - 1n)) !== 0n) return null;
  return maxBits - (size.toString(2).length - 1);
}

/**
 * An entry as a person would write it: `203.0.113.7`, `203.0.113.0/24`,
 * `10.0.0.1-10.0.0.9`, `2001:db8::/32`.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { entryText } from "./blocklist.ts";
 * deepStrictEqual(entryText(4, 0xcb007100, 0xcb0071ff), "203.0.113.0/24");
 * deepStrictEqual(entryText(4, 0x0a000001, 0x0a000009), "10.0.0.1-10.0.0.9");
 * deepStrictEqual(entryText(6, 0x20010db8n << 96n, (0x20010db8n << 96n) | ((1n << 96n) - 1n)), "2001:db8::/32");
 * ```
 */
export function entryText(family: 4 | 6, first: number | bigint, last: number | bigint): string {
  const text = family === 4
    ? (n: number | bigint) => ipv4Text(Number(n))
    : (n: number | bigint) => ipv6Text(BigInt(n));
  if (first === last) return text(first);
  const bits = prefixLength(BigInt(last) - BigInt(first), family === 4 ? 32 : 128);
  const aligned = bits !== null && (BigInt(first) & (BigInt(last) - BigInt(first))) === 0n;
  return aligned ? `${text(first)}/${bits}` : `${text(first)}-${text(last)}`;
}
