import { ipText, ipv6Value, isIpv4Mapped, parseIpv6, unmapIp } from "./ip_address.ts";
import { ipv4Number as parseIpv4, lastStartAtOrBelow, mergeSortedIpv4, orderByStart } from "./ip_number.ts";

/** A range of addresses, ends as big-endian byte arrays (4 bytes for IPv4, 16 for IPv6). */
export interface ByteRange {
  family: 4 | 6;
  first: readonly number[];
  last: readonly number[];
}

function toBigInt(bytes: readonly number[]): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

function toUint32(bytes: readonly number[]): number {
  return (((bytes[0] ?? 0) << 24) >>> 0) + ((bytes[1] ?? 0) << 16) + ((bytes[2] ?? 0) << 8) + (bytes[3] ?? 0);
}

function merge<T extends number | bigint>(
  ranges: [T, T][],
  touches: (end: T, start: T) => boolean,
): { starts: T[]; ends: T[] } {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const starts: T[] = [];
  const ends: T[] = [];
  for (const [start, end] of ranges) {
    const last = ends.length - 1;
    // Adjacent or overlapping ranges become one.
    if (last >= 0 && touches(ends[last] as T, start)) {
      if (end > (ends[last] as T)) ends[last] = end;
    } else {
      starts.push(start);
      ends.push(end);
    }
  }
  return { starts, ends };
}

/**
 * A set of IP ranges of both families, merged and sorted, answering "is this
 * address in the set?" by binary search.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { IpRangeSet } from "./ip_range_set.ts";
 * const set = new IpRangeSet([
 *   { family: 4, first: [10, 0, 0, 0], last: [10, 255, 255, 255] },
 *   { family: 4, first: [8, 8, 8, 8], last: [8, 8, 8, 8] },
 * ]);
 * deepStrictEqual(["10.2.3.4", "8.8.8.8", "8.8.4.4", "::1"].map((ip) => set.has(ip)), [true, true, false, false]);
 * ```
 */
export class IpRangeSet {
  #v4Starts: Uint32Array;
  #v4Ends: Uint32Array;
  #v6Starts: bigint[];
  #v6Ends: bigint[];

  constructor(ranges: Iterable<ByteRange>) {
    const v4: [number, number][] = [];
    const v6: [bigint, bigint][] = [];
    for (const r of ranges) {
      if (r.family === 4) v4.push([toUint32(r.first), toUint32(r.last)]);
      else v6.push([toBigInt(r.first), toBigInt(r.last)]);
    }
    const merged4 = merge(v4, (end, start) => start <= end + 1);
    this.#v4Starts = Uint32Array.from(merged4.starts);
    this.#v4Ends = Uint32Array.from(merged4.ends);
    const merged6 = merge(v6, (end, start) => start <= end + 1n);
    this.#v6Starts = merged6.starts;
    this.#v6Ends = merged6.ends;
  }

  /**
   * A set from ranges already held as numbers: IPv4 starts and ends in typed
   * arrays (a million entries cost 8 MB, not the ~200 MB of byte-array
   * ranges), IPv6 as bigints.
   *
   * @example
   * ```ts
   * import { deepStrictEqual } from "node:assert/strict";
   * import { IpRangeSet } from "./ip_range_set.ts";
   * const set = IpRangeSet.fromNumbers(Uint32Array.of(0x08080808), Uint32Array.of(0x08080808), [
   *   { first: 0x20010db8n << 96n, last: (0x20010db8n << 96n) | 0xffffn },
   * ]);
   * deepStrictEqual(["8.8.8.8", "8.8.4.4", "2001:db8::1"].map((ip) => set.has(ip)), [true, false, true]);
   * ```
   */
  static fromNumbers(
    v4Starts: Uint32Array,
    v4Ends: Uint32Array,
    v6: Iterable<{ first: bigint; last: bigint }>,
  ): IpRangeSet {
    const set = new IpRangeSet([]);
    const order = orderByStart(v4Starts);
    const merged = mergeSortedIpv4(
      Uint32Array.from(order, (i) => v4Starts[i] ?? 0),
      Uint32Array.from(order, (i) => v4Ends[i] ?? 0),
    );
    set.#v4Starts = merged.starts;
    set.#v4Ends = merged.ends;
    const merged6 = merge(
      [...v6].map((r): [bigint, bigint] => [r.first, r.last]),
      (end, start) => start <= end + 1n,
    );
    set.#v6Starts = merged6.starts;
    set.#v6Ends = merged6.ends;
    return set;
  }

  /** How many merged ranges the set holds. */
  get size(): number {
    return this.#v4Starts.length + this.#v6Starts.length;
  }

  /** True when the address (canonical IPv4 or IPv6 text) is in one of the ranges. */
  has(ip: string): boolean {
    const v4 = parseIpv4(ip);
    if (v4 >= 0) {
      const i = lastStartAtOrBelow(this.#v4Starts, v4);
      return i >= 0 && v4 <= (this.#v4Ends[i] ?? -1);
    }
    if (this.#v6Starts.length === 0) return false;
    const parsed = parseIpv6(ip);
    if (parsed === null) return false;
    if (isIpv4Mapped(parsed)) return this.has(ipText(unmapIp(parsed)));
    const value = ipv6Value(parsed);
    const i = lastStartAtOrBelow(this.#v6Starts, value);
    return i >= 0 && value <= (this.#v6Ends[i] ?? -1n);
  }
}
