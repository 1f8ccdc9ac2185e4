import type { Family, Protocol, Socket } from "../model/connection.ts";
import { LINUX_TCP_STATE_CODES } from "../model/status.ts";
import { normalizeIp } from "./endpoint.ts";
import { leadingFields } from "./_fields.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";

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
export function rowSocket(
  fields: readonly string[],
  protocol: Protocol,
  family: Family | null,
): Socket | null {
  const [, localText = "", remoteText = "", stateHex = "", , , , uidText = "", , inodeText = ""] = fields;
  // A row's own family, told by its address's width, where the text mixes both tables (see `proc_net_listing.ts`).
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
