/**
 * A row of `/proc/net/udp` read from its bytes, for a one-shot reading: the same socket as `rowSocket` makes of
 * the row's text (`proc_net.ts`), without a string a field. Read as text, 1,200 rows cost a fresh process 25 ms
 * (10 strings, a split and a join a row, in code not yet compiled), from the bytes a fraction of it. Only a row of
 * the usual form is read so (IPv4, fields as the kernel prints them); any other, `/proc/net/udp6`'s among them, is
 * left to the text's reading (null), which also says why one cannot be read.
 *
 * @module
 */
import type { Socket } from "../model/connection.ts";
import { hexAt } from "./_hex.ts";

const SPACE = 32;
const TAB = 9;
const COLON = 58;
/** `0100007F:0035`: an IPv4 address (8 hex digits, its word as the machine holds it), a colon, a port (4). */
const IPV4_ENDPOINT = 13;

/** The first 10 fields of the row being read: where each starts and ends (see {@linkcode splitFields}). */
const starts = new Int32Array(10);
const ends = new Int32Array(10);

/**
 * Find the first 10 fields of the row from `start` to `end`, separated by spaces or tabs as for the text's
 * reading (`leadingFields`), into `starts` and `ends`; how many there are. One loop, not a call a field: the
 * function V8 compiles for a row stays small (with a call a field inlined it took 6 ms to compile).
 */
function splitFields(line: Uint8Array, start: number, end: number): number {
  let count = 0;
  let at = start;
  while (count < 10) {
    while (at < end && (line[at] === SPACE || line[at] === TAB)) at++;
    if (at >= end) break;
    starts[count] = at;
    while (at < end && line[at] !== SPACE && line[at] !== TAB) at++;
    ends[count++] = at;
  }
  return count;
}

/** The decimal number `from`..`to` holds, as the kernel prints one (no sign, no leading zero); -1 if not one. */
function decimalIn(line: Uint8Array, from: number, to: number): number {
  if (to === from || to - from > 15 || (line[from] === 48 && to - from > 1)) return -1;
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = line[i]! - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Dotted IPv4 names of the address words read, by word: a machine's rows repeat a few addresses. */
const ipv4Names = new Map<number, string>();
const IPV4_NAMES_MAX = 10_000;

/** The dotted name of an IPv4 address word as /proc prints it (its first byte the word's lowest). */
function ipv4Name(word: number): string {
  let name = ipv4Names.get(word);
  if (name === undefined) {
    name = `${word & 255}.${(word >>> 8) & 255}.${(word >>> 16) & 255}.${word >>> 24}`;
    if (ipv4Names.size >= IPV4_NAMES_MAX) ipv4Names.clear();
    ipv4Names.set(word, name);
  }
  return name;
}

/**
 * The socket of the `/proc/net/udp` row from `start` to `end` of `line` (without its line feed), as `rowSocket`
 * gives it from the row's text; null when the row is not of the usual IPv4 form (the text's reading reads it).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { udpRowSocket } from "./proc_net_udp_row.ts";
 * const row = new TextEncoder().encode(
 *   "  63: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 1388410 2 0 0",
 * );
 * const socket = udpRowSocket(row, 0, row.length);
 * deepStrictEqual([socket?.local_ip, socket?.local_port, socket?.status, socket?.user, socket?.inode],
 *   ["127.0.0.1", 53, "UNCONNECTED", "101", 1388410]);
 * ```
 */
export function udpRowSocket(line: Uint8Array, start: number, end: number): Socket | null {
  // sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid, timeout, inode
  if (
    splitFields(line, start, end) < 10 || ends[1]! - starts[1]! !== IPV4_ENDPOINT ||
    ends[2]! - starts[2]! !== IPV4_ENDPOINT || ends[3]! - starts[3]! !== 2 ||
    line[starts[1]! + 8] !== COLON ||
    line[starts[2]! + 8] !== COLON
  ) return null;
  const uid = decimalIn(line, starts[7]!, ends[7]!);
  const inode = decimalIn(line, starts[9]!, ends[9]!);
  const state = hexAt(line, starts[3]!, 2);
  const localWord = hexAt(line, starts[1]!, 8);
  const localPort = hexAt(line, starts[1]! + 9, 4);
  const remoteWord = hexAt(line, starts[2]!, 8);
  const remotePort = hexAt(line, starts[2]! + 9, 4);
  if (
    uid < 0 || inode < 0 || state < 0 || localWord < 0 || localPort < 0 || remoteWord < 0 || remotePort < 0
  ) {
    return null;
  }
  const hasPeer = !(remotePort === 0 && remoteWord === 0);
  return {
    protocol: "UDP",
    family: 4,
    local_ip: ipv4Name(localWord),
    local_port: localPort,
    remote_ip: hasPeer ? ipv4Name(remoteWord) : null,
    remote_port: hasPeer ? remotePort : null,
    status: state === 1 || hasPeer ? "CONNECTED" : "UNCONNECTED",
    pid: null,
    process_name: null,
    process_path: null,
    user: String(uid),
    inode,
  };
}
