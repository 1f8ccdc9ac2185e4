/**
 * The naive block-list matcher the benchmark compares against, as the earlier
 * tools wrote it: a Set of address strings for exact entries and an array of
 * CIDRs scanned one by one.
 */
import { ipv4Number } from "../lib/model/ip_number.ts";

/** Exact entries in a Set, CIDRs as (network, mask) pairs scanned linearly. */
export interface NaiveBlocklist {
  exact: Set<string>;
  cidrs: { network: number; mask: number }[];
}

/** Read a list the naive way: split lines, strip comments, sort entries into the Set or the CIDR array. */
export function loadNaive(text: string): NaiveBlocklist {
  const exact = new Set<string>();
  const cidrs: { network: number; mask: number }[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split("#")[0]?.trim() ?? "";
    if (line === "") continue;
    const [address = "", bits] = line.split("/");
    if (bits === undefined) {
      exact.add(address);
      continue;
    }
    const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
    cidrs.push({ network: (ipv4Number(address) & mask) >>> 0, mask });
  }
  return { exact, cidrs };
}

/** Look an address up the naive way. */
export function naiveHas(list: NaiveBlocklist, ip: string): boolean {
  if (list.exact.has(ip)) return true;
  const value = ipv4Number(ip);
  for (const { network, mask } of list.cidrs) if (((value & mask) >>> 0) === network) return true;
  return false;
}
