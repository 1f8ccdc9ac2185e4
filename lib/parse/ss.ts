import type { Socket } from "../model/connection.ts";
import { type Endpoint, normalizeIp, parseEndpoint } from "./endpoint.ts";
import { socketFromRow } from "./_socket.ts";
import { normalizeStatus } from "../model/status.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";
import { parseTcpInfoCounters, tcpTrafficFromInfo } from "./ss_tcp_info.ts";

/** One process that holds a socket, as `ss -p` lists it in `users:((…))`. */
export interface SsOwner {
  name: string;
  pid: number;
  fd: number;
}

const OWNER = /\("((?:[^"\\]|\\.)*?)",(?:pid=)?(\d+),(?:fd=)?(\d+)\)/g;

/**
 * Read the processes of an `ss -p` `users:((…))` field, with and without the
 * `pid=` keys of older iproute2.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsOwners } from "./ss.ts";
 * deepStrictEqual(parseSsOwners('users:(("sshd",11427,3))'), [{ name: "sshd", pid: 11427, fd: 3 }]);
 * ```
 */
export function parseSsOwners(text: string): SsOwner[] {
  const start = text.indexOf("users:((");
  if (start < 0) return [];
  const end = text.indexOf("))", start);
  const field = text.slice(start + 7, end < 0 ? undefined : end + 2);
  const owners: SsOwner[] = [];
  for (const m of field.matchAll(OWNER)) {
    owners.push({ name: m[1] ?? "", pid: Number(m[2]), fd: Number(m[3]) });
  }
  return owners;
}

/**
 * The first owner of a `users:((…))` field in `text` before `limit`, without a regex or a copy of the
 * line: the parser's hot path.
 */
function firstSsOwner(text: string, limit: number): SsOwner | undefined {
  const start = text.indexOf('users:(("');
  if (start < 0 || start >= limit) return undefined;
  const nameStart = start + 9;
  // A name may hold `",`; the owner's numbers follow the last `",` before `)`.
  let close = text.indexOf(")", nameStart);
  if (close >= limit) close = -1;
  const nameEnd = text.lastIndexOf('",', close < 0 ? limit - 1 : close);
  if (nameEnd < nameStart) return parseSsOwners(text.slice(0, limit))[0];
  let at = nameEnd + 2;
  if (text.startsWith("pid=", at)) at += 4;
  const end = digitsEnd(text, at, limit);
  if (end === at) return parseSsOwners(text.slice(0, limit))[0];
  return { name: text.slice(nameStart, nameEnd), pid: digitsValue(text, at, end), fd: -1 };
}

/**
 * The owner of each socket in the output of `ss -tunapeH`, by inode, read
 * without parsing addresses, states or counters: what a collector needs when
 * it only asks `ss -p` who owns sockets it already read. A socket with an
 * inode and no `users:` field maps to null (it is known to show no process);
 * the owner is the one {@linkcode parseSs} reports.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsInodeOwners } from "./ss.ts";
 * const owners = parseSsInodeOwners(
 *   'tcp ESTAB 0 0 127.0.0.1:46690 127.0.0.1:47123 users:(("python3",pid=11541,fd=6)) ino:18837 sk:7 <->\n' +
 *     "udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:2558470 sk:1 <->",
 * );
 * deepStrictEqual([...owners], [[18837, { pid: 11541, name: "python3" }], [2558470, null]]);
 * ```
 */
export function parseSsInodeOwners(text: string): Map<number, { pid: number; name: string } | null> {
  const owners = new Map<number, { pid: number; name: string } | null>();
  for (const line of splitLines(text)) {
    if (line.charCodeAt(0) === 9) continue; // `-i` information
    // `ino:` follows the owners (a process name may hold any text): the last one is the field.
    const inodeAt = line.lastIndexOf(" ino:");
    const inode = inodeAt < 0 ? null : numberAfter(line, " ino:", inodeAt);
    if (!inode) continue;
    const owner = firstSsOwner(line, inodeAt);
    owners.set(inode, owner === undefined ? null : { pid: owner.pid, name: owner.name });
  }
  return owners;
}

