import { deepStrictEqual } from "node:assert/strict";
import { type Connection, CONNECTION_FIELDS, TRAFFIC_FIELDS } from "../../lib/model/connection.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { parseSs } from "../../lib/parse/ss.ts";
import {
  connectionBatchesJsonChunks,
  connectionsJsonChunks,
  connectionsNdjsonChunks,
  renderConnectionsJson,
  renderConnectionsNdjson,
} from "../../lib/render/connections_json.ts";

// What the renderers wrote before they were hand-written: JSON.stringify of the SPEC-ordered fields, every
// field present (null where a connection lacks it), the byte counters after them with --traffic.
function ordered(connection: Connection, fields: readonly (keyof Connection)[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((field) => [field, connection[field] ?? null]));
}
const expectedJson = (rows: readonly Connection[], fields = CONNECTION_FIELDS) =>
  JSON.stringify(rows.map((row) => ordered(row, fields)), null, 2) + "\n";
const expectedNdjson = (rows: readonly Connection[], fields = CONNECTION_FIELDS) =>
  rows.map((row) => JSON.stringify(ordered(row, fields)) + "\n").join("");

const fixtures = [
  "ss-tunapeH_iproute2-6.1_debian12.txt",
  "ss-tunap_iproute2-6.1.txt",
  "ss-a_ubuntu-18.04_all-families.txt",
  "ss-tupna_rhel-desktop_nonroot.txt",
];

const hostile: Connection = {
  timestamp: "2026-01-02T03:04:05.678+00:00",
  protocol: "TCP",
  process_name: 'a "quoted"\\ name\u001b[31m\n\u2028 é 漢字 😀',
  process_path: null,
  pid: 0,
  local_ip: "::1",
  local_port: 65535,
  remote_ip: null,
  remote_port: null,
  status: "LISTEN",
  family: 6,
  direction: "listening",
  user: "1000",
};

Deno.test("renderConnectionsJson() and renderConnectionsNdjson() write what JSON.stringify writes, on ss captures", async () => {
  for (const fixture of fixtures) {
    const text = await Deno.readTextFile(new URL(`../fixtures/${fixture}`, import.meta.url));
    const rows = toConnections(parseSs(text).sockets, "2026-01-02T03:04:05+00:00");
    deepStrictEqual(rows.length > 0, true, fixture);
    deepStrictEqual(renderConnectionsJson(rows), expectedJson(rows), fixture);
    deepStrictEqual(renderConnectionsNdjson(rows), expectedNdjson(rows), fixture);
  }
});

Deno.test("renderConnectionsJson() escapes names as JSON.stringify does and writes null for a field a connection lacks", () => {
  const noUser = { ...hostile, user: undefined } as unknown as Connection;
  const notFinite = { ...hostile, pid: Number.NaN } as Connection;
  for (const rows of [[hostile], [hostile, noUser, notFinite], []]) {
    deepStrictEqual(renderConnectionsJson(rows), expectedJson(rows));
    deepStrictEqual(renderConnectionsNdjson(rows), expectedNdjson(rows));
  }
  deepStrictEqual(JSON.parse(renderConnectionsJson([noUser]))[0].user, null);
});

// The pretty array is written from copies that name each field (specRow): any field of the lists it misses would be
// left out of the text, instead of written (as null for a connection that lacks it).
Deno.test("renderConnectionsJson() writes null for each field a connection lacks, absent or undefined, in every chunk", () => {
  const counted = { ...hostile, bytes_sent: 300, bytes_received: 4096 };
  for (const traffic of [false, true]) {
    const fields = traffic ? [...CONNECTION_FIELDS, ...TRAFFIC_FIELDS] : CONNECTION_FIELDS;
    for (const field of fields) {
      const absent: Record<string, unknown> = { ...counted };
      delete absent[field];
      const undefinedValue = { ...counted, [field]: undefined };
      for (const lacking of [absent, undefinedValue] as unknown as Connection[]) {
        // Alone, and as the 201st row: the second chunk, after a chunk of complete rows.
        for (const rows of [[lacking], [...Array.from({ length: 200 }, () => counted), lacking]]) {
          const text = renderConnectionsJson(rows, { traffic });
          deepStrictEqual(text, expectedJson(rows, fields), `${field}, traffic ${traffic}`);
          deepStrictEqual(JSON.parse(text).at(-1)[field], null);
        }
      }
    }
  }
});

Deno.test("renderConnectionsJson() with traffic adds bytes_sent and bytes_received, null where unknown", () => {
  const counted = { ...hostile, bytes_sent: 300, bytes_received: 4096 };
  const fields = [...CONNECTION_FIELDS, ...TRAFFIC_FIELDS];
  for (const rows of [[counted, hostile], []]) {
    deepStrictEqual(renderConnectionsJson(rows, { traffic: true }), expectedJson(rows, fields));
    deepStrictEqual(renderConnectionsNdjson(rows, { traffic: true }), expectedNdjson(rows, fields));
  }
  deepStrictEqual(
    JSON.parse(renderConnectionsNdjson([hostile], { traffic: true })).bytes_sent,
    null,
  );
});

Deno.test("connectionsJsonChunks() splits 2,500 rows into chunks of 200 that join to the whole array", () => {
  const rows = Array.from({ length: 2_500 }, (_, i) => ({ ...hostile, pid: i }));
  const chunks = [...connectionsJsonChunks(rows)];
  // 13 of rows, each after its separator, then the closing bracket.
  deepStrictEqual(chunks.length, 27);
  deepStrictEqual(chunks.filter((_, i) => i % 2 === 0).slice(0, 13), ["[\n", ...Array(12).fill(",\n")]);
  deepStrictEqual(
    chunks.filter((_, i) => i % 2 === 1).map((chunk) => chunk.split('\n    "timestamp"').length - 1),
    [
      ...Array(12).fill(200),
      100,
    ],
  );
  deepStrictEqual(chunks.join(""), expectedJson(rows));
  deepStrictEqual(JSON.parse(chunks.join("")).length, 2_500);
  const lines = [...connectionsNdjsonChunks(rows)];
  deepStrictEqual(lines.length, 13);
  deepStrictEqual(lines[0]!.split("\n").length, 201);
  deepStrictEqual(lines.join(""), expectedNdjson(rows));
});

Deno.test("connectionBatchesJsonChunks() writes batches as the one array of their rows, empty batches too", () => {
  const rows = Array.from({ length: 1_000 }, (_, i) => ({ ...hostile, pid: i }));
  const batches = [[], rows.slice(0, 1), rows.slice(1, 700), [], rows.slice(700)];
  deepStrictEqual([...connectionBatchesJsonChunks(batches)].join(""), expectedJson(rows));
  deepStrictEqual([...connectionBatchesJsonChunks([[], []])].join(""), "[]\n");
  deepStrictEqual([...connectionBatchesJsonChunks([])].join(""), "[]\n");
  // A batch is asked for only after the chunks before it are taken.
  const asked: number[] = [];
  function* batchesAsked() {
    for (let i = 0; i < 3; i++) {
      asked.push(i);
      yield rows.slice(i * 10, i * 10 + 10);
    }
  }
  const chunks = connectionBatchesJsonChunks(batchesAsked());
  chunks.next();
  deepStrictEqual(asked, [0]);
});
