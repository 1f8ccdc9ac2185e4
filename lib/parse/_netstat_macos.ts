import type { Family, Socket } from "../model/connection.ts";
import { parseEndpoint } from "./endpoint.ts";
import { socketFromRow } from "./_socket.ts";
import type { SkippedLine } from "./parse_result.ts";

const MAC_PROTOCOLS: Record<string, { protocol: "TCP" | "UDP"; wildcardFamily: Family }> = {
  tcp4: { protocol: "TCP", wildcardFamily: 4 },
  tcp6: { protocol: "TCP", wildcardFamily: 6 },
  tcp46: { protocol: "TCP", wildcardFamily: 6 },
  udp4: { protocol: "UDP", wildcardFamily: 4 },
  udp6: { protocol: "UDP", wildcardFamily: 6 },
  udp46: { protocol: "UDP", wildcardFamily: 6 },
};

/** Where the columns of a macOS `netstat` inet section are, read from its header. */
export interface MacNetstatLayout {
  /** Columns before Proto: 2 for `netstat -An` (Socket, Flowhash), else 0. */
  leadingColumns: number;
  /** How the owner is printed: `process:pid` (macOS 26), `pid epid` (macOS 12–15) or not at all. */
  owner: "process:pid" | "pid" | "none";
  /** Width of the address columns; an address that fills it may have been cut. */
  addressWidth: number;
}

/** Read the layout of a macOS `netstat` header line. */
export function macNetstatLayout(header: string): MacNetstatLayout {
  const localAt = header.indexOf("Local Address");
  const foreignAt = header.indexOf("Foreign Address");
  return {
    leadingColumns: /^\s*Socket\s/.test(header) ? 2 : 0,
    owner: header.includes("process:pid") ? "process:pid" : /\spid\s+epid\s/.test(header) ? "pid" : "none",
    addressWidth: localAt >= 0 && foreignAt > localAt ? foreignAt - localAt - 1 : Infinity,
  };
}

/** Whether a row belongs to a macOS `netstat` inet section. */
export function isMacNetstatRow(line: string): boolean {
  return /^\s*(\S+\s+\S+\s+)?(tcp|udp)(4|6|46)\s+\d+\s+\d+\s+\S+\.\S+\s/.test(line);
}

/**
 * Read one row of macOS `netstat -anv` (both layouts) or `netstat -An`.
 * Addresses end in `.port`; a `tcp46` wildcard is the IPv6 one; UDP rows have
 * no state. On macOS 26 the owner column is `process:pid`, where the name can
 * hold spaces and is cut to 16 characters:
 *
 * ```text
 * tcp4       0      0  127.0.0.1.62243        *.*                    LISTEN                 0            0  131072  131072 Code Helper (Plu:17120  00100 …
 * ```
 *
 * An address that fills its column may have been cut by `netstat`; such a row
 * is skipped rather than reported with a wrong address or port.
 */
export function parseMacNetstatRow(
  line: string,
  layout: MacNetstatLayout,
  skipped: SkippedLine[],
): Socket | null {
  const tokens = line.trim().split(/\s+/).slice(layout.leadingColumns);
  const [protoText = "", , , localText = "", peerText = ""] = tokens;
  const proto = MAC_PROTOCOLS[protoText];
  if (proto === undefined) {
    skipped.push({ line, reason: "not a netstat TCP/UDP row" });
    return null;
  }
  if (localText.length >= layout.addressWidth || peerText.length >= layout.addressWidth) {
    skipped.push({ line, reason: "address fills its column and may be truncated; use lsof or netstat -W" });
    return null;
  }
  const local = parseEndpoint(localText, { separator: ".", wildcardFamily: proto.wildcardFamily });
  const peer = parseEndpoint(peerText, { separator: ".", wildcardFamily: proto.wildcardFamily });
  if (local === null || peer === null) {
    skipped.push({ line, reason: `unreadable address "${local === null ? localText : peerText}"` });
    return null;
  }
  let at = 5;
  let state = "";
  if (/^[A-Z_0-9]+$/.test(tokens[at] ?? "") && !/^\d+$/.test(tokens[at] ?? "")) state = tokens[at++] ?? "";
  let pid: number | null = null;
  let name: string | null = null;
  if (layout.owner === "pid") {
    const pidText = tokens[at + 2] ?? "";
    pid = /^\d+$/.test(pidText) && pidText !== "0" ? Number(pidText) : null;
  } else if (layout.owner === "process:pid") {
    // rxbytes txbytes rhiwat shiwat, then the owner, whose name may hold spaces.
    const ownerTokens: string[] = [];
    for (let i = at + 4; i < tokens.length; i++) {
      ownerTokens.push(tokens[i] ?? "");
      if (/:\d+$/.test(tokens[i] ?? "")) break;
    }
    const owner = ownerTokens.join(" ");
    const colon = owner.lastIndexOf(":");
    if (colon >= 0 && /^\d+$/.test(owner.slice(colon + 1))) {
      pid = Number(owner.slice(colon + 1)) || null;
      name = pid === null ? null : owner.slice(0, colon) || null;
    }
  }
  return socketFromRow(proto.protocol, { local, peer, state }, { pid, process_name: name });
}
