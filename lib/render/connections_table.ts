import type { Connection } from "../model/connection.ts";
import { endpointHost, endpointWidth, numberLength } from "./endpoint_text.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { displayWidth } from "./display_width.ts";
import { tableChunks, type TableColumn } from "./text_table.ts";
import { bytesText } from "./byte_units.ts";
import type { ConnectionsRenderOptions } from "./connections_json.ts";

const dash = (value: string | null) => (value === null ? "-" : safeTerminalText(value));

/**
 * `f` keeping its last argument and result: the process names and users of a table repeat row after row, and
 * each would otherwise be tested for escapes again in both passes.
 */
function lastKept<R>(f: (value: string | null) => R): (value: string | null) => R {
  let last: string | null | undefined;
  let result: R | undefined;
  return (value) => {
    if (value !== last || result === undefined) {
      result = f(value);
      last = value;
    }
    return result;
  };
}

/** endpointText with the address part kept from the row before when it is the same (as a listener's is). */
function endpointOf(host: (ip: string | null) => string) {
  return (ip: string | null, port: number | null) => ip === null ? "*" : `${host(ip)}:${port ?? "*"}`;
}
const localText = endpointOf(lastKept((ip) => endpointHost(ip ?? "")));
const remoteText = endpointOf(lastKept((ip) => endpointHost(ip ?? "")));

const nameText = lastKept(dash);
const nameWidth = lastKept((value) => displayWidth(dash(value)));
const userText = lastKept(dash);
const userWidth = lastKept((value) => displayWidth(dash(value)));

/** The columns of `conntrail snapshot`: process names and users are untrusted and made safe for a terminal. */
export const CONNECTION_COLUMNS: readonly TableColumn<Connection>[] = [
  // Addresses come normalised from the parsers, statuses from a fixed vocabulary: printable ASCII.
  { head: "PROTO", cell: (c) => c.protocol, ascii: true },
  // Addresses and pids are measured without making their text (it is made once, to write).
  {
    head: "LOCAL",
    cell: (c) => localText(c.local_ip, c.local_port),
    ascii: true,
    width: (c) => endpointWidth(c.local_ip, c.local_port),
  },
  {
    head: "REMOTE",
    cell: (c) => remoteText(c.remote_ip, c.remote_port),
    ascii: true,
    width: (c) => endpointWidth(c.remote_ip, c.remote_port),
  },
  { head: "STATUS", cell: (c) => c.status, ascii: true },
  { head: "DIRECTION", cell: (c) => c.direction, ascii: true },
  {
    head: "PID",
    cell: (c) => (c.pid === null ? "-" : String(c.pid)),
    ascii: true,
    width: (c) => (c.pid === null ? 1 : numberLength(c.pid)),
  },
  { head: "PROCESS", cell: (c) => nameText(c.process_name), width: (c) => nameWidth(c.process_name) },
  { head: "USER", cell: (c) => userText(c.user), width: (c) => userWidth(c.user) },
];

/** `snapshot --traffic`'s columns after those: each connection's bytes so far (`-` where unknown). */
export const TRAFFIC_COLUMNS: readonly TableColumn<Connection>[] = [
  { head: "SENT", cell: (c) => bytesText(c.bytes_sent), ascii: true },
  { head: "RECEIVED", cell: (c) => bytesText(c.bytes_received), ascii: true },
];

/**
 * Connections as a text table in chunks of lines (each ending in `\n`), for
 * writing as they are rendered: see {@linkcode tableChunks}.
 *
 * @example
 * ```ts
 * import { ok } from "node:assert/strict";
 * import { connectionsTableChunks } from "./connections_table.ts";
 * const [first] = connectionsTableChunks([{ timestamp: "", protocol: "TCP", family: 4, local_ip: "127.0.0.1",
 *   local_port: 80, remote_ip: null, remote_port: null, status: "LISTEN", direction: "listening",
 *   pid: 1, process_name: "nginx", process_path: null, user: "root" }]);
 * ok(first?.startsWith("PROTO   LOCAL          REMOTE   STATUS"));
 * ```
 */
export function connectionsTableChunks(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): Generator<string> {
  return tableChunks(
    options.traffic ? [...CONNECTION_COLUMNS, ...TRAFFIC_COLUMNS] : CONNECTION_COLUMNS,
    connections,
  );
}

/**
 * Render connections as a text table for a terminal, without a final newline.
 * Process names and users are untrusted and pass through {@linkcode safeTerminalText}.
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
export function renderConnectionsTable(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): string {
  let out = "";
  for (const chunk of connectionsTableChunks(connections, options)) out += chunk;
  return out.slice(0, -1);
}
