import { type IpAddress, ipBytes, parseCidr, parseIp, unmapIp } from "../model/ip_address.ts";
import type { SkippedLine } from "./parse_result.ts";
import { splitLines } from "./parse_result.ts";

/** One address range read from a list: both ends as canonical text, with where it came from. */
export interface IpListEntry {
  /** The entry as written (without comments), for messages and exports. */
  text: string;
  family: 4 | 6;
  /** 1-based line number in the file. */
  line: number;
  /** First and last address of the entry, as byte arrays. */
  first: number[];
  last: number[];
}

/** What {@linkcode parseIpList} read. */
export interface IpListResult {
  entries: IpListEntry[];
  /** Lines that are neither blank, a comment, an IP nor a CIDR; `line` holds `N: text`. */
  skipped: SkippedLine[];
}

function cidrEnds(address: IpAddress, bits: number): { first: number[]; last: number[] } {
  const bytes = ipBytes(address);
  const first = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b & (0xff << (8 - keep)) & 0xff;
  });
  const last = first.map((b, i) => {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    return b | (0xff >> keep);
  });
  return { first, last };
}

function readEntry(text: string): Omit<IpListEntry, "line" | "text"> | null {
  const slash = text.indexOf("/");
  if (slash < 0) {
    const parsed = parseIp(text);
    if (parsed === null) return null;
    const bytes = ipBytes(unmapIp(parsed));
    return { family: bytes.length === 4 ? 4 : 6, first: bytes, last: bytes };
  }
  const cidr = parseCidr(text);
  if (cidr === null) return null;
  const address = unmapIp(cidr.address);
  const bits = address === cidr.address ? cidr.bits : cidr.bits - 96;
  if (bits < 0) return null;
  return { family: address.family, ...cidrEnds(address, bits) };
}

/**
 * Read a list of IPs and CIDRs, one per line, as `--filter-file` and the
 * frequent-IP file use: `#` starts a comment (whole line or after the entry),
 * blank lines are ignored, CRLF endings are fine, and IPv4-mapped IPv6 is read
 * as IPv4. Any other line is skipped with its line number and a reason.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseIpList } from "./ip_list.ts";
 * const list = parseIpList("# frequent IPs\r\n8.8.8.8  # 52.0% connected\r\n10.0.0.0/8\r\nnot an ip\r\n");
 * deepStrictEqual(list.entries.map((e) => e.text), ["8.8.8.8", "10.0.0.0/8"]);
 * deepStrictEqual(list.skipped, [{ line: "4: not an ip", reason: "not an IP address or CIDR" }]);
 * ```
 */
export function parseIpList(text: string): IpListResult {
  const entries: IpListEntry[] = [];
  const skipped: SkippedLine[] = [];
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? "";
    const hash = raw.indexOf("#");
    const entryText = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (entryText === "") continue;
    const entry = readEntry(entryText);
    if (entry === null) {
      skipped.push({ line: `${i + 1}: ${raw.trim()}`, reason: "not an IP address or CIDR" });
    } else {
      entries.push({ text: entryText, line: i + 1, ...entry });
    }
  }
  return { entries, skipped };
}
