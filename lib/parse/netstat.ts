import type { Socket } from "../model/connection.ts";
import { isLinuxNetstatRow, parseLinuxNetstatRow } from "./_netstat_linux.ts";
import {
  CUT_MARK,
  isMacNetstatRow,
  type MacNetstatLayout,
  macNetstatLayout,
  parseMacNetstatRow,
  showsFullIpv6,
} from "./_netstat_macos.ts";
import { isWindowsNetstatRow, parseWindowsNetstatRow } from "./_netstat_windows.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";

type Layout = { os: "linux"; extended: boolean } | { os: "macos"; mac: MacNetstatLayout } | { os: "windows" };

function layoutOfHeader(line: string, fullIpv6: boolean): Layout | null {
  if (!/\bProto\b/.test(line) || !line.includes("Local Address")) return null;
  if (line.includes("(state)")) return { os: "macos", mac: macNetstatLayout(line, fullIpv6) };
  if (line.includes("PID/Program") || /Recv-Q/.test(line)) {
    return { os: "linux", extended: /\bInode\b/.test(line) };
  }
  return { os: "windows" };
}

function layoutOfRow(line: string, fullIpv6: boolean): Layout | null {
  if (isWindowsNetstatRow(line)) return { os: "windows" };
  if (isMacNetstatRow(line)) return { os: "macos", mac: macNetstatLayout("", fullIpv6) };
  if (isLinuxNetstatRow(line)) return { os: "linux", extended: false };
  return null;
}

const SECTION_END = /^(Active (UNIX|LOCAL|kernel|Bluetooth)|Registered kernel|Active Multipath)/;
const PREAMBLE = /^\s*(Active (Internet )?[Cc]onnections|Proto\b)/;

/**
 * Parse `netstat` output from Linux (net-tools `-tunap`, optionally `-e`/`-W`),
 * macOS (`-anv` in the macOS 12–15 and macOS 26 layouts, `-An`) or Windows
 * (`-ano`, `-an`), recognising the layout by itself from the header or the
 * rows. Sections after the inet one (UNIX domain, kernel sockets) are left out.
 * An IPv6 address macOS netstat cut to its column is kept as the part printed,
 * ending in `…`, and counted in a note.
 * With `traffic`, every socket gets `bytes_sent`/`bytes_received`: from the
 * `txbytes`/`rxbytes` columns macOS 26 prints for TCP, `null` everywhere else.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseNetstat } from "./netstat.ts";
 * const windows = parseNetstat("  Proto  Local Address  Foreign Address  State  PID\r\n" +
 *   "  TCP    0.0.0.0:135    0.0.0.0:0        LISTENING       1712\r\n");
 * deepStrictEqual(windows.sockets[0]?.status, "LISTEN");
 * const mac = parseNetstat("tcp4  0  0  127.0.0.1.8080  *.*  LISTEN\n");
 * deepStrictEqual(mac.sockets[0]?.local_port, 8080);
 * ```
 */
export function parseNetstat(text: string, options: { traffic?: boolean } = {}): ParseResult {
  const traffic = options.traffic ?? false;
  const sockets: Socket[] = [];
  const skipped: SkippedLine[] = [];
  let layout: Layout | null = null;
  let inSection = true;
  let recognised = false;
  const lines = splitLines(text);
  const fullIpv6 = showsFullIpv6(lines);
  const cut = { addresses: 0 };
  for (const line of lines) {
    if (line.trim() === "") continue;
    const header = layoutOfHeader(line, fullIpv6);
    if (header !== null) {
      layout = header;
      inSection = recognised = true;
      continue;
    }
    if (SECTION_END.test(line)) {
      inSection = false;
      continue;
    }
    if (PREAMBLE.test(line)) {
      inSection = true;
      continue;
    }
    if (!inSection) continue;
    const rowLayout = layout ?? layoutOfRow(line, fullIpv6);
    if (rowLayout === null) {
      skipped.push({ line, reason: "not a netstat TCP/UDP row" });
      continue;
    }
    recognised = true;
    let socket: Socket | null;
    if (rowLayout.os === "linux") socket = parseLinuxNetstatRow(line, rowLayout.extended, skipped);
    else if (rowLayout.os === "macos") {
      socket = parseMacNetstatRow(line, rowLayout.mac, skipped, cut, traffic);
    } else socket = parseWindowsNetstatRow(line, skipped);
    if (socket === null) continue;
    // Only macOS 26's `netstat -anv` prints byte counters (read above); Linux and Windows netstat have none.
    if (traffic && socket.bytes_sent === undefined) socket.bytes_sent = socket.bytes_received = null;
    sockets.push(socket);
  }
  if (!recognised && skipped.length > 0) {
    throw new SyntaxError(
      "the input does not look like netstat output (no Proto header and no TCP/UDP rows)",
    );
  }
  const notes = cut.addresses === 0 ? [] : [
    `netstat cut ${cut.addresses} IPv6 address${cut.addresses === 1 ? "" : "es"} to fit its column; ` +
    `they are shown as printed, ending in "${CUT_MARK}" (macOS: netstat -anvl prints them whole)`,
  ];
  return { sockets, skipped, notes };
}
