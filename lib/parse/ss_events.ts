import type { TraceEvent } from "../model/trace_event.ts";
import { type SkippedLine, splitLines } from "./parse_result.ts";
import { parseSs } from "./ss.ts";

/** What {@linkcode parseSsEvents} read. */
export interface SsEventsResult {
  events: TraceEvent[];
  skipped: SkippedLine[];
}

/**
 * Read one line of `ss -E -tunH` (iproute2 6.1): a socket the kernel has just
 * destroyed. TCP sockets show the state `UNCONN` by then, the inode is 0 and
 * no process is known, so the event carries addresses and ports only:
 *
 * ```text
 * tcp UNCONN 1      0      127.0.0.1:59723 127.0.0.1:57108
 * tcp UNCONN 1      0      [::ffff:127.0.0.1]:53709 [::ffff:127.0.0.1]:40414
 * udp ESTAB  0      -1                  [::1]:50443              [::1]:9
 * ```
 *
 * `at` is when the line was read (ss prints no time). Returns null for a
 * blank line, a reason for a line that is not a TCP or UDP socket.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsEventLine } from "./ss_events.ts";
 * const event = parseSsEventLine("tcp UNCONN 1      0      127.0.0.1:59723 127.0.0.1:57108", 1000);
 * deepStrictEqual(typeof event === "object" && event !== null &&
 *   [event.kind, event.at, event.socket.remote_port, event.direction], ["close", 1000, 57108, null]);
 * deepStrictEqual(parseSsEventLine("u_str ESTAB 0 0 * 1234 * 1235", 0), 'not a TCP or UDP socket ("u_str")');
 * ```
 */
export function parseSsEventLine(line: string, at: number): TraceEvent | string | null {
  if (line.trim() === "") return null;
  let parsed;
  try {
    parsed = parseSs(line);
  } catch {
    return "not a line of ss output";
  }
  const socket = parsed.sockets[0];
  if (socket === undefined) return parsed.skipped[0]?.reason ?? "not a line of ss output";
  // A destroyed TCP socket is closed whatever ss calls it; a UDP one keeps its peer-based word.
  if (socket.protocol === "TCP") socket.status = "CLOSE";
  socket.inode = null;
  return { kind: "close", at, socket, direction: null };
}

/**
 * Read a capture of `ss -E -tunH`: every destroyed socket, and the lines that
 * are not sockets with why. See {@linkcode parseSsEventLine}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseSsEvents } from "./ss_events.ts";
 * const result = parseSsEvents("tcp UNCONN 0 0 127.0.0.1:57831 0.0.0.0:*\ntcp UNCONN 1 0 127.0.0.1:5", 0);
 * deepStrictEqual([result.events.length, result.skipped.length], [1, 1]);
 * ```
 */
export function parseSsEvents(text: string, at: number): SsEventsResult {
  const events: TraceEvent[] = [];
  const skipped: SkippedLine[] = [];
  for (const line of splitLines(text)) {
    const parsed = parseSsEventLine(line, at);
    if (parsed === null) continue;
    if (typeof parsed === "string") skipped.push({ line, reason: parsed });
    else events.push(parsed);
  }
  return { events, skipped };
}
