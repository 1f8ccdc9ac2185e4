import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Connection } from "../../lib/model/connection.ts";
import { CONNECTION_COLUMNS, renderConnectionsTable } from "../../lib/render/connections_table.ts";
import { displayWidth } from "../../lib/render/display_width.ts";
import { endpointText } from "../../lib/render/endpoint_text.ts";

const connection: Connection = {
  timestamp: "2026-11-21T10:00:00.000+00:00",
  protocol: "TCP",
  family: 6,
  local_ip: "::1",
  local_port: 5432,
  remote_ip: "::1",
  remote_port: 40000,
  status: "ESTABLISHED",
  direction: "incoming",
  pid: 812,
  process_name: "postgres",
  process_path: "/usr/lib/postgresql/15/bin/postgres",
  user: "postgres",
};

Deno.test("renderConnectionsTable() renders a fixed table", async (t) => {
  const text = renderConnectionsTable([
    connection,
    {
      ...connection,
      protocol: "UDP",
      family: 4,
      local_ip: "0.0.0.0",
      local_port: 5353,
      remote_ip: null,
      remote_port: null,
      status: "UNCONNECTED",
      direction: "listening",
      pid: null,
      process_name: null,
      user: null,
    },
    { ...connection, process_name: "bad\x1b[31mred\u202e" },
  ]);
  await t.assertSnapshot(text);
});

Deno.test("CONNECTION_COLUMNS: a column's width(row) is the length of the cell it writes, hostile addresses too", () => {
  const rows: Connection[] = [
    connection,
    {
      ...connection,
      family: 4,
      local_ip: "10.0.0.1",
      local_port: 0,
      remote_ip: null,
      remote_port: null,
      pid: null,
    },
    { ...connection, local_ip: "fe80::1%eth0", local_port: 65535, remote_port: null, pid: 4194304 },
    { ...connection, local_ip: "1.2.3.4\x1b[2J", remote_ip: "火狐:\u202e", remote_port: 7, pid: 9 },
    { ...connection, local_ip: "", local_port: 12345678, remote_ip: "x", remote_port: -1, pid: 1.5 },
    { ...connection, local_port: 1e21, remote_port: Number.NaN, pid: 99999999 },
    { ...connection, process_name: "火狐\x1b]0;x\x07", user: "ユーザー" },
    { ...connection, process_name: "火狐\x1b]0;x\x07", user: null },
    { ...connection, process_name: "cafe\u0301 👍", user: "" },
    { ...connection, process_name: null, user: "r\u202eoot" },
  ];
  let checked = 0;
  for (const column of CONNECTION_COLUMNS) {
    if (column.width === undefined) continue;
    for (const row of rows) {
      const cell = column.cell(row);
      const written = column.ascii ? cell.length : displayWidth(cell);
      assertEquals(column.width(row), written, `${column.head} of ${JSON.stringify(row)}`);
      checked++;
    }
  }
  assertEquals(checked, 5 * rows.length);
  const [, local, remote] = CONNECTION_COLUMNS;
  for (const row of [...rows, ...rows.toReversed()]) {
    assertEquals(local?.cell(row), endpointText(row.local_ip, row.local_port));
    assertEquals(remote?.cell(row), endpointText(row.remote_ip, row.remote_port));
  }
});
