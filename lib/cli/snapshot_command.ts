import type { Collector } from "../collect/collector.ts";
import { UsageError } from "../errors.ts";
import { filterConnections, STATUS_WORDS, statusFromUser } from "../model/connection_filter.ts";
import { toConnections } from "../model/direction.ts";
import { isoWithOffset } from "../model/timestamp.ts";
import { renderConnectionsCsv } from "../render/connections_csv.ts";
import { renderConnectionsJson, renderConnectionsNdjson } from "../render/connections_json.ts";
import { renderConnectionsTable } from "../render/connections_table.ts";
import { safeTerminalText } from "../render/terminal_text.ts";
import type { SnapshotOptions } from "./parse_args.ts";
import { skippedSummary } from "./skipped_summary.ts";

/** What `conntrail snapshot` reads from and writes to. */
export interface SnapshotIo {
  collector: Collector;
  now: () => Date;
  write: (text: string) => Promise<void>;
  /** One line for stderr. */
  warn: (line: string) => void;
}

/** `conntrail snapshot`: read the sockets once, filter, and print them in the asked-for format. */
export async function runSnapshot(options: SnapshotOptions, io: SnapshotIo): Promise<number> {
  if (options.state !== undefined && statusFromUser(options.state) === null) {
    throw new UsageError(`unknown state "${options.state}"; use one of ${STATUS_WORDS.join(", ")}`);
  }
  const result = await io.collector.collect();
  const connections = filterConnections(toConnections(result.sockets, isoWithOffset(io.now())), {
    proto: options.proto,
    state: options.state,
    pid: options.pid,
    process: options.process,
    listening: options.listening,
  });
  for (const note of result.notes) io.warn(`note: ${safeTerminalText(note)}`);
  const skipped = skippedSummary(result.skipped);
  if (skipped !== null) io.warn(`note: ${skipped}`);
  switch (options.format) {
    case "table":
      await io.write(renderConnectionsTable(connections) + "\n");
      break;
    case "json":
      await io.write(renderConnectionsJson(connections));
      break;
    case "ndjson":
      await io.write(renderConnectionsNdjson(connections));
      break;
    case "csv":
      await io.write(renderConnectionsCsv(connections));
      break;
  }
  return 0;
}
