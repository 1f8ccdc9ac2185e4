/**
 * IP addresses as numbers, for the range lookups on the hot path: IPv4 as an
 * unsigned 32-bit number, IPv6 as a bigint. Hand-written because a general
 * parser allocates per call and a lookup is done for every address on every
 * poll.
 *
 * @module
 */
import { ipv6Value, parseIpv6 } from "./ip_address.ts";
import { ipv4Between } from "./ip_words.ts";

/**
 * Dotted IPv4 text to its number, or -1 when the text is not one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ipv4Number } from "./ip_number.ts";
 * deepStrictEqual([ipv4Number("203.0.113.7"), ipv4Number("::1"), ipv4Number("1.2.3.256")], [3405803783, -1, -1]);
 * ```
 */
export function ipv4Number(ip: string): number {
  return ipv4Between(ip, 0, ip.length);
}

/** An IPv6 address as a 128-bit number (IPv4-mapped ones too), or null when the text is not IPv6. */
export function ipv6Number(ip: string): bigint | null {
  const address = parseIpv6(ip);
  return address === null ? null : ipv6Value(address);
}

/** The IPv4 address inside an IPv4-mapped IPv6 number (`::ffff:a.b.c.d`), or -1. */
export function mappedIpv4(value: bigint): number {
  return value >> 32n === 0xffffn ? Number(value & 0xffffffffn) : -1;
}

/** Index of the last of the sorted `starts` that is ≤ value, or -1. */
export function lastStartAtOrBelow<T extends number | bigint>(starts: ArrayLike<T>, value: T): number {
  let low = 0;
  let high = starts.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    if ((starts[mid] as T) <= value) low = mid + 1;
    else high = mid - 1;
  }
  return high;
}

/**
 * The order that sorts IPv4 ranges by start (ties in input order). Packs
 * start and index into one float so that the native numeric sort does the
 * work: several times faster than a comparator on a million entries.
 */
export function orderByStart(starts: Uint32Array): Uint32Array {
  const n = starts.length;
  const order = new Uint32Array(n);
  if (n < 2 ** 21) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (starts[i] ?? 0) * 2 ** 21 + i;
    keys.sort();
    for (let i = 0; i < n; i++) order[i] = (keys[i] ?? 0) % 2 ** 21;
    return order;
  }
  for (let i = 0; i < n; i++) order[i] = i;
  return order.sort((a, b) => (starts[a] ?? 0) - (starts[b] ?? 0) || a - b);
}

/** Merged IPv4 ranges: sorted, with overlapping and touching ranges joined. */
export interface MergedIpv4 {
  starts: Uint32Array;
  ends: Uint32Array;
}

/** Merge ranges already sorted by start into disjoint, non-touching ranges. */
export function mergeSortedIpv4(starts: ArrayLike<number>, ends: ArrayLike<number>): MergedIpv4 {
  const outStarts = new Uint32Array(starts.length);
  const outEnds = new Uint32Array(starts.length);
  let n = 0;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] ?? 0;
    const end = ends[i] ?? 0;
    if (n > 0 && start <= (outEnds[n - 1] ?? 0) + 1) {
      if (end > (outEnds[n - 1] ?? 0)) outEnds[n - 1] = end;
    } else {
      outStarts[n] = start;
      outEnds[n] = end;
      n++;
    }
  }
  return { starts: outStarts.slice(0, n), ends: outEnds.slice(0, n) };
}
