import { deepStrictEqual } from "node:assert/strict";
import { parse } from "csv-parse/sync";
import type { Connection } from "../../lib/model/connection.ts";
import { renderConnectionsCsv } from "../../lib/render/connections_csv.ts";

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
