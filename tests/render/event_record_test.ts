import { deepStrictEqual } from "node:assert/strict";
import type { Connection } from "../../lib/model/connection.ts";
import { ecsEvent } from "../../lib/render/ecs_event.ts";
import { snapshotRecordChunks, snapshotRecords } from "../../lib/render/event_record.ts";
import { ocsfEvent } from "../../lib/render/ocsf_event.ts";
import { safeJsonText } from "../../lib/render/terminal_text.ts";

const context = {
  host: { hostname: "h", os: "linux", arch: "x86_64" },
  product: { name: "conntrail", version: "0" },
};

function connection(i: number): Connection {
  return {
    timestamp: "2026-11-21T14:30:16.000+00:00",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.1",
    local_port: 40_000 + i,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: i,
    process_name: i % 2 ? "##[add-mask]x" : "curl",
    process_path: null,
    user: "root",
  };
}

Deno.test("snapshotRecordChunks() writes batches as a record a line, 200 lines a chunk, as each record alone is written", () => {
  const connections = Array.from({ length: 450 }, (_, i) => connection(i));
  for (const format of ["ecs", "ocsf"] as const) {
    const render = format === "ecs" ? ecsEvent : ocsfEvent;
    const lines = connections.map((c) =>
      safeJsonText(JSON.stringify(render({ event: "SNAPSHOT", connection: c }, {}, context))) + "\n"
    );
    const chunks = [
      ...snapshotRecordChunks(format, [[], connections.slice(0, 1), connections.slice(1)], context),
    ];
    deepStrictEqual(chunks.join(""), lines.join(""), format);
    deepStrictEqual(chunks.map((chunk) => chunk.split("\n").length - 1), [1, 200, 200, 49], format);
    deepStrictEqual(snapshotRecords(format, connections, context), lines.join(""), format);
  }
  deepStrictEqual([...snapshotRecordChunks("ecs", [], context)], []);
});
