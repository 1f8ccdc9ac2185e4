/**
 * What one `cat` of /proc/net's files prints for a poll (see `lib/collect/udp_listing.ts`): the sockstat counts,
 * UDP's tables and, where the poll asked for them, TCP's, one after the other. Read as it comes, chunk by chunk:
 * TCP's rows (2,000 at 1,000 connections) go from the bytes to {@linkcode ProcTcpRows} without a string made of
 * them (the text whole and a string a line were a megabyte of garbage a poll, its buffer outside V8's heap).
 *
 * @module
 */
import type { Socket } from "../model/connection.ts";
import { leadingFields } from "./_fields.ts";
import type { ParseResult, SkippedLine } from "./parse_result.ts";
import { rowSocket } from "./proc_net.ts";
import { udpRowSocket } from "./proc_net_udp_row.ts";
import type { ProcTcpRows } from "./proc_net_tcp.ts";
import type { SsLineMemory, SsTcpSummary } from "./ss.ts";

/** The files whose text {@linkcode ProcNetListingReader} reads, in its order: the TCP counts, then UDP's tables. */
export const PROC_NET_UDP_LISTING = [
  "/proc/net/sockstat",
  "/proc/net/sockstat6",
  "/proc/net/udp",
  "/proc/net/udp6",
] as const;

/** TCP's tables, which {@linkcode ProcNetListingReader} reads after UDP's when they follow them. */
export const PROC_NET_TCP_TABLES = ["/proc/net/tcp", "/proc/net/tcp6"] as const;

/** The files of {@linkcode PROC_NET_UDP_LISTING} with the TCP counts: the first two. */
export const PROC_NET_SOCKSTATS = PROC_NET_UDP_LISTING.slice(0, 2);

/** UDP's tables: the files of {@linkcode PROC_NET_UDP_LISTING} after the counts. */
export const PROC_NET_UDP_TABLES = PROC_NET_UDP_LISTING.slice(2);

/** What {@linkcode ProcNetListingReader} read. */
export interface ProcNetListing {
  /** The TCP counts per family, as `ss -s` prints them (null: no `TCP:` line). */
  summary: SsTcpSummary | null;
  /** UDP's sockets, and the lines skipped (TCP's too). */
  udp: ParseResult;
  /** Heads read of UDP's tables (`udp`, `udp6`) and of TCP's (`tcp`, `tcp6`, whose rows went to `tcp`). */
  tables: number;
  tcpTables: number;
}

/** A sockstat line (`TCP: inuse 5 …`). */
const SOCKSTAT_LINE = /^[A-Za-z][A-Za-z0-9]*: /;
/** A table's head (`  sl  local_address …`). */
const TABLE_HEAD = /^\s*sl\s+local_address\s/;

/** A count after `name ` in a `/proc/net/sockstat` line's text (`TCP: inuse 5 orphan 0 tw 2 …`); null if none. */
function countOf(text: string, name: string): number | null {
  const match = new RegExp(`(?:^| )${name} (\\d+)(?: |$)`).exec(text);
  return match === null ? null : Number(match[1]);
}

const latin1 = new TextDecoder("latin1");

/**
 * Read the text of {@linkcode PROC_NET_UDP_LISTING} (and {@linkcode PROC_NET_TCP_TABLES} after it) as one program
 * printed the files one after the other (`cat`): the TCP counts `ss -s` prints from the same two sockstat files
 * (sockets hashed per family, those in TIME-WAIT; null without the `TCP:` line), UDP's sockets, each row's
 * family told by its address's width, and how many tables' heads it read. `sockstat6`, `udp6` and `tcp6` are
 * absent where IPv6 is off: their counts are 0, their rows none. TCP's rows (after a head without `drops`,
 * which UDP's ends with) go to `tcp` (see `proc_net_tcp.ts`). A row's slot number is `%5d:` (UDP) or `%4d:`:
 * no space before it from slot 10,000 on. Any other line is a counted, skipped line.
 *
 * With a `memory`, an unchanged UDP row (the same addresses, state, uid and inode: its queues, drops and
 * references may change) gives the socket it made before again, as {@linkcode SsLineMemory} does for ss's text.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseProcNetListing } from "./proc_net_listing.ts";
 * const { summary, udp } = parseProcNetListing([
 *   "sockets: used 9",
 *   "TCP: inuse 5 orphan 0 tw 2 alloc 7 mem 1",
 *   "TCP6: inuse 3",
 *   "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
 *   "  541: 3500007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 20519 2 0000000000000000 0",
 * ].join("\n"));
 * deepStrictEqual(summary, { ipv4: 5, ipv6: 3, timeWait: 2 });
 * deepStrictEqual([udp.sockets[0]?.local_ip, udp.sockets[0]?.local_port, udp.sockets[0]?.user], ["127.0.0.53", 53, "101"]);
 * ```
 */
export class ProcNetListingReader {
  readonly #memory: SsLineMemory | undefined;
  readonly #tcp: ProcTcpRows | undefined;
  readonly #traffic: boolean;
  readonly #reading: number;
  readonly #sockets: Socket[] = [];
  readonly #skipped: SkippedLine[] = [];
  #tables = 0;
  #tcpTables = 0;
  /** Whether the rows are TCP's: the last head was one of /proc/net/tcp or tcp6. */
  #inTcp = false;
  #tcpLine: string | null = null;
  #tcp6Line: string | null = null;
  /** The start of a line the last chunk ended inside. */
  #carry = new Uint8Array(256);
  #carried = 0;

