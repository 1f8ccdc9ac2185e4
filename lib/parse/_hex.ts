/**
 * Hex digits read from bytes, for the readers of /proc's tables (`proc_net_tcp.ts`, `proc_net_udp_row.ts`),
 * which read a row's fields without making strings of them.
 *
 * @module
 */

/**
 * The value of `length` hex digits of `line` from `at`; -1 when one of them is not a hex digit.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { hexAt } from "./_hex.ts";
 * const row = new TextEncoder().encode("0100007F:0035 zz");
 * deepStrictEqual([hexAt(row, 0, 8), hexAt(row, 9, 4), hexAt(row, 14, 2)], [0x0100007f, 53, -1]);
 * ```
 */
export function hexAt(line: Uint8Array, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const c = line[i]!;
    const digit = c >= 48 && c <= 57
      ? c - 48
      : c >= 65 && c <= 70
      ? c - 55
      : c >= 97 && c <= 102
      ? c - 87
      : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}
