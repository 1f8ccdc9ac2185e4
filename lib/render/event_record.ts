/**
 * One JSON line per event, in the format a pipeline asked for: conntrail's
 * own NDJSON, ECS or OCSF.
 *
 * @module
 */
import type { AddressInfo } from "../model/address_info.ts";
import type { Connection } from "../model/connection.ts";
import type { MonitorEvent } from "../model/monitor_event.ts";
import type { RecordContext } from "./_flow_event.ts";
import type { EventFormat } from "./event_formats.ts";
import { ecsEvent } from "./ecs_event.ts";
import { eventJson } from "./event_line.ts";
import { ocsfEvent } from "./ocsf_event.ts";
import { safeJsonText } from "./terminal_text.ts";

export type { RecordContext } from "./_flow_event.ts";

export type { EventFormat } from "./event_formats.ts";

/** How {@linkcode eventRecord} writes: the format, and for ECS and OCSF the host and product. */
export interface EventRecordOptions {
  format: EventFormat;
  context: RecordContext;
}

/**
 * An event as one JSON line (no newline) in a format, or null when the
 * format has no record for it: ECS and OCSF describe connections, so the
 * periodic `STATUS` summary is NDJSON only.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { eventRecord } from "./event_record.ts";
 * const context = { host: { hostname: null, os: "linux", arch: "x86_64" }, product: { name: "conntrail", version: "0" } };
 * const status = { event: "STATUS" as const, timestamp: "t", active_rows: 0, connections: 0, unique_rows: 0,
 *   runtime_seconds: 0 };
 * deepStrictEqual(eventRecord(status, {}, { format: "ecs", context }), null);
 * deepStrictEqual(JSON.parse(eventRecord(status, {}, { format: "ndjson", context }) ?? "").event, "STATUS");
 * ```
 */
export function eventRecord(
  event: MonitorEvent,
  info: AddressInfo,
  options: EventRecordOptions,
): string | null {
  const { format, context } = options;
  if (format === "ndjson") return eventJson(event, info);
  if (event.event === "STATUS") return null;
  return safeJsonText(
    JSON.stringify(format === "ecs" ? ecsEvent(event, info, context) : ocsfEvent(event, info, context)),
  );
}

/**
 * A snapshot as ECS or OCSF NDJSON: one record per connection (ECS
 * `event.kind: state`; OCSF activity 6 Traffic, or 7 Listen for listeners).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { snapshotRecords } from "./event_record.ts";
 * const context = { host: { hostname: "h", os: "linux", arch: "x86_64" }, product: { name: "conntrail", version: "0" } };
 * const connection = { timestamp: "2026-11-21T14:30:16.000+00:00", protocol: "UDP" as const, family: 4 as const,
 *   local_ip: "0.0.0.0", local_port: 53, remote_ip: null, remote_port: null, status: "UNCONNECTED",
 *   direction: "listening" as const, pid: null, process_name: null, process_path: null, user: null };
 * deepStrictEqual(JSON.parse(snapshotRecords("ocsf", [connection], context)).activity_name, "Listen");
 * ```
 */
export function snapshotRecords(
  format: "ecs" | "ocsf",
  connections: readonly Connection[],
  context: RecordContext,
): string {
  return [...snapshotRecordChunks(format, [connections], context)].join("");
}

/** Records per chunk of {@linkcode snapshotRecordChunks}. */
const CHUNK_RECORDS = 200;

/**
 * {@linkcode snapshotRecords} of connections that come a batch at a time (a one-shot snapshot's), in chunks of up
 * to 200 lines. A batch is asked for when the chunks before it are written, so a large snapshot's text is never
 * held whole (at 25,200 connections the whole ECS text took the peak from ~55 to 119 MiB).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { snapshotRecordChunks, snapshotRecords } from "./event_record.ts";
 * const context = { host: { hostname: "h", os: "linux", arch: "x86_64" }, product: { name: "conntrail", version: "0" } };
 * const connection = { timestamp: "2026-01-01T00:00:00.000+00:00", protocol: "TCP" as const, family: 4 as const,
 *   local_ip: "127.0.0.1", local_port: 80, remote_ip: null, remote_port: null, status: "LISTEN",
 *   direction: "listening" as const, pid: 7, process_name: "nginx", process_path: null, user: "root" };
 * deepStrictEqual([...snapshotRecordChunks("ecs", [[connection], [], [connection]], context)].join(""),
 *   snapshotRecords("ecs", [connection, connection], context));
 * ```
 */
export function* snapshotRecordChunks(
  format: "ecs" | "ocsf",
  batches: Iterable<readonly Connection[]>,
  context: RecordContext,
): Generator<string> {
  const render = format === "ecs" ? ecsEvent : ocsfEvent;
  for (const connections of batches) {
    for (let start = 0; start < connections.length; start += CHUNK_RECORDS) {
      yield connections.slice(start, start + CHUNK_RECORDS).map((connection) =>
        safeJsonText(JSON.stringify(render({ event: "SNAPSHOT", connection }, {}, context))) + "\n"
      ).join("");
    }
  }
}