  /**
   * `traffic`: UDP's sockets get `bytes_sent` and `bytes_received`, null (UDP has no counters), as
   * `parseSs` gives them with `traffic`: a connection's fields do not depend on where its row came from.
   */
  constructor(options: { memory?: SsLineMemory; tcp?: ProcTcpRows; traffic?: boolean } = {}) {
    this.#memory = options.memory;
    this.#tcp = options.tcp;
    this.#traffic = options.traffic ?? false;
    this.#reading = this.#memory?.begin() ?? 0;
  }

  /** Read the next bytes of the text. */
  push(chunk: Uint8Array): void {
    let at = 0;
    if (this.#carried > 0) {
      const lineEnd = chunk.indexOf(10);
      this.#keep(chunk, 0, lineEnd < 0 ? chunk.length : lineEnd);
      if (lineEnd < 0) return;
      this.#line(this.#carry, 0, this.#carried);
      this.#carried = 0;
      at = lineEnd + 1;
    }
    while (at < chunk.length) {
      const lineEnd = chunk.indexOf(10, at);
      if (lineEnd < 0) {
        this.#keep(chunk, at, chunk.length);
        return;
      }
      this.#line(chunk, at, lineEnd);
      at = lineEnd + 1;
    }
  }

  /** The TCP counts of the sockstat lines read so far (whole lines: those before the last line feed). */
  get summary(): SsTcpSummary | null {
    const tcp = this.#tcpLine;
    const ipv4 = tcp === null ? null : countOf(tcp, "inuse");
    const timeWait = tcp === null ? null : countOf(tcp, "tw");
    const tcp6 = this.#tcp6Line;
    return ipv4 === null || timeWait === null
      ? null
      : { ipv4, ipv6: tcp6 === null ? 0 : countOf(tcp6, "inuse") ?? 0, timeWait };
  }

  /** What the text said. */
  end(): ProcNetListing {
    if (this.#carried > 0) this.#line(this.#carry, 0, this.#carried);
    this.#carried = 0;
    this.#memory?.end(this.#reading);
    return {
      summary: this.summary,
      udp: { sockets: this.#sockets, skipped: this.#skipped },
      tables: this.#tables,
      tcpTables: this.#tcpTables,
    };
  }

  /** Keep bytes of a line the chunk ends inside. */
  #keep(chunk: Uint8Array, from: number, to: number): void {
    const length = this.#carried + to - from;
    if (length > this.#carry.length) {
      const bigger = new Uint8Array(Math.max(length, 2 * this.#carry.length));
      bigger.set(this.#carry.subarray(0, this.#carried));
      this.#carry = bigger;
    }
    this.#carry.set(chunk.subarray(from, to), this.#carried);
    this.#carried = length;
  }

  /** One line, from `start` to `end` of `bytes` (without its line feed). */
  #line(bytes: Uint8Array, start: number, end: number): void {
    let first = start;
    while (first < end && bytes[first] === 32) first++;
    // Not the byte after the line: in the carry buffer that is a longer line's before it (a digit, say).
    const c = first < end ? bytes[first]! : 0;
    if (c >= 48 && c <= 57) {
      if (this.#inTcp) {
        if (this.#tcp === undefined || !this.#tcp.add(bytes, start, end)) {
          this.#skipped.push({
            line: latin1.decode(bytes.subarray(start, end)),
            reason: "not a /proc/net/tcp row",
          });
        }
      } else if (this.#memory !== undefined) this.#udpRow(latin1.decode(bytes.subarray(start, end)));
      else this.#udpRowBytes(bytes, start, end);
      return;
    }
    const line = latin1.decode(bytes.subarray(start, end));
    if (line.startsWith("TCP: ")) this.#tcpLine = line;
    else if (line.startsWith("TCP6: ")) this.#tcp6Line = line;
    else if (TABLE_HEAD.test(line)) {
      this.#inTcp = !line.includes(" drops");
      if (this.#inTcp) this.#tcpTables++;
      else this.#tables++;
    } else if (line.trim() !== "" && !SOCKSTAT_LINE.test(line)) {
      this.#skipped.push({ line, reason: "not a /proc/net row" });
    }
  }

  /**
   * A row of UDP's tables read from its bytes, without a memory (a one-shot reading): see `proc_net_udp_row.ts`.
   * A row not of the usual form is read as text.
   */
  #udpRowBytes(bytes: Uint8Array, start: number, end: number): void {
    const socket = udpRowSocket(bytes, start, end);
    if (socket === null) {
      this.#udpRow(latin1.decode(bytes.subarray(start, end)));
      return;
    }
    if (this.#traffic) {
      socket.bytes_sent = null;
      socket.bytes_received = null;
    }
    this.#sockets.push(socket);
  }

  /** A row of UDP's tables. */
  #udpRow(line: string): void {
    const memory = this.#memory;
    const fields = leadingFields(line, 10).fields;
    const key = memory === undefined
      ? ""
      : `${fields[1]} ${fields[2]} ${fields[3]} ${fields[7]} ${fields[9]}`;
    const known = memory?.take(key, this.#reading);
    if (known !== undefined) {
      this.#sockets.push(known);
      return;
    }
    const socket = rowSocket(fields, "UDP", null);
    if (socket === null) {
      this.#skipped.push({ line, reason: "not a /proc/net socket row" });
      return;
    }
    if (this.#traffic) {
      socket.bytes_sent = null;
      socket.bytes_received = null;
    }
    this.#sockets.push(socket);
    memory?.keep(key, socket, this.#reading);
  }
}

/** Read a whole text as {@linkcode ProcNetListingReader} does (a scripted host's, a test's). */
export function parseProcNetListing(
  text: string,
  options: { memory?: SsLineMemory; tcp?: ProcTcpRows; traffic?: boolean } = {},
): ProcNetListing {
  const reader = new ProcNetListingReader(options);
  reader.push(new TextEncoder().encode(text));
  return reader.end();
}
