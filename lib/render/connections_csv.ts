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
  return [...connectionBatchesCsvChunks([connections], options)].join("");
}

/** Rows per chunk of {@linkcode connectionBatchesCsvChunks}. */
const CHUNK_ROWS = 1_000;

/**
 * {@linkcode renderConnectionsCsv} of connections that come a batch at a time (a one-shot snapshot's), in chunks:
 * the header, then up to 1,000 rows a chunk. A batch is asked for when the chunks before it are written, so a
 * large snapshot's text is never held whole (at 25,200 rows the whole text took the peak from 55 to 86 MiB).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { connectionBatchesCsvChunks, renderConnectionsCsv } from "./connections_csv.ts";
 * const row = { timestamp: "t", protocol: "TCP", family: 4, local_ip: "127.0.0.1", local_port: 80,
 *   remote_ip: null, remote_port: null, status: "LISTEN", direction: "listening", pid: null,
 *   process_name: "=cmd", process_path: null, user: null } as const;
 * deepStrictEqual([...connectionBatchesCsvChunks([[row], [], [row]])].join(""), renderConnectionsCsv([row, row]));
 * ```
 */
export function* connectionBatchesCsvChunks(
  batches: Iterable<readonly Connection[]>,
  options: ConnectionsRenderOptions = {},
): Generator<string> {
  const fields = connectionFields(options);
  yield csvText([], fields);
  for (const connections of batches) {
    for (let start = 0; start < connections.length; start += CHUNK_ROWS) {
      const rows = connections.slice(start, start + CHUNK_ROWS);
      yield csvText(rows.map((c) => fields.map((field) => c[field] ?? null)));
    }
  }
}
