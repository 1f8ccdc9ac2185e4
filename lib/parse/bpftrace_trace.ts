import type { Direction, Protocol, Socket } from "../model/connection.ts";
import type { TraceEvent } from "../model/trace_event.ts";
import { leadingFields } from "./_fields.ts";
import { normalizeIp } from "./endpoint.ts";
import { type SkippedLine, splitLines } from "./parse_result.ts";

/** What one line of conntrail's bpftrace program says. */
export type TraceLine =
  /** The program is attached: events from now on are seen. `at` is the tracer's clock (ms). */
  | { kind: "ready"; at: number }
  | { kind: "event"; event: TraceEvent }
  /** A line bpftrace prints around the program's own (`Attaching 10 probes...`, blank lines). */
  | { kind: "ignored" }
  | { kind: "skipped"; reason: string };

/** What {@linkcode parseBpftraceTrace} read from a whole capture. */
export interface TraceParseResult {
  events: TraceEvent[];
  skipped: SkippedLine[];
  /** When the program said it was attached, or null when it never did. */
  readyAt: number | null;
}

const READY = "conntrail-trace ready ";

/** The kinds of event line, and what each means. */
const KINDS: Record<string, { open: boolean; direction: Direction | null; status: string }> = {
  connect: { open: true, direction: "outgoing", status: "ESTABLISHED" },
  // A connect that left SYN_SENT for CLOSE: refused, timed out or aborted. Its close follows.
  failed: { open: true, direction: "outgoing", status: "SYN_SENT" },
  accept: { open: true, direction: "incoming", status: "ESTABLISHED" },
  // The connect of a UDP socket.
  udp: { open: true, direction: "outgoing", status: "CONNECTED" },
  // The first datagram of a flow sent with sendto() from a socket that is not connected.
  sendto: { open: true, direction: "outgoing", status: "UNCONNECTED" },
  close: { open: false, direction: null, status: "CLOSE" },
};

/** `1796222523.415446` (seconds.microseconds since the epoch, from bpftrace's strftime) → ms. */
function epochMs(text: string): number | null {
  if (!/^\d{9,11}(\.\d{1,9})?$/.test(text)) return null;
  return Math.round(Number(text) * 1000);
}

