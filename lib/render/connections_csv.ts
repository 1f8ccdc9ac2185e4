import { stringify } from "csv-stringify/sync";
import { type Connection, CONNECTION_FIELDS } from "../model/connection.ts";

/**
 * Render connections as CSV with a header: the outgoing-connection logger's
 * columns first, in its order, then conntrail's. Cells that a spreadsheet
 * would run as formulas (`=`, `+`, `-`, `@`, tab, CR) are prefixed with `'`.
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
  return stringify(connections.map((c) => CONNECTION_FIELDS.map((field) => c[field])), {
    header: true,
    columns: [...CONNECTION_FIELDS],
    escape_formulas: true,
    cast: { number: (n) => String(n) },
  });
}
