import type { Socket } from "../model/connection.ts";
import { parseEndpoint } from "./endpoint.ts";
import { socketFromRow } from "./_socket.ts";
import { leadingFields } from "./_fields.ts";
import type { SkippedLine } from "./parse_result.ts";

/** Whether a row belongs to Windows `netstat -an`/`-ano` (upper-case protocol). */
export function isWindowsNetstatRow(line: string): boolean {
  return /^\s*(TCP|UDP)\s+\S+:\S+\s+\S+/.test(line);
}

/**
 * Read one row of Windows `netstat -ano` (or `-an`, without the PID column).
 * UDP rows have no state:
 *
 * ```text
 *   TCP    127.0.0.1:1031         127.0.0.1:1032         ESTABLISHED     10644
 *   UDP    0.0.0.0:53             *:*                                    4808
 * ```
 */
export function parseWindowsNetstatRow(line: string, skipped: SkippedLine[]): Socket | null {
  const { fields } = leadingFields(line, 6);
  const [protoText = "", localText = "", peerText = ""] = fields;
  const protocol = protoText === "TCP" ? "TCP" : protoText === "UDP" ? "UDP" : undefined;
  const local = parseEndpoint(localText);
  const peer = parseEndpoint(peerText);
  if (protocol === undefined || local === null || local.port === null || peer === null) {
    skipped.push({ line, reason: "not a netstat TCP/UDP row" });
    return null;
  }
  const rest = fields.slice(3);
  const state = protocol === "TCP" && rest.length > 0 && !/^\d+$/.test(rest[0] ?? "")
    ? rest.shift() ?? ""
    : "";
  const pidText = rest[0];
  const pid = pidText !== undefined && /^\d+$/.test(pidText) ? Number(pidText) : null;
  return socketFromRow(protocol, { local, peer, state }, { pid });
}
