/**
 * The rows of `/proc/net/tcp` and `/proc/net/tcp6`, written as the netlink messages `ss -taD -` dumps for the
 * same sockets, so that the dump's reader ({@linkcode InetDiagReader}, with its memory) reads them: one reader,
 * the same sockets, statuses, users and remembered objects whichever way the kernel's table came. The monitor
 * reads the rows through the `cat` that reads UDP's (see `lib/collect/udp_listing.ts`) where that saves an ss
 * run, and the dump where it needs the byte counters, which /proc does not print.
 *
 * A row is `%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu …` (`tcp6`: 32 hex digits an
 * address): each address word is printed as the machine holds it, so written back as a machine word it is the
 * kernel's bytes again; ports are numbers. A socket in TIME_WAIT has no inode and /proc no cookie: it gets a
 * cookie of its own from its addresses and ports (a hash), under which the reader finds it again at the next
 * reading (it is the same object only when its state and endpoints are the same too, as for a kernel cookie).
 * A socket /proc lists twice (see `TCP_ROWS_BELOW` in `lib/collect/ss_tcp_dump.ts`) is read once by the reader.
 *
 * @module
 */
import type { InetDiagReader } from "./inet_diag.ts";
import { hexAt } from "./_hex.ts";

const NLMSG_HEADER = 16;
const INET_DIAG_MSG = 72;
const MESSAGE = NLMSG_HEADER + INET_DIAG_MSG;
const SOCK_DIAG_BY_FAMILY = 20;
const NLMSG_DONE = 3;
const AF_INET = 2;
const AF_INET6 = 10;
const TCP_TIME_WAIT = 6;

/** The last decimal number {@linkcode decimalAt} read, and where it ended (no object a call). */
let decimal = -1;
let decimalEnd = 0;

/** Read a decimal number after spaces from `at`, before `end`, into `decimal` (-1: none) and `decimalEnd`. */
function decimalAt(line: Uint8Array, at: number, end: number): void {
  while (at < end && line[at] === 32) at++;
  let value = -1;
  for (; at < end; at++) {
    const c = line[at]!;
    if (c < 48 || c > 57) break;
    value = (value < 0 ? 0 : value * 10) + c - 48;
  }
  decimal = value;
  decimalEnd = at;
}

/** Where the next space-separated field after `at` (before `end`) ends. */
function afterField(line: Uint8Array, at: number, end: number): number {
  while (at < end && line[at] === 32) at++;
  while (at < end && line[at] !== 32) at++;
  return at;
}

/** FNV-1a of `length` bytes of `line` from `at`, never 0: a TIME_WAIT row's cookie (see the module). */
function hashOf(line: Uint8Array, at: number, length: number): number {
  let hash = 0x811c9dc5;
  for (let i = at; i < at + length; i++) hash = Math.imul(hash ^ line[i]!, 0x01000193);
  return (hash >>> 0) || 1;
}

/**
 * The rows of /proc/net/tcp and tcp6 as one `ss -taD -` dump would give them (see the module's text), added a
 * row at a time and handed to a dump reader.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { InetDiagReader } from "./inet_diag.ts";
 * import { ProcTcpRows } from "./proc_net_tcp.ts";
 * const rows = new ProcTcpRows();
 * rows.addLine("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1");
 * const reader = new InetDiagReader();
 * rows.readBy(reader);
 * const [listener] = reader.end().sockets;
 * deepStrictEqual([listener?.local_ip, listener?.local_port, listener?.status, listener?.user, listener?.inode],
 *   ["127.0.0.1", 8080, "LISTEN", "1000", 4242]);
 * ```
 */
export class ProcTcpRows {
  #bytes = new Uint8Array(MESSAGE * 64);
  #words = new Uint32Array(this.#bytes.buffer);
  #halves = new Uint16Array(this.#bytes.buffer);
  #count = 0;

  /** Rows added. */
  get count(): number {
    return this.#count;
  }

  /** Add a row of /proc/net/tcp or tcp6 (ASCII text); false (nothing added) when the line is not such a row. */
  addLine(line: string): boolean {
    const bytes = new TextEncoder().encode(line);
    return this.add(bytes, 0, bytes.length);
  }

