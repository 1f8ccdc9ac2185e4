import { deepStrictEqual, ok } from "node:assert/strict";
import { renderHistoryCsv, renderHistoryJson, renderHistoryTable } from "../../lib/render/history_report.ts";
import { renderDiffTable } from "../../lib/render/diff_report.ts";
import type { AddressRecord, ConnectionRecord } from "../../lib/store/history_store.ts";
import { connection as baseConnection } from "../monitor/_connections.ts";

const HOSTILE = '=HYPERLINK("http://x")\x1b]0;owned\x07\x1b[2J';

const address: AddressRecord = {
  ip: "203.0.113.7",
  first_seen: Date.UTC(2026, 10, 20),
  last_seen: Date.UTC(2026, 10, 21),
  times_seen: 2,
  hostname: HOSTILE,
  country: "NL",
  asn: 64500,
  as_org: HOSTILE,
  risk_level: "MALICIOUS",
  abuse_score: 90,
  last_scanned: null,
  lists: [`ips.txt:1 ${HOSTILE}`],
  processes: [HOSTILE],
  bytes_sent: null,
  bytes_received: null,
};

const { timestamp: _, ...live } = baseConnection({
  local_port: 50000,
  pid: 7,
  process_name: HOSTILE,
  process_path: HOSTILE,
  user: HOSTILE,
});
const connection: ConnectionRecord = {
  ...live,
  remote_ip: "203.0.113.7",
  opened_at: Date.UTC(2026, 10, 20),
  open_at_start: false,
  closed_at: null,
  bytes_sent: null,
  bytes_received: null,
};

Deno.test("history tables never pass a terminal escape from a hostname, organisation, list entry or process name", () => {
  for (
    const text of [
      renderHistoryTable([{ address }], 1),
      renderHistoryTable([{ address, connections: [connection], alerts: [] }], 1),
      renderDiffTable(
        { added: [{ ...connection, timestamp: "", remote_ip: "203.0.113.7" }], removed: [], changed: [] },
        { id: 1, taken_at: 0, connections: 0 },
        { id: 2, taken_at: 0, connections: 1 },
      ),
    ]
  ) {
    const controls = [...text].filter((ch) => (ch < " " && ch !== "\n") || ch === "\x7f");
    deepStrictEqual(controls, [], JSON.stringify(text));
  }
});

Deno.test("history CSV escapes formulas, and JSON keeps the strings exactly", () => {
  const addresses = renderHistoryCsv([{ address }]);
  ok(addresses.includes(`'=HYPERLINK`), addresses);
  ok(!/(^|,)=HYPERLINK/m.test(addresses), addresses);
  const connections = renderHistoryCsv([{ address, connections: [connection], alerts: [] }]);
  deepStrictEqual(
    connections.split("\n")[0],
    "opened_at,open_at_start,closed_at,protocol,family,local_ip,local_port,remote_ip,remote_port,status,direction,pid,process_name,process_path,user,domain,bytes_sent,bytes_received",
  );
  ok(!/(^|,)=HYPERLINK/m.test(connections), connections);
  const json = JSON.parse(renderHistoryJson([{ address }], 1));
  deepStrictEqual([json.total, json.addresses[0].hostname, json.addresses[0].last_scanned], [
    1,
    HOSTILE,
    null,
  ]);
});

Deno.test("history reports never give the monitor's start as the opening of a connection that was already open", () => {
  const atStart = { ...connection, process_name: "curl", user: "ana", open_at_start: true };
  const seen = new Date(atStart.opened_at).toISOString().replace(/\.000Z$/, "");
  const table = renderHistoryTable([{ address, connections: [atStart, connection], alerts: [] }], 1);
  const rows = table.split("\n").filter((line) => line.includes("203.0.113.7:443"));
  deepStrictEqual(rows.length, 2, table);
  ok(rows[0]?.startsWith("before "), rows[0]);
  ok(!rows[1]?.startsWith("before "), rows[1]);
  const [json] =
    JSON.parse(renderHistoryJson([{ address, connections: [atStart], alerts: [] }], 1)).addresses;
  deepStrictEqual(json.connections[0].opened_at, null);
  ok(
    String(json.connections[0].open_at_start).startsWith(seen.slice(0, 10)),
    json.connections[0].open_at_start,
  );
  const csv = renderHistoryCsv([{ address, connections: [atStart], alerts: [] }]).split("\n")[1] ?? "";
  ok(csv.startsWith(`,${json.connections[0].open_at_start},`), csv);
});