/** Where the run of ASCII digits at `at` ends (at most at `limit`). */
function digitsEnd(text: string, at: number, limit = text.length): number {
  let end = at;
  while (end < limit && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
  return end;
}

/** The value of the digits from `at` to `end`, as `Number()` of them reads it, with no substring. */
function digitsValue(text: string, at: number, end: number): number {
  // Past 15 digits a sum could round differently from Number(): keep Number's reading there.
  if (end - at > 15) return Number(text.slice(at, end));
  let value = 0;
  for (let i = at; i < end; i++) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

/** The number right after `key` at or after `from` (the first `key` there), or null. */
function numberAfter(text: string, key: string, from = 0): number | null {
  const at = text.indexOf(key, from);
  if (at < 0) return null;
  const end = digitsEnd(text, at + key.length);
  return end > at + key.length ? digitsValue(text, at + key.length, end) : null;
}

/**
 * Start and end of each column {@linkcode scanFields} found, in pairs: one array for every line (the parser
 * runs to its end without yielding, so nothing else uses it meanwhile).
 */
const FIELD = new Int32Array(12);

/**
 * Find the first `count` columns of a line (split by spaces and tabs, as `leadingFields` of _fields.ts does) into
 * {@linkcode FIELD}, without making a string of any; returns how many were found.
 */
function scanFields(line: string, count: number): number {
  const n = line.length;
  let i = 0;
  let found = 0;
  while (found < count) {
    let c = line.charCodeAt(i);
    while (i < n && (c === 32 || c === 9)) c = line.charCodeAt(++i);
    if (i >= n) break;
    FIELD[found * 2] = i;
    while (i < n && c !== 32 && c !== 9) c = line.charCodeAt(++i);
    FIELD[found * 2 + 1] = i;
    found++;
  }
  return found;
}

/** uid → its text: the same few owners repeat on every row. */
const uidTexts = new Map<number, string>();

function uidText(uid: number): string {
  let text = uidTexts.get(uid);
  if (text === undefined) {
    text = String(uid);
    if (uidTexts.size < 1000) uidTexts.set(uid, text);
  }
  return text;
}

/**
 * `parseEndpoint(line.slice(start, end))`, the port read in place when it is plain digits (every row of
 * `ss -n`); anything else takes the general way.
 */
function ssEndpoint(line: string, start: number, end: number): Endpoint | null {
  const cut = line.lastIndexOf(":", end - 1);
  const digits = end - cut - 1;
  if (cut <= start || digits < 1 || digits > 5 || digitsEnd(line, cut + 1, end) !== end) {
    return parseEndpoint(line.slice(start, end));
  }
  const port = digitsValue(line, cut + 1, end);
  if (port > 65535) return null;
  const host = line.slice(start, cut);
  const address = normalizeIp(host, host.includes(":") ? 6 : 4);
  if (address === null) return null;
  return {
    ip: address.ip,
    family: address.family,
    port,
    wildcard: address.ip === "0.0.0.0" || address.ip === "::",
  };
}

/** What {@linkcode COMMON_ROW} reads after the state: the queues, both addresses, the owner, uid and inode. */
const COMMON_ROW_AFTER_STATE = "[ \\t]+[^ \\t]+[ \\t]+[^ \\t]+[ \\t]+" +
  "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(?:%[^ \\t:]+)?|\\[[^\\] \\t]*\\]|\\*):(\\d{1,5})[ \\t]+" +
  "(\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}(?:%[^ \\t:]+)?|\\[[^\\] \\t]*\\]|\\*):(\\d{1,5}|\\*)[ \\t]+" +
  '(?:users:\\(\\("([^"(),:]*)",pid=(\\d+),fd=\\d+\\)\\)[ \\t]+)?(?:uid:(\\d+)[ \\t]+)?ino:(\\d+)(?:[ \\t]|$)';
/**
 * The common row of `ss -tunaeH` (what `snapshot` and the live listings run): a Netid, an address and port on
 * both sides (IPv4, possibly with a `%zone`, `[IPv6]` or `*`; the peer's port may be `*`), then with `-p` one
 * owner whose name holds none of `"(),:` (so that no `ino:` or `uid:` can hide in it), `uid:` (non-root owners
 * only) and `ino:`. One regular expression, run by V8's own matcher, reads it: the
 * general way below (columns found in place, then each address and number read by hand) cost twice the CPU at
 * 21,000 rows cold, most of it compiling its many small functions for a run that ends before the compiled code
 * is used. Anything else (several owners, `-i` information, a timer, an odd column) takes the general way, which
 * reads it as before: a row this reads gives the socket the general way gives it (tests/parse/ss_test.ts and
 * the parsers fuzz campaign compare the two ways). An address is the text before the port's `:`, as the general
 * way cuts it, and goes through the same normalizeIp.
 */
const COMMON_ROW = new RegExp("^(tcp|udp)[ \\t]+([^ \\t]+)" + COMMON_ROW_AFTER_STATE);
/**
 * {@linkcode COMMON_ROW} without the Netid column, which `ss -u` or `ss -t` alone leaves out (UDP's listing,
 * `ss -uaneH -s`): the row starts with its state, and its protocol is the one ss was asked for. An empty first
 * group keeps the groups' numbers. Without it every such row took the general way: 1,200 UDP rows of a farm
 * measured 31 -> 23 ms parsed once in a fresh process (most of it compiling), 17.7 -> 3.4 ms parsed again.
 */
const COMMON_ROW_WITHOUT_NETID = new RegExp("^()([^ \\t]+)" + COMMON_ROW_AFTER_STATE);

/**
 * The socket of a row {@linkcode COMMON_ROW} (or {@linkcode COMMON_ROW_WITHOUT_NETID}) matched, of `protocol` (its
 * Netid's, or the one ss was asked for), as `socketFromRow` makes it from what the general way reads; null when
 * the general way must read the row (a port past 65535, an address normalizeIp refuses).
 */
function commonRowSocket(row: RegExpExecArray, protocol: "TCP" | "UDP"): Socket | null {
  const localPort = Number(row[4]);
  const peerPort = row[6] === "*" ? null : Number(row[6]);
  if (localPort > 65535 || (peerPort !== null && peerPort > 65535)) return null;
  // The family `*` stands for, as the general way gives it: 6 when the text has a colon.
  const localHost = row[3]!;
  const peerHost = row[5]!;
  const local = normalizeIp(localHost, localHost.includes(":") ? 6 : 4);
  const peer = normalizeIp(peerHost, peerHost.includes(":") ? 6 : 4);
  if (local === null || peer === null) return null;
  // isNoPeer: a wildcard address with no port or port 0.
  const hasPeer = !((peer.ip === "0.0.0.0" || peer.ip === "::") && (peerPort === null || peerPort === 0));
  const inode = Number(row[10]);
  // ss prints `uid:` only for non-root owners: a socket with an inode and none is root's.
  const uid = row[9] !== undefined ? Number(row[9]) : inode !== 0 ? 0 : null;
  const pid = row[8] === undefined ? null : Number(row[8]);
  // The fields in socketFromRow's order: the same object shape.
  return {
    protocol,
    family: local.family,
    local_ip: local.ip,
    local_port: localPort,
    remote_ip: hasPeer ? peer.ip : null,
    remote_port: hasPeer ? peerPort : null,
    status: normalizeStatus(row[2]!, protocol, hasPeer),
    pid,
    process_name: row[7] ?? null,
    process_path: null,
    user: uid === null ? null : uidText(uid),
    inode,
  };
}

/** Options of {@linkcode parseSs}. */
export interface ParseSsOptions {
  /**
   * Read each TCP socket's byte counters from `ss -i` information (on its own
   * `\t`-indented line, or on the socket's line with `-O`): every socket gets
   * `bytes_sent` and `bytes_received`, `null` for UDP, for listening sockets and
   * where ss printed no counters.
   */
  traffic?: boolean;
  /**
   * The one protocol ss was asked for (`ss -u` or `ss -t` alone): ss then
   * prints no Netid column, and a row's state cannot tell UDP from TCP
   * (both are `ESTAB` or `UNCONN`), so the caller says which it is.
   */
  protocol?: "TCP" | "UDP";
  /**
   * The UDP rows of the last reading with these same options: a row whose line
   * has not changed since is not parsed again, and gives the same socket object.
   */
  memory?: SsLineMemory;
}

/** What `ss -s` says of a namespace's TCP sockets: those hashed per family, and those in TIME-WAIT. */
export interface SsTcpSummary {
  ipv4: number;
  ipv6: number;
  timeWait: number;
}

/**
 * Split the output of ss run with `-s` beside a listing (`ss -uaneH -s`): the
 * summary ss prints first, read for its TCP counts (the `TCP:` line's
 * `timewait`, the transport table's `TCP` row: total, IP, IPv6), and the
 * listing after the blank line that ends it. Output that does not start with
 * a summary is all listing; a summary whose counts cannot be read gives
 * `summary` null.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { splitSsSummary } from "./ss.ts";
 * const text = "Total: 3\nTCP:   9 (estab 2, closed 6, orphaned 0, timewait 0)\n\n" +
 *   "Transport Total     IP        IPv6\nRAW\t  0         0         0        \n" +
 *   "UDP\t  1         1         0        \nTCP\t  2         2         0        \n" +
 *   "INET\t  3         3         0        \nFRAG\t  0         0         0        \n\n" +
 *   "UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:7 sk:1 <->\n";
 * deepStrictEqual(splitSsSummary(text), {
 *   summary: { ipv4: 2, ipv6: 0, timeWait: 0 },
 *   listing: "UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:7 sk:1 <->\n",
 * });
 * ```
 */
export function splitSsSummary(text: string): { summary: SsTcpSummary | null; listing: string } {
  if (!text.startsWith("Total:")) return { summary: null, listing: text };
  const table = text.indexOf("\nTransport ");
  const end = table < 0 ? -1 : text.indexOf("\n\n", table);
  const head = end < 0 ? text : text.slice(0, end);
  const listing = end < 0 ? "" : text.slice(end + 2);
  const timeWait = /^TCP: .*\btimewait (\d+)\b/m.exec(head);
  const row = /^TCP\s+\d+\s+(\d+)\s+(\d+)[ \t]*$/m.exec(head);
  if (timeWait === null || row === null) return { summary: null, listing };
  return {
    summary: { ipv4: Number(row[1]), ipv6: Number(row[2]), timeWait: Number(timeWait[1]) },
    listing,
  };
}

/** What a UDP row's line made, and the fields a collector may change on its socket, as the line gave them. */
interface RememberedRow {
  socket: Socket;
  pid: number | null;
  process_name: string | null;
  user: string | null;
  seen: number;
}

/**
 * UDP rows of ss text kept from one reading to the next by their line (the
 * line holds the socket's inode and queues, so an unchanged line is an
 * unchanged socket): {@linkcode parseSs} gives the socket it made from the
 * same line again instead of parsing it, with the owner, path and user the
 * line gave it (a collector fills those in after each reading). Only UDP rows:
 * a TCP row's counters come from the line after it. One memory per kind of
 * reading (the same options); a reading forgets the lines it did not list.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSs, SsLineMemory } from "./ss.ts";
 * const memory = new SsLineMemory();
 * const line = "ESTAB 0 0 127.0.0.1:5000 127.0.0.1:53 ino:7 sk:1 <->";
 * const [first] = parseSs(line, { protocol: "UDP", memory }).sockets;
 * first!.process_name = "dig";
 * const [again] = parseSs(line, { protocol: "UDP", memory }).sockets;
 * deepStrictEqual([again === first, again?.process_name, memory.size], [true, null, 1]);
 * parseSs("", { protocol: "UDP", memory });
 * deepStrictEqual(memory.size, 0);
 * ```
 */
export class SsLineMemory {
  readonly #rows = new Map<string, RememberedRow>();
  #readings = 0;

  /** Start a reading; returns its number. */
  begin(): number {
    return ++this.#readings;
  }

  /** The socket an earlier reading made of this line, given back as that reading made it; undefined if none. */
  take(line: string, reading: number): Socket | undefined {
    const row = this.#rows.get(line);
    // The same line twice in one reading makes two sockets, as it does without a memory.
    if (row === undefined || row.seen === reading) return undefined;
    row.seen = reading;
    const socket = row.socket;
    socket.pid = row.pid;
    socket.process_name = row.process_name;
    socket.process_path = null;
    socket.user = row.user;
    return socket;
  }

  /** Keep the socket a line made in this reading. */
  keep(line: string, socket: Socket, reading: number): void {
    this.#rows.set(line, {
      socket,
      pid: socket.pid,
      process_name: socket.process_name,
      user: socket.user,
      seen: reading,
    });
  }

  /** End a reading: forget the lines it did not list. */
  end(reading: number): void {
    const rows = this.#rows;
    rows.forEach((row, line) => {
      if (row.seen !== reading) rows.delete(line);
    });
  }

  /** Lines kept. */
  get size(): number {
    return this.#rows.size;
  }
}

