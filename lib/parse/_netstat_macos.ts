import type { Family, Socket } from "../model/connection.ts";
import { type Endpoint, normalizeIp, parseEndpoint } from "./endpoint.ts";
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

/** Where the columns of a macOS `netstat` inet section are, and where netstat cut them. */
export interface MacNetstatLayout {
  /** Columns before Proto: 2 for `netstat -An` (Socket, Flowhash), else 0. */
  leadingColumns: number;
  /** How the owner is printed: `process:pid` (macOS 26), `pid epid` (macOS 12–15) or not at all. */
  owner: "process:pid" | "pid" | "none";
  /** netstat cuts an IPv6 address to this many characters: 16, or 39 with `-l` (full addresses). */
  ipv6Limit: number;
  /** …and then `address.port` to this width: 22, 18 with `-A`, 45 with `-l`. */
  columnWidth: number;
  /** True when the rows carry `rxbytes txbytes` after the state (`-anv` on macOS 26). */
  bytes: boolean;
}

/** The character that ends an address netstat cut short: the text before it is all that is known. */
export const CUT_MARK = "\u2026";

/**
 * Read the layout of a macOS `netstat` header line. `fullIpv6`: the rows show
 * an IPv6 address longer than 16 characters, so netstat ran with `-l`.
 */
export function macNetstatLayout(header: string, fullIpv6 = false): MacNetstatLayout {
  const leadingColumns = /^\s*Socket\s/.test(header) ? 2 : 0;
  return {
    leadingColumns,
    owner: header.includes("process:pid") ? "process:pid" : /\spid\s+epid\s/.test(header) ? "pid" : "none",
    ipv6Limit: fullIpv6 ? 39 : 16,
    columnWidth: fullIpv6 ? 45 : leadingColumns === 2 ? 18 : 22,
    bytes: /\srxbytes\s+txbytes\s/.test(header),
  };
}

/** Whether a row belongs to a macOS `netstat` inet section. */
export function isMacNetstatRow(line: string): boolean {
  return /^\s*(\S+\s+\S+\s+)?(tcp|udp)(4|6|46)\s+\d+\s+\d+\s+\S+\.\S+\s/.test(line);
}

/**
 * Whether macOS `netstat` rows show whole IPv6 addresses (`-l`): some address
 * is longer than the 16 characters it otherwise cuts them to.
 */
export function showsFullIpv6(lines: readonly string[]): boolean {
  return lines.some((line) => {
    if (!isMacNetstatRow(line)) return false;
    const tokens = line.trim().split(/\s+/);
    const proto = tokens.findIndex((token) => token in MAC_PROTOCOLS);
    return proto >= 0 &&
      [tokens[proto + 3] ?? "", tokens[proto + 4] ?? ""].some((t) =>
        t.includes(":") && t.lastIndexOf(".") > 16
      );
  });
}

/** An endpoint as macOS netstat printed it, with what its column cut off. */
interface MacEndpoint {
  endpoint: Endpoint;
  /** The address was (or may have been) cut: `ip` is the part printed, ending in {@linkcode CUT_MARK}. */
  addressCut: boolean;
  /** The port was (or may have been) cut: it is not known. */
  portCut: boolean;
}

/**
 * Read `address.port`. netstat prints an IPv6 address cut to 16 characters
 * (`%.16s`) and then the whole to the column (`%-22.22s`, 18 with `-A`), so an
 * IPv6 address of exactly the limit may be cut, and a port in a full column of
 * `-A` output may be too (Apple's network_cmds, `inet6print`). IPv4 addresses
 * (15 characters at most) are never cut.
 */
function macEndpoint(token: string, layout: MacNetstatLayout, wildcardFamily: Family): MacEndpoint | null {
  const dot = token.lastIndexOf(".");
  if (dot <= 0) return null;
  const host = token.slice(0, dot);
  const portCut = token.length >= layout.columnWidth && layout.ipv6Limit + 6 > layout.columnWidth;
  // 39 characters is the longest IPv6 address without a zone: with -l only a zoned one can be cut.
  const addressCut = host.includes(":") && host.length >= layout.ipv6Limit &&
    !(layout.ipv6Limit >= 39 && !host.includes("%") && normalizeIp(host) !== null);
  if (!addressCut && !portCut) {
    const endpoint = parseEndpoint(token, { separator: ".", wildcardFamily });
    return endpoint === null ? null : { endpoint, addressCut, portCut };
  }
  const whole = addressCut ? null : normalizeIp(host, wildcardFamily);
  if (!addressCut && whole === null) return null;
  const port = portCut ? null : parseEndpoint(`0.0.0.0.${token.slice(dot + 1)}`, { separator: "." })?.port;
  if (port === undefined) return null;
  return {
    endpoint: {
      ip: whole?.ip ?? host + CUT_MARK,
      family: whole?.family ?? 6,
      port,
      wildcard: false,
    },
    addressCut,
    portCut,
  };
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
 * Without `-l` netstat cuts IPv6 addresses to 16 characters:
 *
 * ```text
 * tcp6       0      0  fe80::21e:52ff:f.50133 fe80::21f:f3ff:f.5009  ESTABLISHED
 * ```
 *
 * Such a row is kept with what is known (owner, the other side, the ports);
 * the cut address is the printed part ending in {@linkcode CUT_MARK}, which no
 * reader takes for an address, and `cut` counts it. A row whose local port was
 * cut (`-A` output) is skipped.
 *
 * With `traffic`, a TCP socket gets `bytes_sent`/`bytes_received` from the
 * `txbytes`/`rxbytes` columns of the macOS 26 layout; without those columns,
 * and for UDP and listening sockets, they are `null`.
 */
export function parseMacNetstatRow(
  line: string,
  layout: MacNetstatLayout,
  skipped: SkippedLine[],
  cut: { addresses: number } = { addresses: 0 },
  traffic = false,
): Socket | null {
  const tokens = line.trim().split(/\s+/).slice(layout.leadingColumns);
  const [protoText = "", , , localText = "", peerText = ""] = tokens;
  const proto = MAC_PROTOCOLS[protoText];
  if (proto === undefined) {
    skipped.push({ line, reason: "not a netstat TCP/UDP row" });
    return null;
  }
  const local = macEndpoint(localText, layout, proto.wildcardFamily);
  const peer = macEndpoint(peerText, layout, proto.wildcardFamily);
  if (local === null || peer === null) {
    skipped.push({ line, reason: `unreadable address "${local === null ? localText : peerText}"` });
    return null;
  }
  if (local.portCut) {
    skipped.push({
      line,
      reason: "netstat cut the local port to fit its column; capture with netstat -anvl",
    });
    return null;
  }
  if (local.addressCut) cut.addresses++;
  if (peer.addressCut) cut.addresses++;
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
  const socket = socketFromRow(proto.protocol, { local: local.endpoint, peer: peer.endpoint, state }, {
    pid,
    process_name: name,
  });
  if (traffic) {
    const rx = tokens[at] ?? "";
    const tx = tokens[at + 1] ?? "";
    const counted = layout.bytes && socket.protocol === "TCP" && socket.status !== "LISTEN" &&
      /^\d+$/.test(rx) && /^\d+$/.test(tx);
    socket.bytes_sent = counted ? Number(tx) : null;
    socket.bytes_received = counted ? Number(rx) : null;
  }
  return socket;
}
