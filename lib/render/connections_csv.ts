import { csvText } from "./csv_text.ts";
import type { Connection } from "../model/connection.ts";
import { connectionFields, type ConnectionsRenderOptions } from "./connections_json.ts";

/**
 * Render connections as CSV with a header: the outgoing-connection logger's
 * columns first, in its order, then conntrail's (and the byte counters with
 * `traffic`). Cells are made safe for a terminal and a spreadsheet by
 * {@linkcode csvText}.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renderConnectionsCsv } from "./connections_csv.ts";
 * const [header] = renderConnectionsCsv([]).split("\n");
 * deepStrictEqual(header, "timestamp,protocol,process_name,process_path,pid,local_ip,local_port,remote_ip,remote_port,status,family,direction,user");
 * ```
 */
export function renderConnectionsCsv(
  connections: readonly Connection[],
  options: ConnectionsRenderOptions = {},
): string {
  const fields = connectionFields(options);
  return csvText(connections.map((c) => fields.map((field) => c[field] ?? null)), fields);
}
