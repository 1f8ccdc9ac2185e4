import type { Family, Protocol, Socket } from "../model/connection.ts";
import { LINUX_TCP_STATE_CODES } from "../model/status.ts";
import { normalizeIp } from "./endpoint.ts";
import { leadingFields } from "./_fields.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";
import type { SsLineMemory, SsTcpSummary } from "./ss.ts";

/** Which `/proc/net` table a text came from. */
export interface ProcNetOptions {
  protocol: Protocol;
  family: Family;
}

function hexWordToBytes(hex: string, out: number[]): void {
  // The kernel prints each 32-bit word in host (little-endian) order.
  for (let i = 6; i >= 0; i -= 2) out.push(parseInt(hex.slice(i, i + 2), 16));
}

function hexAddress(hex: string, family: Family): string | null {
  if (family === 4) {
    if (hex.length !== 8) return null;
    const bytes: number[] = [];
    hexWordToBytes(hex, bytes);
    return bytes.join(".");
  }
  if (hex.length !== 32) return null;
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) hexWordToBytes(hex.slice(w * 8, w * 8 + 8), bytes);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(":");
}

function hexEndpoint(text: string, family: Family) {
  const [addrHex = "", portHex = ""] = text.split(":");
  const raw = hexAddress(addrHex, family);
  const port = parseInt(portHex, 16);
  if (raw === null || !/^[0-9A-Fa-f]{4}$/.test(portHex)) return null;
  const address = normalizeIp(raw, family);
  return address === null ? null : { ...address, port };
}

/** The socket of a `/proc/net/{tcp,tcp6,udp,udp6}` row's first 10 fields; null when they are not a row's. */
function rowSocket(fields: readonly string[], protocol: Protocol, family: Family | null): Socket | null {
  const [, localText = "", remoteText = "", stateHex = "", , , , uidText = "", , inodeText = ""] = fields;
  // A row's own family, told by its address's width, where the text mixes both tables (see parseProcNetListing).
  const rowFamily = family ?? (localText.length === 13 ? 4 : 6);
  const local = hexEndpoint(localText, rowFamily);
  const remote = hexEndpoint(remoteText, rowFamily);
  const stateCode = parseInt(stateHex, 16);
  if (fields.length < 10 || local === null || remote === null || Number.isNaN(stateCode)) return null;
  const hasPeer = !(remote.port === 0 && (remote.ip === "0.0.0.0" || remote.ip === "::"));
  let status: string;
  if (protocol === "UDP") status = stateCode === 1 || hasPeer ? "CONNECTED" : "UNCONNECTED";
  else status = LINUX_TCP_STATE_CODES[stateCode] ?? "UNKNOWN";
  const inode = Number(inodeText);
  return {
    protocol,
    family: local.family,
    local_ip: local.ip,
    local_port: local.port,
    remote_ip: hasPeer ? remote.ip : null,
    remote_port: hasPeer ? remote.port : null,
    status,
    pid: null,
    process_name: null,
    process_path: null,
    user: /^\d+$/.test(uidText) ? uidText : null,
    inode: Number.isInteger(inode) ? inode : null,
  };
}

/**
 * Parse one of `/proc/net/tcp`, `tcp6`, `udp`, `udp6`. Owners are not in these
 * tables: `pid`, `process_name` and `process_path` are `null`, `inode` is set
 * and `user` is the numeric uid.
 *
 * ```text
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
 *    0: 0100007F:B86B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3950 1 0000000000000000 100 0 0 10 0
 * ```
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseProcNet } from "./proc_net.ts";
 * const { sockets } = parseProcNet(
 *   "   0: 0100007F:B86B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3950 1",
 *   { protocol: "TCP", family: 4 },
 * );
 * deepStrictEqual([sockets[0]?.local_ip, sockets[0]?.local_port, sockets[0]?.status], ["127.0.0.1", 47211, "LISTEN"]);
 * ```
 */