function port(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/**
 * bpftrace's `%r` text of a `buf()`: printable bytes as they are, others as
 * `\xNN`. Decoded to the bytes' Latin-1 characters, the NUL padding of a
 * kernel `comm[16]` dropped. The name stays untrusted: it is made safe where
 * it is shown.
 */
function decodeComm(text: string): string {
  const decoded = text.replace(
    /\\x([0-9a-fA-F]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
  const nul = decoded.indexOf("\0");
  return nul < 0 ? decoded : decoded.slice(0, nul);
}

/**
 * Read one line of conntrail's bpftrace program (`lib/collect/bpftrace_program.ts`):
 *
 * ```text
 * conntrail-trace ready 1796222519.759115
 * connect 1796222523.415446 TCP 127.0.0.1 56248 127.0.0.1 49475 27766 0 python3\x00\x00\x00\x00\x00\x00\x00\x00\x00
 * accept 1796222523.416130 TCP ::ffff:127.0.0.1 33161 ::ffff:127.0.0.1 33400 27766 0 python3\x00…
 * sendto 1796222558.048600 UDP 0.0.0.0 42256 127.0.0.1 9 29053 0 python3\x00…
 * close 1796222523.415628 TCP 127.0.0.1 49475 127.0.0.1 56248
 * ```
 *
 * Fields: kind, time (seconds since the epoch), protocol, local address and
 * port, remote address and port; an open adds pid, uid and the process name
 * last (it may hold spaces; bytes that are not printable come as `\xNN`).
 * A remote of `0.0.0.0 0` (a listener closing) means no peer.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseTraceLine } from "./bpftrace_trace.ts";
 * const line = parseTraceLine("connect 1796222523.415446 TCP 127.0.0.1 56248 127.0.0.1 49475 27766 0 python3\\x00\\x00");
 * deepStrictEqual(line.kind === "event" && [line.event.kind, line.event.direction, line.event.socket.pid,
 *   line.event.socket.process_name, line.event.socket.remote_port], ["open", "outgoing", 27766, "python3", 49475]);
 * deepStrictEqual(parseTraceLine("Attaching 10 probes...").kind, "ignored");
 * deepStrictEqual(parseTraceLine("connect 17962 TCP").kind, "skipped");
 * ```
 */
export function parseTraceLine(line: string): TraceLine {
  const text = line.endsWith("\r") ? line.slice(0, -1) : line;
  if (text.trim() === "" || /^Attaching \d+ probes?\.\.\.$/.test(text)) return { kind: "ignored" };
  if (text.startsWith(READY)) {
    const at = epochMs(text.slice(READY.length).trim());
    return at === null
      ? { kind: "skipped", reason: "unreadable time in the ready line" }
      : { kind: "ready", at };
  }
  const { fields, rest } = leadingFields(text, 9);
  const [
    kindText = "",
    timeText = "",
    protocolText = "",
    localText = "",
    localPort = "",
    remoteText = "",
    remotePort = "",
    pidText = "",
    uidText = "",
  ] = fields;
  const kind = KINDS[kindText];
  if (kind === undefined) {
    return { kind: "skipped", reason: `not an event of conntrail's trace ("${kindText}")` };
  }
  const minimum = kind.open ? 9 : 7;
  if (fields.length < minimum || (!kind.open && fields.length > 7)) {
    return { kind: "skipped", reason: `a ${kindText} line has ${kind.open ? 10 : 7} fields` };
  }
  const at = epochMs(timeText);
  if (at === null) return { kind: "skipped", reason: `unreadable time "${timeText}"` };
  if (protocolText !== "TCP" && protocolText !== "UDP") {
    return { kind: "skipped", reason: `unknown protocol "${protocolText}"` };
  }
  const protocol: Protocol = protocolText;
  const local = normalizeIp(localText);
  const remote = normalizeIp(remoteText);
  const lport = port(localPort);
  const rport = port(remotePort);
  if (local === null || lport === null) return { kind: "skipped", reason: `unreadable local address` };
  if (remote === null || rport === null) return { kind: "skipped", reason: `unreadable remote address` };
  const noPeer = rport === 0 && (remote.ip === "0.0.0.0" || remote.ip === "::");
  let pid: number | null = null;
  let uid: string | null = null;
  let name: string | null = null;
  if (kind.open) {
    if (!/^\d{1,10}$/.test(pidText) || !/^\d{1,10}$/.test(uidText)) {
      return { kind: "skipped", reason: "unreadable pid or uid" };
    }
    pid = Number(pidText);
    uid = uidText;
    name = decodeComm(rest);
    if (name === "") name = null;
  }
  const socket: Socket = {
    protocol,
    family: noPeer ? local.family : remote.family,
    local_ip: local.ip,
    local_port: lport,
    remote_ip: noPeer ? null : remote.ip,
    remote_port: noPeer ? null : rport,
    status: kind.status,
    pid,
    process_name: name,
    process_path: null,
    user: uid,
    inode: null,
  };
  return {
    kind: "event",
    event: { kind: kind.open ? "open" : "close", at, socket, direction: kind.direction },
  };
}

/**
 * Read a whole capture of conntrail's bpftrace program: every event, the
 * lines that are not events (with why), and when it said it was attached.
 * See {@linkcode parseTraceLine} for the format.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseBpftraceTrace } from "./bpftrace_trace.ts";
 * const result = parseBpftraceTrace("Attaching 10 probes...\nconntrail-trace ready 1796222519.759115\n" +
 *   "close 1796222523.415628 TCP 127.0.0.1 49475 127.0.0.1 56248\n@connect_pid[0]: 3\n");
 * deepStrictEqual([result.readyAt, result.events.length, result.skipped.length], [1796222519759, 1, 1]);
 * ```
 */
export function parseBpftraceTrace(text: string): TraceParseResult {
  const events: TraceEvent[] = [];
  const skipped: SkippedLine[] = [];
  let readyAt: number | null = null;
  for (const line of splitLines(text)) {
    const parsed = parseTraceLine(line);
    if (parsed.kind === "ready") readyAt ??= parsed.at;
    else if (parsed.kind === "event") events.push(parsed.event);
    else if (parsed.kind === "skipped") skipped.push({ line, reason: parsed.reason });
  }
  return { events, skipped, readyAt };
}