/** The state words ss prints, which start a row when it leaves the Netid column out (`ss -t`). */
const SS_STATES = new Set([
  "ESTAB",
  "SYN-SENT",
  "SYN-RECV",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "TIME-WAIT",
  "UNCONN",
  "CLOSE-WAIT",
  "LAST-ACK",
  "LISTEN",
  "CLOSING",
]);

/** States only a TCP socket is in (UDP sockets are ESTAB or UNCONN). */
const TCP_ONLY_STATES = new Set([...SS_STATES].filter((s) => s !== "ESTAB" && s !== "UNCONN"));

const UNDECIDED_REASON = "no Netid column and no TCP information: TCP or UDP cannot be told apart " +
  "(run ss with -t and -u together, or with -i)";

/** Whether `-O` information on a row is TCP's (congestion window, timers). */
function hasTcpInfo(rest: string, from: number): boolean {
  return rest.indexOf(" cwnd:", from - 1) >= 0 || rest.indexOf("rto:", from) >= 0;
}

/** Where a socket's extended fields end and its `-i` information begins: after `ino:`/`sk:`, or the owners. */
function infoStart(rest: string, inodeAt: number): number {
  if (inodeAt >= 0) return inodeAt;
  const users = rest.indexOf("users:((");
  if (users < 0) return 0;
  const close = rest.indexOf("))", rest.lastIndexOf(",fd=") + 1);
  return close < 0 ? rest.length : close + 2;
}