export function parseProcNet(text: string, options: ProcNetOptions): ParseResult {
  const sockets: Socket[] = [];
  const skipped: SkippedLine[] = [];
  for (const line of splitLines(text)) {
    if (line.trim() === "" || line.trimStart().startsWith("sl")) continue;
    const socket = rowSocket(leadingFields(line, 10).fields, options.protocol, options.family);
    if (socket === null) skipped.push({ line, reason: "not a /proc/net socket row" });
    else sockets.push(socket);
  }
  return { sockets, skipped };
}

/** The files whose text {@linkcode parseProcNetListing} reads, in its order: the TCP counts, then UDP's tables. */
export const PROC_NET_UDP_LISTING = [
  "/proc/net/sockstat",
  "/proc/net/sockstat6",
  "/proc/net/udp",
  "/proc/net/udp6",
] as const;

/** A sockstat line (`TCP: inuse 5 …`). */
const SOCKSTAT_LINE = /^[A-Za-z][A-Za-z0-9]*: /;
/** A table's head (`  sl  local_address …`). */
const TABLE_HEAD = /^\s*sl\s+local_address\s/;

/** Whether a line's first character after spaces is a digit. */
function startsWithDigit(line: string): boolean {
  let i = 0;
  while (line.charCodeAt(i) === 32) i++;
  const c = line.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/** A count after `name ` in a `/proc/net/sockstat` line's text (`TCP: inuse 5 orphan 0 tw 2 …`); null if none. */
function countOf(text: string, name: string): number | null {
  const match = new RegExp(`(?:^| )${name} (\\d+)(?: |$)`).exec(text);
  return match === null ? null : Number(match[1]);
}

/**
 * Read the text of {@linkcode PROC_NET_UDP_LISTING} as one program printed the files one after the other
 * (`cat`): the TCP counts `ss -s` prints from the same two sockstat files (sockets hashed per family, those in
 * TIME-WAIT; null without the `TCP:` line), and the UDP sockets, each row's family told by its address's
 * width, and how many tables' heads it read. `sockstat6` and `udp6` are absent where IPv6 is off: their counts
 * are 0, their rows none.
 * With a `memory`, an unchanged row (the same addresses, state, uid and inode: its queues, drops and references
 * may change) gives the socket it made before again, as {@linkcode SsLineMemory} does for ss's text.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseProcNetListing } from "./proc_net.ts";
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
export function parseProcNetListing(
  text: string,
  memory?: SsLineMemory,
): { summary: SsTcpSummary | null; udp: ParseResult; tables: number } {
  const sockets: Socket[] = [];
  let tables = 0;
  const skipped: SkippedLine[] = [];
  let tcp: string | null = null;
  let tcp6: string | null = null;
  const reading = memory?.begin() ?? 0;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith("TCP: ")) tcp = line;
    else if (line.startsWith("TCP6: ")) tcp6 = line;
    // Every other sockstat line (`sockets:`, `UDP:`, `RAW6:`, …) and the tables' heads start with a name, a row
    // with its hash slot's number (`%5d:`, so no space before it from slot 10,000 on), an empty line with none.
    if (!startsWithDigit(line)) {
      if (TABLE_HEAD.test(line)) tables++;
      else if (line.trim() !== "" && !SOCKSTAT_LINE.test(line)) {
        skipped.push({ line, reason: "not a /proc/net row" });
      }
      continue;
    }
    const fields = leadingFields(line, 10).fields;
    const key = memory === undefined
      ? ""
      : `${fields[1]} ${fields[2]} ${fields[3]} ${fields[7]} ${fields[9]}`;
    const known = memory?.take(key, reading);
    if (known !== undefined) {
      sockets.push(known);
      continue;
    }
    const socket = rowSocket(fields, "UDP", null);
    if (socket === null) {
      skipped.push({ line, reason: "not a /proc/net socket row" });
      continue;
    }
    sockets.push(socket);
    memory?.keep(key, socket, reading);
  }
  memory?.end(reading);
  const ipv4 = tcp === null ? null : countOf(tcp, "inuse");
  const timeWait = tcp === null ? null : countOf(tcp, "tw");
  const summary = ipv4 === null || timeWait === null
    ? null
    : { ipv4, ipv6: tcp6 === null ? 0 : countOf(tcp6, "inuse") ?? 0, timeWait };
  return { summary, udp: { sockets, skipped }, tables };
}
