/**
 * The raw netlink answer `ss -taiD -` writes: the kernel's `sock_diag`
 * messages for every TCP socket, with `tcp_info` (and so the byte counters),
 * before ss would format any of it. Reading the kernel's structures directly
 * costs a fraction of what ss spends printing `-i` information as text.
 *
 * @module
 */
import type { Socket } from "../model/connection.ts";
import { InodeMemory } from "../model/inode_memory.ts";
import { RememberedSocket } from "../model/remembered_socket.ts";
import { LINUX_TCP_STATE_CODES, normalizeStatus } from "../model/status.ts";
import { type Endpoint, isNoPeer, normalizeIp } from "./endpoint.ts";
import { type DumpColumns, tcpSocket } from "./dump_columns.ts";
import type { ParseResult, SkippedLine } from "./parse_result.ts";

const NLMSG_HEADER = 16;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const SOCK_DIAG_BY_FAMILY = 20;
const INET_DIAG_MSG = 72;
const INET_DIAG_INFO = 2;
const AF_INET = 2;
const AF_INET6 = 10;
const TCP_LISTEN = 10;
const TCP_TIME_WAIT = 6;

/** `struct tcp_info` offsets (linux/tcp.h) of the counters, and the length a kernel must send for each. */
const TCPI_BYTES_ACKED = 120;
const TCPI_BYTES_RECEIVED = 128;
const TCPI_BYTES_SENT = 200;

/** The kernel writes its structures in the machine's byte order (ports and addresses in network order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const ipv4Names = new Map<number, string>();
const IPV4_NAMES_MAX = 100_000;
/** Users as text (`ss` prints the uid), one string per uid. */
const uidNames = new Map<number, string>();
const UID_NAMES_MAX = 10_000;
/** Status words by kernel state number, as `ss -tn` text gives them. */
const TCP_STATUSES = new Map(
  Object.entries(LINUX_TCP_STATE_CODES).map((
    [code, name],
  ) => [Number(code), normalizeStatus(name, "TCP", true)]),
);

/** Status words by kernel state number (0-255; "UNKNOWN" for a number Linux lacks): an array, not a Map lookup. */
const STATUS_OF_STATE: string[] = Array.from(
  { length: 256 },
  (_, state) => TCP_STATUSES.get(state) ?? "UNKNOWN",
);

function statusOf(state: number): string {
  return STATUS_OF_STATE[state]!;
}

/** The last uid named, and its name: a dump's sockets are mostly one user's. */
let lastUid = -1;
let lastUidName = "";

function uidName(uid: number): string {
  if (uid === lastUid) return lastUidName;
  let name = uidNames.get(uid);
  if (name === undefined) {
    name = String(uid);
    if (uidNames.size >= UID_NAMES_MAX) uidNames.clear();
    uidNames.set(uid, name);
  }
  lastUid = uid;
  lastUidName = name;
  return name;
}

/**
 * The dump is read through a Uint32Array over its bytes (and single bytes), not a DataView: V8's Maglev tier (the
 * top one under `--max-opt=2`) calls each DataView getter as a builtin, some 40 ns a read here against 1 for
 * Turbofan, while both tiers inline a typed array's element. The kernel aligns every message and attribute, and
 * every field read, to 4 bytes; the reader makes sure a message starts at a multiple of 4 of the array's buffer
 * ({@linkcode InetDiagReader.push}), so `at` is a byte index divisible by 4. Machine byte order.
 */
function word(words: Uint32Array, at: number): number {
  return words[at >> 2]!;
}

/** The 16-bit integers at `at` and `at + 2` (in machine order) of the word at `at`. */
function lowHalf(value: number): number {
  return LITTLE_ENDIAN ? value & 0xffff : value >>> 16;
}

function highHalf(value: number): number {
  return LITTLE_ENDIAN ? value >>> 16 : value & 0xffff;
}

/** An unsigned 16-bit integer in network order. */
function be16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u64(words: Uint32Array, at: number): number {
  const low = word(words, at + (LITTLE_ENDIAN ? 0 : 4));
  const high = word(words, at + (LITTLE_ENDIAN ? 4 : 0));
  return high * 0x1_0000_0000 + low;
}

/** The last two addresses named (a socket's local one and its peer's), and their names. */
let lastIpv4A = -1;
let lastIpv4NameA = "";
let lastIpv4B = -1;
let lastIpv4NameB = "";