function applyCounters(socket: Socket, text: string, from: number): void {
  if (socket.protocol !== "TCP" || socket.status === "LISTEN") return;
  const traffic = tcpTrafficFromInfo(parseTcpInfoCounters(text, from));
  socket.bytes_sent = traffic.bytes_sent;
  socket.bytes_received = traffic.bytes_received;
}

/** The groups of a row {@linkcode COMMON_ROW_WITHOUT_NETID} reads (its first column a state), or null. */
function withoutNetid(line: string): RegExpExecArray | null {
  const row = COMMON_ROW_WITHOUT_NETID.exec(line);
  return row !== null && SS_STATES.has(row[2]!) ? row : null;
}

/** The state of a reading of ss output, line by line: what {@linkcode parseSs} and {@linkcode SsTextReader} share. */
function ssLineReader(options: ParseSsOptions): { read(line: string): void; end(): ParseResult } {
  const traffic = options.traffic ?? false;
  const asked = options.protocol ?? null;
  const memory = options.memory ?? null;
  const reading = memory?.begin() ?? 0;
  const sockets: Socket[] = [];
  const skipped: SkippedLine[] = [];
  let sawHeader = false;
  let sawRow = false;
  /** The socket an indented `-i` line belongs to; null after a skipped line. */
  let last: Socket | null = null;
  /** A row without a Netid column whose protocol only its `-i` line can tell. */
  let undecided: { line: string; socket: Socket } | null = null;
  const decide = (isTcp: boolean) => {
    if (undecided === null) return;
    if (isTcp) sockets.push(undecided.socket);
    else skipped.push({ line: undecided.line, reason: UNDECIDED_REASON });
    undecided = null;
  };
  const read = (line: string): void => {
    if (line.charCodeAt(0) === 9) {
      // `-i` information of the socket on the line before: only TCP sockets have it.
      decide(true);
      if (traffic && last !== null) applyCounters(last, line, 0);
      return;
    }
    decide(false);
    last = null;
    const known = memory?.take(line, reading);
    if (known !== undefined) {
      sawRow = true;
      last = known;
      sockets.push(known);
      return;
    }
    const common = traffic ? null : asked === null ? COMMON_ROW.exec(line) : withoutNetid(line);
    const read = common === null
      ? null
      : commonRowSocket(common, asked ?? (common[1] === "udp" ? "UDP" : "TCP"));
    if (read !== null) {
      sawRow = true;
      last = read;
      sockets.push(read);
      if (memory !== null && read.protocol === "UDP") memory.keep(line, read, reading);
      return;
    }
    // The columns are found in place: only the four that are read become strings (not Recv-Q and Send-Q).
    let count = scanFields(line, 6);
    if (count === 0) return; // a blank line
    const first = line.slice(FIELD[0], FIELD[1]);
    if (first === "Netid" || first === "State") {
      sawHeader = true;
      return;
    }
    // `ss -t` or `ss -u` alone leaves the Netid column out: the row starts with its state.
    const noNetid = SS_STATES.has(first);
    if (noNetid) count = scanFields(line, 5);
    const netid = noNetid ? "" : first;
    if (count < (noNetid ? 5 : 6)) {
      skipped.push({ line, reason: `fewer than ${noNetid ? 5 : 6} columns` });
      return;
    }
    if (!noNetid && netid !== "tcp" && netid !== "udp") {
      sawRow ||= /^[a-z_0-9]+$/.test(netid);
      skipped.push({ line, reason: `not a TCP or UDP socket ("${netid}")` });
      return;
    }
    sawRow = true;
    const column = noNetid ? 0 : 2; // where the state's start and end are in FIELD
    const state = noNetid ? first : line.slice(FIELD[column]!, FIELD[column + 1]!);
    const rest = line.slice(FIELD[count * 2 - 1]!).trim();
    // Without a Netid column: the protocol the caller asked ss for, else (below) a state only TCP
    // has, or TCP information on the line (-O), says TCP.
    const protocol = netid === "udp" || (noNetid && asked === "UDP") ? "UDP" : "TCP";
    const local = ssEndpoint(line, FIELD[column + 6]!, FIELD[column + 7]!);
    const peer = ssEndpoint(line, FIELD[column + 8]!, FIELD[column + 9]!);
    if (local === null || local.port === null) {
      skipped.push({
        line,
        reason: `unreadable local address "${line.slice(FIELD[column + 6]!, FIELD[column + 7]!)}"`,
      });
      return;
    }
    if (peer === null) {
      skipped.push({
        line,
        reason: `unreadable peer address "${line.slice(FIELD[column + 8]!, FIELD[column + 9]!)}"`,
      });
      return;
    }
    // The owners and uid come before `ino:`: looking back from it keeps the search off `-i` information.
    const inodeAt = rest.indexOf("ino:");
    const owner = firstSsOwner(rest, inodeAt < 0 ? rest.length : inodeAt);
    const inode = inodeAt < 0 ? null : numberAfter(rest, "ino:", inodeAt);
    const uidAt = inodeAt < 0 ? rest.indexOf("uid:") : rest.lastIndexOf("uid:", inodeAt);
    const uid = (uidAt < 0 ? null : numberAfter(rest, "uid:", uidAt)) ??
      (inode !== null && inode !== 0 ? 0 : null);
    const socket = socketFromRow(protocol, { local, peer, state }, {
      pid: owner?.pid,
      process_name: owner?.name,
      user: uid === null ? null : uidText(uid),
      inode,
    });
    const from = infoStart(rest, inodeAt);
    if (traffic) {
      socket.bytes_sent = null;
      socket.bytes_received = null;
      applyCounters(socket, rest, from);
    }
    last = socket;
    if (noNetid && asked === null && !TCP_ONLY_STATES.has(state) && !hasTcpInfo(rest, from)) {
      undecided = { line, socket };
      return;
    }
    sockets.push(socket);
    if (memory !== null && protocol === "UDP") memory.keep(line, socket, reading);
  };
  const end = (): ParseResult => {
    decide(false);
    if (!sawHeader && !sawRow && skipped.length > 0) {
      throw new SyntaxError(
        "the input does not look like ss output (no Netid/State header and no tcp/udp rows)",
      );
    }
    memory?.end(reading);
    return { sockets, skipped };
  };
  return { read, end };
}