  /**
   * Add the row of /proc/net/tcp or tcp6 in `line` from `start` to `end` (no line feed); false (nothing added)
   * when it is not such a row.
   */
  add(line: Uint8Array, start: number, end: number): boolean {
    // After the slot's number and its colon.
    let at = start;
    while (at < end && line[at] !== 58) at++; // ':'
    at += 2;
    if (at + 8 >= end || line[at - 1] !== 32) return false;
    // The address's width says the table: 8 hex digits an IPv4 address, 32 an IPv6 one.
    const v6 = line[at + 8] !== 58;
    const width = v6 ? 32 : 8;
    const local = at;
    const peer = at + width + 6;
    if (peer + width + 8 > end || line[peer - 1] !== 32 || line[peer + width] !== 58) return false;
    const localPort = hexAt(line, local + width + 1, 4);
    const peerPort = hexAt(line, peer + width + 1, 4);
    const state = hexAt(line, peer + width + 6, 2);
    if (localPort < 0 || peerPort < 0 || state < 0) return false;
    // tx_queue:rx_queue, tr:tm->when and retrnsmt, then uid, timeout, inode.
    at = afterField(line, afterField(line, afterField(line, peer + width + 8, end), end), end);
    decimalAt(line, at, end);
    const uid = decimal;
    decimalAt(line, decimalEnd, end); // timeout
    decimalAt(line, decimalEnd, end);
    const inode = decimal;
    if (uid < 0 || inode < 0 || inode > 0xffff_ffff) return false;
    const message = this.#message();
    const bytes = this.#bytes;
    const words = this.#words;
    // The header's length (32 bits) and type (16), in the machine's order as the kernel writes them.
    words[message >> 2] = MESSAGE;
    this.#halves[(message + 4) >> 1] = SOCK_DIAG_BY_FAMILY;
    const msg = message + NLMSG_HEADER;
    bytes[msg] = v6 ? AF_INET6 : AF_INET;
    bytes[msg + 1] = state;
    bytes[msg + 4] = localPort >> 8;
    bytes[msg + 5] = localPort & 0xff;
    bytes[msg + 6] = peerPort >> 8;
    bytes[msg + 7] = peerPort & 0xff;
    for (let i = 0; i < width / 8; i++) {
      const localWord = hexAt(line, local + 8 * i, 8);
      const peerWord = hexAt(line, peer + 8 * i, 8);
      if (localWord < 0 || peerWord < 0) return false;
      words[((msg + 8) >> 2) + i] = localWord;
      words[((msg + 24) >> 2) + i] = peerWord;
    }
    // The cookie (two words), the one field the reader looks at besides those written here (the buffer is reused).
    words[(msg + 44) >> 2] = inode === 0 && state === TCP_TIME_WAIT ? hashOf(line, local, 2 * width + 11) : 0;
    words[(msg + 48) >> 2] = 0;
    words[(msg + 64) >> 2] = uid;
    words[(msg + 68) >> 2] = inode;
    this.#count++;
    return true;
  }

  /** Forget the rows added (a reading that did not use them). */
  clear(): void {
    this.#count = 0;
  }

  /** Hand the rows to a dump reader, with the end-of-dump message; the rows are cleared for the next reading. */
  readBy(reader: InetDiagReader): void {
    const done = this.#message();
    this.#words[done >> 2] = NLMSG_HEADER;
    this.#halves[(done + 4) >> 1] = NLMSG_DONE;
    reader.push(this.#bytes.subarray(0, done + NLMSG_HEADER));
    this.#count = 0;
  }

  /**
   * Where the next message starts, with room for it. Not zeroed: a message is the length and type of its header
   * and the fields of `inet_diag_msg` the dump's reader reads, each written (the others are left as they were).
   */
  #message(): number {
    const at = this.#count * MESSAGE;
    if (at + MESSAGE + NLMSG_HEADER > this.#bytes.length) {
      const bigger = new Uint8Array(this.#bytes.length * 2);
      bigger.set(this.#bytes.subarray(0, at));
      this.#bytes = bigger;
      this.#words = new Uint32Array(bigger.buffer);
      this.#halves = new Uint16Array(bigger.buffer);
    }
    return at;
  }
}
