import { deepStrictEqual } from "node:assert/strict";
import type { Connection } from "../../lib/model/connection.ts";
import { ecsEvent } from "../../lib/render/ecs_event.ts";
import { snapshotRecordChunks, snapshotRecords } from "../../lib/render/event_record.ts";
import { ocsfEvent } from "../../lib/render/ocsf_event.ts";
import { safeJsonText } from "../../lib/render/terminal_text.ts";
import { CONTEXT, OUTGOING } from "./_flow_samples.ts";

/** The sample outgoing connection, its port and pid the `i`th, every other one named to start a CI command. */
function connection(i: number): Connection {
  return { ...OUTGOING, local_port: 40_000 + i, pid: i, process_name: i % 2 ? "##[add-mask]x" : "curl" };
}

Deno.test("snapshotRecordChunks() writes batches as a record a line, 200 lines a chunk, as each record alone is written", () => {
  const connections = Array.from({ length: 450 }, (_, i) => connection(i));
  for (const format of ["ecs", "ocsf"] as const) {
    const render = format === "ecs" ? ecsEvent : ocsfEvent;
    const lines = connections.map((c) =>
      safeJsonText(JSON.stringify(render({ event: "SNAPSHOT", connection: c }, {}, CONTEXT))) + "\n"
    );
    const chunks = [
      ...snapshotRecordChunks(format, [[], connections.slice(0, 1), connections.slice(1)], CONTEXT),
    ];
    deepStrictEqual(chunks.join(""), lines.join(""), format);
    deepStrictEqual(chunks.map((chunk) => chunk.split("\n").length - 1), [1, 200, 200, 49], format);
    deepStrictEqual(snapshotRecords(format, connections, CONTEXT), lines.join(""), format);
  }
  deepStrictEqual([...snapshotRecordChunks("ecs", [], CONTEXT)], []);
});
