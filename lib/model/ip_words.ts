/**
 * IP address text to 32-bit words, without allocating: the parser on the GeoIP
 * hot path (every remote address of every poll, and every line of a DB-IP CSV).
 * IPv4 is one word; IPv6 is four, most significant first. IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`, in either spelling) is unmapped to IPv4, and a zone
 * (`fe80::1%eth0`) is ignored.
 *
 * @module
 */

/** 4 or 6 when the text was an address of that family, 0 when it was not one. */
export type IpWordsFamily = 0 | 4 | 6;

const groups = new Uint32Array(8);

/** Dotted IPv4 text between `from` and `to` as its number, or -1 when it is not one. */
export function ipv4Between(text: string, from: number, to: number): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      if (part > 255) return -1;
      digits++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** The value of a hexadecimal digit's character code, or -1 when it is not one. */
export function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Reads IPv6 text into `groups`; false when it is not IPv6. */
function parseIpv6Groups(text: string, to: number): boolean {
  let count = 0;
  let gap = -1;
  let i = 0;
  if (to >= 2 && text.charCodeAt(0) === 58 && text.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
    if (i === to) {
      groups.fill(0);
      return true;
    }
  } else if (to > 0 && text.charCodeAt(0) === 58) {
    return false;
  }
  while (i < to) {
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < to && digits <= 4; j++) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
    }
    if (j < to && text.charCodeAt(j) === 46) {
      // A dotted IPv4 tail fills the last two groups.
      if (count > 6) return false;
      const v4 = ipv4Between(text, i, to);
      if (v4 < 0) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = to;
      break;
    }
    if (digits === 0 || digits > 4 || count === 8) return false;
    groups[count++] = value;
    i = j;
    if (i === to) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < to && text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === to) break;
    } else if (i === to) {
      return false;
    }
  }
  if (gap < 0) return count === 8;
  if (count === 8) return false;
  const tail = count - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[count - 1 - k] ?? 0;
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return true;
}

/**
 * Parse `text` into `out` (at least 4 words): IPv4 → `out[0]`, IPv6 →
 * `out[0..3]`. Returns the family, or 0 when the text is not an address.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ipWords } from "./ip_words.ts";
 * const out = new Uint32Array(4);
 * deepStrictEqual([ipWords("8.8.8.8", out), out[0]], [4, 0x08080808]);
 * deepStrictEqual([ipWords("::ffff:8.8.4.4", out), out[0]], [4, 0x08080404]);
 * deepStrictEqual([ipWords("2001:4860:4860::8888", out), [...out]], [6, [0x20014860, 0x48600000, 0, 0x8888]]);
 * deepStrictEqual(ipWords("2001:db8::1::2", out), 0);
 * ```
 */
export function ipWords(text: string, out: Uint32Array): IpWordsFamily {
  const v4 = ipv4Between(text, 0, text.length);
  if (v4 >= 0) {
    out[0] = v4;
    return 4;
  }
  let to = text.indexOf("%");
  if (to < 0) to = text.length;
  if (to === 0 || !parseIpv6Groups(text, to)) return 0;
  const g = groups as unknown as number[];
  if ((g[0]! | g[1]! | g[2]! | g[3]! | g[4]!) === 0 && g[5] === 0xffff) {
    out[0] = (g[6]! << 16 | g[7]!) >>> 0;
    return 4;
  }
  out[0] = (g[0]! << 16 | g[1]!) >>> 0;
  out[1] = (g[2]! << 16 | g[3]!) >>> 0;
  out[2] = (g[4]! << 16 | g[5]!) >>> 0;
  out[3] = (g[6]! << 16 | g[7]!) >>> 0;
  return 6;
}

/** Four IPv6 words as one 128-bit number. */
export function wordsToBigint(words: ArrayLike<number>, at = 0): bigint {
  return (BigInt(words[at] ?? 0) << 96n) | (BigInt(words[at + 1] ?? 0) << 64n) |
    (BigInt(words[at + 2] ?? 0) << 32n) | BigInt(words[at + 3] ?? 0);
}

/** A 128-bit number into four IPv6 words at `out[at..at+3]`. */
export function bigintToWords(value: bigint, out: Uint32Array, at = 0): void {
  out[at] = Number((value >> 96n) & 0xffffffffn);
  out[at + 1] = Number((value >> 64n) & 0xffffffffn);
  out[at + 2] = Number((value >> 32n) & 0xffffffffn);
  out[at + 3] = Number(value & 0xffffffffn);
}
