import type { Connection } from "../model/connection.ts";
import { endpointText } from "./endpoint_text.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { plainTable } from "./_table_style.ts";

/**
 * Render connections as a text table for a terminal. Process names and users
 * are untrusted and pass through {@linkcode safeTerminalText}.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { renderConnectionsTable } from "./connections_table.ts";
 * const text = renderConnectionsTable([{ timestamp: "", protocol: "TCP", family: 4, local_ip: "127.0.0.1",
 *   local_port: 80, remote_ip: null, remote_port: null, status: "LISTEN", direction: "listening",
 *   pid: 1, process_name: "nginx", process_path: null, user: "root" }]);
 * ok(text.includes("127.0.0.1:80"));
 * ```
 */
export function renderConnectionsTable(connections: readonly Connection[]): string {
  const rows = connections.map((c) => [
    c.protocol,
    endpointText(c.local_ip, c.local_port),
    endpointText(c.remote_ip, c.remote_port),
    c.status,
    c.direction,
    c.pid === null ? "-" : String(c.pid),
    c.process_name === null ? "-" : safeTerminalText(c.process_name),
    c.user === null ? "-" : safeTerminalText(c.user),
  ]);
  return plainTable(["PROTO", "LOCAL", "REMOTE", "STATUS", "DIRECTION", "PID", "PROCESS", "USER"], rows);
}