/** The name of the IPv4 address at `at`, its four bytes as the machine reads them for a key. */
function ipv4(words: Uint32Array, bytes: Uint8Array, at: number): string {
  const value = word(words, at);
  if (value === lastIpv4A) return lastIpv4NameA;
  if (value === lastIpv4B) return lastIpv4NameB;
  let name = ipv4Names.get(value);
  if (name === undefined) {
    name = `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
    if (ipv4Names.size >= IPV4_NAMES_MAX) ipv4Names.clear();
    ipv4Names.set(value, name);
  }
  lastIpv4B = lastIpv4A;
  lastIpv4NameB = lastIpv4NameA;
  lastIpv4A = value;
  lastIpv4NameA = name;
  return name;
}

/**
 * The two ends of the IPv4 socket being read, reused from socket to socket (see `#message`): only their fields
 * are copied into the socket.
 */
const IPV4_LOCAL: Endpoint = { ip: "", family: 4, port: 0, wildcard: false };
const IPV4_PEER: Endpoint = { ip: "", family: 4, port: 0, wildcard: false };

function endpoint(
  words: Uint32Array,
  bytes: Uint8Array,
  family: number,
  portAt: number,
  addressAt: number,
): Endpoint | null {
  const port = be16(bytes, portAt);
  let address: { ip: string; family: 4 | 6 } | null;
  if (family === AF_INET) {
    address = { ip: ipv4(words, bytes, addressAt), family: 4 };
  } else {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(be16(bytes, addressAt + 2 * i).toString(16));
    // IPv4-mapped addresses become IPv4, and IPv6 its canonical text, as from ss's text.
    address = normalizeIp(groups.join(":"), 6);
  }
  if (address === null) return null;
  return { ...address, port, wildcard: address.ip === "0.0.0.0" || address.ip === "::" };
}

/** Set a socket's byte counters from a `tcp_info` of `length` bytes at `at`: what this kernel sends, or null. */
function setCounters(socket: Socket, words: Uint32Array, at: number, length: number): void {
  if (length < TCPI_BYTES_RECEIVED + 8) return; // before Linux 4.1
  const acked = u64(words, at + TCPI_BYTES_ACKED);
  // Before Linux 4.19 there is no bytes_sent: bytes_acked stands in (it counts the SYN and FIN too).
  socket.bytes_sent = length >= TCPI_BYTES_SENT + 8
    ? u64(words, at + TCPI_BYTES_SENT)
    : acked > 2
    ? acked
    : 0;
  socket.bytes_received = u64(words, at + TCPI_BYTES_RECEIVED);
}

/**
 * A socket a dump read, kept by its inode for the next dump of the same source ({@linkcode InetDiagMemory}): it
 * is its own memory record, holding out of sight the last parse that listed it (a record
 * `{ socket, state, uid, seen }` beside it was 1.07 MiB at 21,000 sockets), besides what the layers above keep
 * of its inode ({@linkcode RememberedSocket}). Its kernel state is told by its status word (two states of one
 * word, SYN_RECEIVED, read the same), and its uid needs no comparing: the one field it gives, `user`, is written
 * afresh from the dump at each reading.
 */
class DumpSocket extends RememberedSocket {
  #seen: number;

  constructor(
    family: 4 | 6,
    localIp: string,
    localPort: number,
    remoteIp: string | null,
    remotePort: number | null,
    status: string,
    user: string | null,
    inode: number,
    counters: boolean,
    seen: number,
  ) {
    super("TCP", family, localIp, localPort, remoteIp, remotePort, status, user, inode, counters);
    this.#seen = seen;
  }

  /** The last parse that listed it (an accessor of the class, no field of the socket). */
  get seen(): number {
    return this.#seen;
  }
  set seen(parse: number) {
    this.#seen = parse;
  }
}

/**
 * The sockets one source's last dump read, by inode, handed to the next parse
 * of the same source (the monitor's each poll): a socket whose state and
 * endpoints are unchanged is the same object again, its owner, user and
 * counters read afresh, so a poll of 20,000 idle connections makes no new objects.
 * Sockets without an inode in TIME_WAIT are kept by their cookie instead ({@linkcode lingering}). The
 * sockets it keeps are {@linkcode RememberedSocket}s: a socket read afresh for
 * a remembered inode takes over what the layers above kept on the one it
 * replaces.
 */
export class InetDiagMemory extends InodeMemory<DumpSocket> {
  /**
   * Sockets in TIME_WAIT, which have no inode, by the kernel's cookie of the socket (`idiag_cookie`; the
   * TIME_WAIT socket keeps the one of the socket it replaced, which the inode's entry does not hold): under
   * churn they outnumber the open ones (50 connections a second leave 3,000 for their 60 s), and read afresh
   * each poll each was a new socket, connection, key and tracker lookup. The cookie only finds a candidate:
   * it is the same object again when its state and endpoints are too.
   */
  readonly lingering: InodeMemory<DumpSocket> = new InodeMemory<DumpSocket>();

  override begin(pass?: number): number {
    const begun = super.begin(pass);
    this.lingering.begin(begun);
    return begun;
  }

  override end(pass: number): void {
    super.end(pass);
    this.lingering.end(pass);
  }

  /** Sockets, in TIME_WAIT or not, that the current pass has not listed yet: at its end, those it forgets. */
  override get unlisted(): number {
    return super.unlisted + this.lingering.unlisted;
  }
}

/** The kernel's cookie of a socket (`idiag_cookie`, two 32-bit words, low first); 0 when it has none or past 2^53. */
function cookieOf(words: Uint32Array, msg: number): number {
  const high = word(words, msg + 48);
  return high >= 0x20_0000 ? 0 : high * 0x1_0000_0000 + word(words, msg + 44);
}

/** Whether a remembered socket has these endpoints (IPv4 names are shared strings: no new string is made). */
function sameEndpoints(
  socket: Socket,
  words: Uint32Array,
  bytes: Uint8Array,
  family: number,
  msg: number,
): boolean {
  if (family !== AF_INET) return false; // IPv6 text is built to compare it: read it afresh
  const localPort = be16(bytes, msg + 4);
  const peerPort = be16(bytes, msg + 6);
  if (socket.local_port !== localPort || socket.local_ip !== ipv4(words, bytes, msg + 8)) return false;
  const peerIp = ipv4(words, bytes, msg + 24);
  if (peerIp === "0.0.0.0" && peerPort === 0) return socket.remote_ip === null;
  return socket.remote_ip === peerIp && socket.remote_port === peerPort;
}

/** Whether a socket has these endpoints, IPv6 too (for a socket listed twice in one reading: rare). */
function sameSocketAgain(
  socket: Socket,
  words: Uint32Array,
  bytes: Uint8Array,
  family: number,
  msg: number,
): boolean {
  if (family === AF_INET) return sameEndpoints(socket, words, bytes, family, msg);
  const local = endpoint(words, bytes, family, msg + 4, msg + 8);
  const peer = local === null ? null : endpoint(words, bytes, family, msg + 6, msg + 24);
  if (local === null || peer === null || socket.local_ip !== local.ip || socket.local_port !== local.port) {
    return false;
  }
  return isNoPeer(peer)
    ? socket.remote_ip === null
    : socket.remote_ip === peer.ip && socket.remote_port === peer.port;
}

/**
 * The longest netlink message read. sock_diag sends a few hundred bytes a
 * socket; a length read from bytes that are not netlink (text) is far more,
 * and is not waited for.
 */
const MAX_MESSAGE = 1 << 20;

/**
 * Read the netlink messages `ss -taiD -` (or `-taD -`) dumps: one
 * `inet_diag_msg` per TCP socket (state, both endpoints, uid, inode) and its
 * attributes, of which `INET_DIAG_INFO` (`struct tcp_info`) holds the byte
 * counters. With `traffic`, each socket gets `bytes_sent` (the kernel's
 * `tcpi_bytes_sent`, or `tcpi_bytes_acked` from a kernel before 4.19) and
 * `bytes_received`; they are `null` for listening and TIME_WAIT sockets (the
 * kernel keeps no counters for the latter) and where the kernel sent no
 * `tcp_info`. Statuses, addresses and users are those the text of `ss -tnae`
 * gives for the same socket. A truncated message is skipped with a reason;
 * bytes that are not netlink messages, or a dump without its end-of-dump
 * message (ss writes one per address family), are a `SyntaxError`. The dump
 * as it comes from a pipe, chunk by chunk: {@linkcode InetDiagReader}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseInetDiagDump } from "./inet_diag.ts";
 * // One ESTABLISHED socket 127.0.0.1:5000 -> 127.0.0.1:80 (uid 0, inode 7), then NLMSG_DONE.
 * const bytes = new Uint8Array(16 + 72 + 16);
 * const view = new DataView(bytes.buffer);
 * view.setUint32(0, 88, true); // nlmsg_len
 * view.setUint16(4, 20, true); // SOCK_DIAG_BY_FAMILY
 * bytes.set([2, 1], 16); // AF_INET, TCP_ESTABLISHED
 * view.setUint16(20, 5000); // ports in network order
 * view.setUint16(22, 80);
 * bytes.set([127, 0, 0, 1], 24);
 * bytes.set([127, 0, 0, 1], 40);
 * view.setUint32(84, 7, true); // inode
 * view.setUint32(88, 16, true); // NLMSG_DONE
 * view.setUint16(92, 3, true);
 * const { sockets } = parseInetDiagDump(bytes);
 * deepStrictEqual([sockets[0]?.status, sockets[0]?.local_port, sockets[0]?.remote_ip, sockets[0]?.inode],
 *   ["ESTABLISHED", 5000, "127.0.0.1", 7]);
 * ```
 */
export function parseInetDiagDump(
  bytes: Uint8Array,
  options: { traffic?: boolean; memory?: InetDiagMemory } = {},
): ParseResult {
  const reader = new InetDiagReader(options);
  reader.push(bytes);
  return reader.end();
}

/**
 * {@linkcode parseInetDiagDump} for a dump read from a pipe, one chunk at a
 * time as it comes: only a message that a chunk ends inside is copied (into a
 * buffer kept for that), never the dump (8.8 MB at 10,000 connections with
 * `-i`). A chunk is read during {@linkcode InetDiagReader.push} and not kept,
 * so its buffer may be reused for the next one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { InetDiagReader } from "./inet_diag.ts";
 * // One ESTABLISHED socket 127.0.0.1:5000 -> 127.0.0.1:80 (uid 0, inode 7), then NLMSG_DONE, in two chunks.
 * const bytes = new Uint8Array(16 + 72 + 16);
 * const view = new DataView(bytes.buffer);
 * view.setUint32(0, 88, true);
 * view.setUint16(4, 20, true);
 * bytes.set([2, 1], 16);
 * view.setUint16(20, 5000);
 * view.setUint16(22, 80);
 * bytes.set([127, 0, 0, 1], 24);
 * bytes.set([127, 0, 0, 1], 40);
 * view.setUint32(84, 7, true);
 * view.setUint32(88, 16, true);
 * view.setUint16(92, 3, true);
 * const reader = new InetDiagReader();
 * reader.push(bytes.subarray(0, 50));
 * reader.push(bytes.subarray(50));
 * deepStrictEqual(reader.end().sockets.map((s) => [s.local_port, s.inode]), [[5000, 7]]);
 * ```
 */
export class InetDiagReader {
  readonly #traffic: boolean;
  /** Whether this dump carries the counters (`-i`); without, a remembered socket's last counters stand. */
  readonly #counters: boolean;
  readonly #memory: InetDiagMemory | null;
  readonly #parse: number;
  /**
   * The sockets read so far (`#count` of them), in an array made as long as the last dump of the same source
   * remembered, or `room` when larger: grown by push from empty, its copies at 20,000 sockets outlived the
   * young generation, a fifth of what the monitor's polls left to the old one.
   */
  readonly #sockets: Socket[];
  #count = 0;
  /** Where the sockets go instead of objects (see the constructor's `columns`). */
  readonly #columns: DumpColumns | null;
  readonly #skipped: SkippedLine[] = [];
  #done = false;
  /** Where in the input the next chunk starts. */
  #offset = 0;
  /** Padding after the last message that the next chunk starts with. */
  #skip = 0;
  /** The start of a message the last chunk ended inside: `#held` bytes of it, from input byte `#heldAt`. */
  #pending = new Uint8Array(0);
  #pendingWords = new Uint32Array(this.#pending.buffer);
  /** Where a chunk whose next message does not start at a multiple of 4 of its buffer is copied to be read. */
  #aligned = new Uint8Array(0);
  #held = 0;
  #heldAt = 0;
  /** Set when a message could not be read whole: the rest of the input is not read. */
  #stopped: "cut short" | "not a dump" | null = null;

  /**
   * `room`: how many sockets the array returned by {@linkcode end} should hold without growing (the caller
   * may add others to it: the monitor adds UDP's).
   *
   * `counters` (default: `traffic`): false for a dump read without `-i` (`ss -taD -`) when `traffic` wants the
   * counters fields: each socket the memory holds keeps the counters last read of it (its counters are not
   * read again: the kernel sent none), a socket not read before gets null (unknown), as do listening and
   * TIME_WAIT ones.
   *
   * `columns`: add each socket to these columns instead of making an object of it (a reading without a memory
   * and without traffic): a one-shot reading keeps its dump so during its walk, and makes the objects a batch at
   * a time after it (see `dump_columns.ts`). {@linkcode end} then returns no socket.
   */
  constructor(
    options: {
      traffic?: boolean;
      counters?: boolean;
      memory?: InetDiagMemory;
      room?: number;
      columns?: DumpColumns;
    } = {},
  ) {
    this.#columns = options.columns ?? null;
    this.#traffic = options.traffic ?? false;
    this.#counters = this.#traffic && (options.counters ?? true);
    this.#memory = options.memory ?? null;
    this.#parse = this.#memory?.begin() ?? 0;
    const memory = this.#memory;
    this.#sockets = new Array(
      Math.max(memory === null ? 0 : memory.size + memory.lingering.size, options.room ?? 0),
    );
  }

  /** Read the next bytes of the dump. */
  push(chunk: Uint8Array): void {
    const offset = this.#offset;
    this.#offset += chunk.length;
    if (this.#stopped !== null) return;
    let at = Math.min(this.#skip, chunk.length);
    this.#skip -= at;
    if (this.#held > 0) {
      at = this.#fillPending(chunk, at);
      if (this.#held > 0 || this.#stopped !== null) return;
    }
    if (at + NLMSG_HEADER > chunk.length) {
      if (at > chunk.length) this.#skip = at - chunk.length;
      else if (at < chunk.length) this.#hold(chunk, at, offset + at);
      return;
    }
    // The rest of the chunk, from a multiple of 4 of its buffer (messages are padded to 4 bytes: all are then).
    let bytes = chunk.subarray(at);
    if ((bytes.byteOffset & 3) !== 0) {
      if (this.#aligned.length < bytes.length) this.#aligned = new Uint8Array(bytes.length);
      this.#aligned.set(bytes, 0);
      bytes = this.#aligned.subarray(0, bytes.length);
    }
    const start = offset + at;
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
    at = 0;
    while (at + NLMSG_HEADER <= bytes.length) {
      const length = word(words, at);
      if (!this.#plausible(length, start + at)) return;
      if (at + length > bytes.length) break;
      this.#message(words, bytes, at, length, start + at);
      at += (length + 3) & ~3;
    }
    if (at > bytes.length) this.#skip = at - bytes.length;
    else if (at < bytes.length) this.#hold(bytes, at, start + at);
  }

  /** Sockets the memory remembers that this reading has not listed (so far): at {@linkcode end}, those it forgets. */
  get unlisted(): number {
    return this.#memory?.unlisted ?? 0;
  }

  /** The sockets read; a `SyntaxError` when the input was not a whole dump. */
  end(): ParseResult {
    // A few bytes after the last message are not one (a dump read whole ignores them too).
    if (this.#stopped === null && this.#held >= NLMSG_HEADER) {
      this.#cutShort(word(this.#pendingWords, 0), this.#heldAt);
    }
    this.#held = 0;
    if (this.#stopped === "not a dump") {
      throw new SyntaxError("the input is not a netlink dump of `ss -D` (no message header at its start)");
    }
    if (!this.#done) {
      throw new SyntaxError("the input is not a whole `ss -D` dump (it has no end-of-dump message)");
    }
    this.#memory?.end(this.#parse);
    this.#sockets.length = this.#count;
    return { sockets: this.#sockets, skipped: this.#skipped };
  }

  /** Keep the start of a message the chunk ends inside. */
  #hold(chunk: Uint8Array, at: number, offset: number): void {
    const rest = chunk.length - at;
    this.#room(Math.max(rest, NLMSG_HEADER));
    this.#pending.set(chunk.subarray(at), 0);
    this.#held = rest;
    this.#heldAt = offset;
  }

  /** A pending buffer of at least `length` bytes, keeping what it holds. */
  #room(length: number): void {
    if (this.#pending.length >= length) return;
    const bigger = new Uint8Array(Math.max(length, 2 * this.#pending.length, 1024));
    bigger.set(this.#pending.subarray(0, this.#held), 0);
    this.#pending = bigger;
    this.#pendingWords = new Uint32Array(bigger.buffer, 0, bigger.length >> 2);
  }

  /** Complete the held message from the chunk (from `at`); read it when whole. Returns where the chunk goes on. */
  #fillPending(chunk: Uint8Array, at: number): number {
    const take = (wanted: number) => {
      const n = Math.min(wanted - this.#held, chunk.length - at);
      this.#pending.set(chunk.subarray(at, at + n), this.#held);
      this.#held += n;
      at += n;
    };
    if (this.#held < NLMSG_HEADER) take(NLMSG_HEADER);
    if (this.#held < NLMSG_HEADER) return at;
    const length = word(this.#pendingWords, 0);
    if (!this.#plausible(length, this.#heldAt)) return at;
    this.#room(length);
    take(length);
    if (this.#held < length) return at;
    this.#held = 0;
    this.#message(this.#pendingWords, this.#pending, 0, length, this.#heldAt);
    at += ((length + 3) & ~3) - length;
    if (at > chunk.length) {
      this.#skip = at - chunk.length;
      return chunk.length;
    }
    return at;
  }

  /** Whether a message of this length can start at input byte `offset`; if not, reading stops. */
  #plausible(length: number, offset: number): boolean {
    if (length >= NLMSG_HEADER && length <= MAX_MESSAGE) return true;
    this.#cutShort(length, offset);
    return false;
  }

  /** A message that cannot be read whole ends the reading; at the start, the input is no dump at all. */
  #cutShort(length: number, offset: number): void {
    this.#held = 0;
    if (offset === 0 && this.#count === 0) {
      this.#stopped = "not a dump";
      return;
    }
    this.#skipped.push({
      line: `netlink message at byte ${offset}`,
      reason: `message of ${length} bytes is cut short`,
    });
    this.#stopped = "cut short";
  }

  /**
   * Read the whole message of `length` bytes at `at` in `bytes` (input byte `offset`), `words` the same bytes
   * as 32-bit integers (`at` a multiple of 4).
   */
  #message(words: Uint32Array, bytes: Uint8Array, at: number, length: number, offset: number): void {
    const type = lowHalf(word(words, at + 4));
    if (type === NLMSG_DONE || type === NLMSG_ERROR) {
      this.#done ||= type === NLMSG_DONE;
      return;
    }
    if (type !== SOCK_DIAG_BY_FAMILY || length < NLMSG_HEADER + INET_DIAG_MSG) {
      this.#skipped.push({
        line: `netlink message at byte ${offset}`,
        reason: `not a socket (type ${type}, ${length} bytes)`,
      });
      return;
    }
    const memory = this.#memory;
    const parse = this.#parse;
    const msg = at + NLMSG_HEADER;
    const family = bytes[msg]!;
    const state = bytes[msg + 1]!;
    const uid = word(words, msg + 64);
    const inode = word(words, msg + 68);
    // A socket in TIME_WAIT has no inode: it is remembered by its cookie (see InetDiagMemory.lingering).
    const cookie = inode === 0 && state === TCP_TIME_WAIT && memory !== null ? cookieOf(words, msg) : 0;
    const remembered = inode !== 0
      ? memory?.get(inode)
      : cookie === 0
      ? undefined
      : memory!.lingering.get(cookie);
    // A socket listed twice alike in one reading (/proc/net/tcp's rows can, when sockets come and go while it is
    // read a page at a time, see proc_net_tcp.ts) is listed once; listed in two states, it is two sockets, as
    // read without a memory.
    if (
      remembered !== undefined && remembered.seen === parse && remembered.status === statusOf(state) &&
      sameSocketAgain(remembered, words, bytes, family, msg)
    ) return;
    let socket: Socket;
    if (
      remembered !== undefined && remembered.status === statusOf(state) &&
      sameEndpoints(remembered, words, bytes, family, msg)
    ) {
      socket = remembered;
      // What the collector adds (owner, path, user name) is added again, as to a socket read afresh.
      socket.pid = null;
      socket.process_name = null;
      socket.process_path = null;
      socket.user = inode === 0 ? null : uidName(uid);
      if (inode === 0) memory!.lingering.keep(remembered, parse);
      else memory!.keep(remembered, parse);
    } else {
      let local: Endpoint | null;
      let peer: Endpoint | null;
      if (family === AF_INET) {
        // Read in place: an endpoint object (and the address object it was spread from) for each of a socket's
        // two ends made four short-lived objects a socket.
        local = IPV4_LOCAL;
        local.ip = ipv4(words, bytes, msg + 8);
        local.port = be16(bytes, msg + 4);
        local.wildcard = local.ip === "0.0.0.0";
        peer = IPV4_PEER;
        peer.ip = ipv4(words, bytes, msg + 24);
        peer.port = be16(bytes, msg + 6);
        peer.wildcard = peer.ip === "0.0.0.0";
      } else {
        local = family === AF_INET6 ? endpoint(words, bytes, family, msg + 4, msg + 8) : null;
        peer = local === null ? null : endpoint(words, bytes, family, msg + 6, msg + 24);
      }
      if (local === null || peer === null) {
        this.#skipped.push({
          line: `netlink message at byte ${offset}`,
          reason: `unreadable address (family ${family})`,
        });
        return;
      }
      const hasPeer = !isNoPeer(peer);
      const ipFamily = local.family;
      const localIp = local.ip;
      const localPort = local.port ?? 0;
      const remoteIp = hasPeer ? peer.ip : null;
      const remotePort = hasPeer ? peer.port : null;
      // ss names no owner of a socket without inode (TIME_WAIT): nor does this.
      const user = inode === 0 ? null : uidName(uid);
      const status = statusOf(state);
      if (memory !== null && (inode !== 0 || cookie !== 0)) {
        // Its own memory record (see DumpSocket), with the counters' fields when they are read.
        const traffic = this.#traffic;
        const kept = new DumpSocket(
          ipFamily,
          localIp,
          localPort,
          remoteIp,
          remotePort,
          status,
          user,
          inode,
          traffic,
          parse,
        );
        if (inode === 0) memory.lingering.set(cookie, kept);
        else {
          if (remembered !== undefined) RememberedSocket.carry(remembered, kept);
          memory.set(inode, kept);
        }
        socket = kept;
      } else if (this.#columns !== null && !this.#traffic) {
        this.#columns.add(ipFamily, localIp, localPort, remoteIp, remotePort, status, user, inode);
        return;
      } else {
        // The counters' fields are written in the literal, not added after it: an added property goes to a
        // second array per object.
        socket = this.#traffic
          ? {
            protocol: "TCP",
            family: ipFamily,
            local_ip: localIp,
            local_port: localPort,
            remote_ip: remoteIp,
            remote_port: remotePort,
            status,
            pid: null,
            process_name: null,
            process_path: null,
            user,
            inode,
            bytes_sent: null,
            bytes_received: null,
          }
          : tcpSocket(ipFamily, localIp, localPort, remoteIp, remotePort, status, user, inode);
      }
    }
    if (this.#traffic && !this.#counters) {
      // The same object kept its counters; a socket read afresh (a new state, IPv6) takes its last ones, if it
      // is the same connection (a socket connected elsewhere since, connect(AF_UNSPEC), counts anew).
      if (
        remembered !== undefined && socket !== remembered && state !== TCP_LISTEN &&
        state !== TCP_TIME_WAIT && socket.remote_ip === remembered.remote_ip &&
        socket.remote_port === remembered.remote_port && socket.local_port === remembered.local_port &&
        socket.local_ip === remembered.local_ip
      ) {
        socket.bytes_sent = remembered.bytes_sent ?? null;
        socket.bytes_received = remembered.bytes_received ?? null;
      }
    } else if (this.#traffic) {
      socket.bytes_sent = null;
      socket.bytes_received = null;
      if (state !== TCP_LISTEN && state !== TCP_TIME_WAIT) {
        for (let attr = msg + INET_DIAG_MSG; attr + 4 <= at + length;) {
          const header = word(words, attr);
          const attrLength = lowHalf(header);
          if (attrLength < 4) break;
          if (highHalf(header) === INET_DIAG_INFO && attr + attrLength <= at + length) {
            setCounters(socket, words, attr + 4, attrLength - 4);
            break;
          }
          attr += (attrLength + 3) & ~3;
        }
      }
    }
    this.#sockets[this.#count++] = socket;
  }
}