/**
 * Parse the output of `ss -tunapeH` (and of `ss -tunap`, `ss -tupna`,
 * `ss -tulpen`, `ss -a`, with or without the header line).
 *
 * A line looks like this (iproute2 6.1, `-e` adds `uid:`, `ino:`, `sk:`):
 *
 * ```text
 * tcp   ESTAB  0      0      127.0.0.1:46690    127.0.0.1:47123 users:(("python3",pid=11541,fd=6)) ino:18837 sk:7 <->
 * ```
 *
 * With `-i` each TCP socket's information follows on a line of its own that
 * starts with a tab (or, with `-O`, on the same line after `<->`); those lines
 * are read with `traffic` and passed over without it:
 *
 * ```text
 * tcp ESTAB 0 0 127.0.0.1:50726 127.0.0.1:53755 ino:235923 sk:ba28 cgroup:/ <->
 * \t ts sack bbr wscale:10,10 rto:204 mss:65483 cwnd:16 bytes_sent:1000000 bytes_acked:1000001 bytes_received:5000 segs_out:26
 * ```
 *
 * Sockets of other families (`u_str`, `nl`, `p_raw`, …) and unreadable lines are
 * skipped with a reason. When a socket is shared by several processes, the
 * first one `ss` lists is reported. `user` is the numeric uid (ss prints
 * `uid:` only for non-root owners, so a socket with an inode and no `uid:`
 * belongs to uid 0).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSs } from "./ss.ts";
 * const { sockets } = parseSs(
 *   'tcp ESTAB 0 0 127.0.0.1:46690 127.0.0.1:47123 users:(("python3",pid=11541,fd=6)) uid:1000 ino:18837 sk:7 <->',
 * );
 * deepStrictEqual(sockets[0]?.status, "ESTABLISHED");
 * deepStrictEqual(sockets[0]?.pid, 11541);
 * deepStrictEqual(sockets[0]?.user, "1000");
 * deepStrictEqual(sockets[0]?.inode, 18837);
 * const withInfo = parseSs("tcp ESTAB 0 0 127.0.0.1:5000 127.0.0.1:80 ino:7 sk:1 <->\n\t cubic bytes_sent:300 bytes_acked:301 bytes_received:4096 segs_out:4", { traffic: true });
 * deepStrictEqual([withInfo.sockets[0]?.bytes_sent, withInfo.sockets[0]?.bytes_received], [300, 4096]);
 * ```
 */
