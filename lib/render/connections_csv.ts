import { csvText } from "./csv_text.ts";
import { type Connection, CONNECTION_FIELDS } from "../model/connection.ts";

/**
 * Render connections as CSV with a header: the outgoing-connection logger's
 * columns first, in its order, then conntrail's. Cells are made safe for a
 * terminal and a spreadsheet by {@linkcode csvText}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renderConnectionsCsv } from "./connections_csv.ts";
 * const [header] = renderConnectionsCsv([]).split("\n");
 * deepStrictEqual(header, "timestamp,protocol,process_name,process_path,pid,local_ip,local_port,remote_ip,remote_port,status,family,direction,user");
 * ```
 */
export function renderConnectionsCsv(connections: readonly Connection[]): string {
  return csvText(connections.map((c) => CONNECTION_FIELDS.map((field) => c[field])), CONNECTION_FIELDS);
}
