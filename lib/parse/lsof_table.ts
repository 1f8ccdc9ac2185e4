import { dedupeSockets, lsofSocket } from "./lsof.ts";
import type { Socket } from "../model/connection.ts";
import { type ParseResult, type SkippedLine, splitLines } from "./parse_result.ts";

/**
 * Parse the column layout of `lsof -i -n -P` (what people paste, and what the
 * older tools captured). COMMAND may hold spaces, so a row is read around its
 * TYPE column (`IPv4`/`IPv6`), as bandwhich does:
 *
 * ```text
 * python3 11541 root    6u  IPv4  18837      0t0  TCP 127.0.0.1:46690->127.0.0.1:47123 (ESTABLISHED)
 * ```
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseLsofTable } from "./lsof_table.ts";
 * const { sockets } = parseLsofTable("python3 11541 root 3u IPv4 18834 0t0 TCP 127.0.0.1:47123 (LISTEN)");
 * deepStrictEqual([sockets[0]?.process_name, sockets[0]?.status], ["python3", "LISTEN"]);
 * ```
 */
export function parseLsofTable(text: string): ParseResult {
  const sockets: Socket[] = [];
  const skipped: SkippedLine[] = [];
  for (const line of splitLines(text)) {
    if (line.trim() === "" || /^COMMAND\s+PID\s/.test(line)) continue;
    const tokens = line.trim().split(/\s+/);
    const typeAt = tokens.findIndex((t, i) => i >= 4 && (t === "IPv4" || t === "IPv6"));
    const nodeAt = tokens.findIndex((t, i) => i > typeAt && (t === "TCP" || t === "UDP"));
    const pid = Number(tokens[typeAt - 3]);
    if (typeAt < 0 || nodeAt < 0 || !Number.isInteger(pid)) {
      skipped.push({ line, reason: "not an lsof TCP/UDP row" });
      continue;
    }
    const state = /^\((.+)\)$/.exec(tokens[nodeAt + 2] ?? "")?.[1] ?? "";
    const socket = lsofSocket(
      {
        pid,
        command: tokens.slice(0, typeAt - 3).join(" ") || null,
        login: tokens[typeAt - 2] ?? null,
        uid: null,
      },
      {
        fd: tokens[typeAt - 1] ?? "",
        type: tokens[typeAt] ?? "",
        protocol: tokens[nodeAt] ?? "",
        name: tokens[nodeAt + 1] ?? "",
        state,
      },
    );
    if (typeof socket === "string") skipped.push({ line, reason: socket });
    else sockets.push(socket);
  }
  return { sockets: dedupeSockets(sockets), skipped };
}