export function parseSs(text: string, options: ParseSsOptions = {}): ParseResult {
  const reader = ssLineReader(options);
  for (const line of splitLines(text)) reader.read(line);
  return reader.end();
}

/** Bytes read as they come, handed on line by line: only the line a chunk ends inside is held. */
class ChunkLines {
  readonly #decoder = new TextDecoder();
  readonly #read: (line: string) => void;
  /** The start of a line the text so far ends inside. */
  #tail = "";

  constructor(read: (line: string) => void) {
    this.#read = read;
  }

  push(chunk: Uint8Array): void {
    this.#pushText(this.#decoder.decode(chunk, { stream: true }));
  }

  #pushText(text: string): void {
    const all = this.#tail + text;
    let from = 0;
    for (let end = all.indexOf("\n"); end >= 0; end = all.indexOf("\n", from)) {
      this.#line(all, from, end);
      from = end + 1;
    }
    this.#tail = from === 0 ? all : all.slice(from);
  }

  #line(text: string, from: number, end: number): void {
    // Only a `\r` right before the `\n` goes, as `/\r?\n/` splits.
    if (end > from && text.charCodeAt(end - 1) === 13) end--;
    this.#read(text.slice(from, end));
  }

  /** The last line, once the output has ended. */
  end(): void {
    this.#pushText(this.#decoder.decode());
    this.#read(this.#tail);
    this.#tail = "";
  }
}

