import { deepStrictEqual } from "node:assert/strict";
import { parse } from "csv-parse/sync";
import type { Connection } from "../../lib/model/connection.ts";
import { connectionBatchesCsvChunks, renderConnectionsCsv } from "../../lib/render/connections_csv.ts";
import { connectionFields } from "../../lib/render/connections_json.ts";
import { csvText } from "../../lib/render/csv_text.ts";

Deno.test("renderConnectionsCsv() escapes formulas, quotes commas, and writes nulls as empty cells", () => {
  const row: Connection = {
    timestamp: "t",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.1",
    local_port: 1,
    remote_ip: null,
    remote_port: null,
    status: "LISTEN",
    direction: "listening",
    pid: 5,
    process_name: "=cmd|' /C calc'!A0",
    process_path: "/opt/a,b/@evil",
    user: "+1",
  };
  const [header, cells] = parse(renderConnectionsCsv([row])) as string[][];
  deepStrictEqual(header?.slice(0, 4), ["timestamp", "protocol", "process_name", "process_path"]);
  deepStrictEqual(cells?.[2], "'=cmd|' /C calc'!A0");
  deepStrictEqual(cells?.[3], "/opt/a,b/@evil");
  deepStrictEqual(cells?.[7], "");
  deepStrictEqual(cells?.[12], "'+1");
});

Deno.test("connectionBatchesCsvChunks() writes batches as the CSV of all their rows: one header, 1,000 rows a chunk, counters too", () => {
  const row = (i: number): Connection => ({
    timestamp: "t",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.1",
    local_port: i,
    remote_ip: "10.0.0.2",
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: i,
    process_name: i % 2 ? "=cmd" : "a,b",
    process_path: null,
    user: "root",
    bytes_sent: i,
    bytes_received: null,
  });
  const rows = Array.from({ length: 2_500 }, (_, i) => row(i));
  for (const traffic of [false, true]) {
    const chunks = [
      ...connectionBatchesCsvChunks([[], rows.slice(0, 1), rows.slice(1, 2_100), rows.slice(2_100)], {
        traffic,
      }),
    ];
    // The whole text as one csvText of every row writes it.
    const fields = connectionFields({ traffic });
    deepStrictEqual(
      chunks.join(""),
      csvText(rows.map((c) => fields.map((field) => c[field] ?? null)), fields),
    );
    deepStrictEqual(renderConnectionsCsv(rows, { traffic }), chunks.join(""));
    deepStrictEqual(chunks.map((chunk) => chunk.split("\n").length - 1), [1, 1, 1_000, 1_000, 99, 400]);
  }
  deepStrictEqual([...connectionBatchesCsvChunks([])].join(""), renderConnectionsCsv([]));
});
