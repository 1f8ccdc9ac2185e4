import type { Connection } from "../../lib/model/connection.ts";
import { renderConnectionsTable } from "../../lib/render/connections_table.ts";

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