/**
 * {@linkcode parseSs} for output read as it comes (a pipe's chunks of bytes):
 * only the line a chunk ends inside is held, never the whole text. The same
 * sockets and skipped lines as `parseSs` of the whole text.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { SsTextReader } from "./ss.ts";
 * const reader = new SsTextReader();
 * const bytes = new TextEncoder().encode("udp UNCONN 0 0 0.0.0.0:5353 0.0.0.0:* ino:2558470 sk:1 <->\n");
 * reader.push(bytes.subarray(0, 20));
 * reader.push(bytes.subarray(20));
 * deepStrictEqual(reader.end().sockets.map((s) => [s.protocol, s.local_port, s.status]), [["UDP", 5353, "UNCONNECTED"]]);
 * ```
 */
export class SsTextReader {
  readonly #lines: { read(line: string): void; end(): ParseResult };
  readonly #chunks: ChunkLines;

  constructor(options: ParseSsOptions = {}) {
    const lines = ssLineReader(options);
    this.#lines = lines;
    this.#chunks = new ChunkLines((line) => lines.read(line));
  }

  /** Read a chunk of the output (its bytes are decoded before the call returns: the buffer may be reused). */
  push(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
  }

  /** The sockets and skipped lines of the whole output. */
  end(): ParseResult {
    this.#chunks.end();
    return this.#lines.end();
  }
}

/** What {@linkcode SsListingReader} keeps of a listing. */
export interface SsListing {
  /** The inode of every socket listed with one, in the order listed. */
  inodes: number[];
  /** The listening sockets (`LISTEN`, and `UNCONN` without a peer), read whole. */
  listeners: Socket[];
  /** Lines of the listeners' that could not be read. */
  skipped: SkippedLine[];
}
