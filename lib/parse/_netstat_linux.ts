import type { Socket } from "../model/connection.ts";
import { parseEndpoint } from "./endpoint.ts";
import { socketFromRow } from "./_socket.ts";
import { leadingFields } from "./_fields.ts";
import type { SkippedLine } from "./parse_result.ts";

const LINUX_PROTOCOLS: Record<string, "TCP" | "UDP"> = { tcp: "TCP", tcp6: "TCP", udp: "UDP", udp6: "UDP" };
const STATE_WORD = /^[A-Z][A-Z0-9_]+$/;

/** Whether a header or row belongs to net-tools `netstat` on Linux. */
export function isLinuxNetstatRow(line: string): boolean {
  const first = leadingFields(line, 1).fields[0] ?? "";
  return first in LINUX_PROTOCOLS && /^\s*\S+\s+\d+\s+\d+\s+\S+:\S+\s/.test(line);
}

/**
 * Read one row of net-tools `netstat -tunap` (optionally `-e`, which adds the
 * User and Inode columns, and `-W`, which stops IPv6 truncation):
 *
 * ```text
 * tcp        0      0 127.0.0.1:47123         127.0.0.1:46704         ESTABLISHED 11541/python3
 * ```
 */
export function parseLinuxNetstatRow(line: string, extended: boolean, skipped: SkippedLine[]): Socket | null {
  const { fields, rest } = leadingFields(line, 5);
  const [protoText = "", , , localText = "", peerText = ""] = fields;
  const protocol = LINUX_PROTOCOLS[protoText];
  const local = parseEndpoint(localText);
  const peer = parseEndpoint(peerText);
  if (protocol === undefined || local === null || local.port === null || peer === null) {
    skipped.push({ line, reason: "not a netstat TCP/UDP row" });
    return null;
  }
  const tail = rest === "" ? [] : rest.split(/\s+/);
  let state = "";
  if (tail.length > 0 && STATE_WORD.test(tail[0] ?? "")) state = tail.shift() ?? "";
  let user: string | null = null;
  let inode: number | null = null;
  if (extended && tail.length >= 2) {
    user = tail.shift() ?? null;
    inode = Number(tail.shift());
    if (!Number.isInteger(inode)) inode = null;
  }
  const owner = tail.join(" ");
  const slash = owner.indexOf("/");
  const pid = slash > 0 ? Number(owner.slice(0, slash)) : NaN;
  return socketFromRow(protocol, { local, peer, state }, {
    pid: Number.isInteger(pid) ? pid : null,
    process_name: Number.isInteger(pid) ? owner.slice(slash + 1) || null : null,
    user,
    inode,
  });
}
