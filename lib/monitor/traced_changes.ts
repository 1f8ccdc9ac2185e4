import type { Connection, Socket } from "../model/connection.ts";
import { toConnections } from "../model/direction.ts";
import type { TraceEvent } from "../model/trace_event.ts";
import { isoWithOffset } from "../model/timestamp.ts";

/** A connection a tracer saw open or close, as the tracker takes it. */
export interface TracedChange {
  kind: "open" | "close";
  /** The connection; `timestamp` is when it opened or closed. */
  connection: Connection;
  /** False when the monitor's filters leave it out (a close still ends a connection they kept). */
  keep: boolean;
}

/**
 * Turn kernel events into the tracker's changes: stamp each with its own
 * time, take the direction the hook knew (a connect goes out, an accept comes
 * in) or, when the source could not tell (`ss -E`), derive it from the
 * listening sockets of the poll, as for polled sockets; and apply the
 * monitor's filters.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { tracedChanges } from "./traced_changes.ts";
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "127.0.0.1", local_port: 8080,
 *   remote_ip: "127.0.0.1", remote_port: 50000, status: "CLOSE", pid: null, process_name: null,
 *   process_path: null, user: null, inode: null };
 * const listener = { ...socket, remote_ip: null, remote_port: null, status: "LISTEN" };
 * const [change] = tracedChanges([{ kind: "close", at: 0, socket, direction: null }], [listener], () => true);
 * deepStrictEqual(change?.connection.direction, "incoming");
 * ```
 */
export function tracedChanges(
  events: readonly TraceEvent[],
  polled: readonly Socket[],
  keep: (c: Connection) => boolean,
): TracedChange[] {
  const unknown = events.filter((e) => e.direction === null);
  // Directions come from the listeners of the poll; the polled sockets only lend their listeners.
  const derived = unknown.length === 0 ? [] : toConnections([
    ...polled.filter((s) => s.status === "LISTEN" || s.remote_ip === null),
    ...unknown.map((e) => e.socket),
  ], "")
    .slice(-unknown.length);
  let next = 0;
  return events.map((event) => {
    const direction = event.direction ?? derived[next++]?.direction ?? "unknown";
    const { inode: _inode, ...socket } = event.socket;
    const connection: Connection = { ...socket, timestamp: isoWithOffset(new Date(event.at)), direction };
    return { kind: event.kind, connection, keep: keep(connection) };
  });
}
