/**
 * Campaign class "CSV": hostile text in every column of the three CSV
 * writers (snapshots, `--log-format csv`, `history --format csv`). Each
 * document parses back with as many rows and columns as were written, no
 * cell carries a control a terminal would act on, and none starts a
 * spreadsheet formula.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { parse } from "csv-parse/sync";
import type { Connection } from "../../lib/model/connection.ts";
import { renderConnectionsCsv } from "../../lib/render/connections_csv.ts";
import { LOG_CSV_COLUMNS, logHeader, logRecord } from "../../lib/render/log_records.ts";
import { renderHistoryCsv } from "../../lib/render/history_report.ts";
import { RAW_CONTROL } from "../_hostile_history.ts";
import { campaign, type Fuzz } from "./_fuzz.ts";

function hostile(fuzz: Fuzz): string {
  return fuzz.pick(["=", "+", "-", "@", "\t", "\r", ""]) + fuzz.text(20);
}

function connection(fuzz: Fuzz): Connection {
  return {
    timestamp: hostile(fuzz),
    protocol: "TCP",
    family: 4,
    local_ip: hostile(fuzz),
    local_port: fuzz.int(65536),
    remote_ip: fuzz.chance(0.8) ? hostile(fuzz) : null,
    remote_port: fuzz.chance(0.8) ? fuzz.int(65536) : null,
    status: hostile(fuzz),
    direction: "outgoing",
    pid: fuzz.chance(0.8) ? fuzz.int(99999) : null,
    process_name: fuzz.chance(0.9) ? hostile(fuzz) : null,
    process_path: fuzz.chance(0.9) ? hostile(fuzz) : null,
    user: fuzz.chance(0.9) ? hostile(fuzz) : null,
  };
}

function assertCsv(label: string, csv: string, rows: number, columns: number): void {
  ok(
    !RAW_CONTROL.test(csv.replaceAll("\n", "")),
    `${label}: raw control in ${JSON.stringify(csv.slice(0, 300))}`,
  );
  const records: string[][] = parse(csv);
  deepStrictEqual(records.length, rows, label);
  for (const record of records) {
    deepStrictEqual(record.length, columns, label);
    for (const cell of record) {
      ok(!/^[=+\-@\t\r]/.test(cell), `${label}: formula cell ${JSON.stringify(cell)}`);
    }
  }
}

Deno.test("fuzz CSV: every writer's output parses back whole, with no control and no formula in any cell", async () => {
  await campaign("csv", 500, (fuzz) => {
    const connections = Array.from({ length: 1 + fuzz.int(3) }, () => connection(fuzz));
    assertCsv("snapshot", renderConnectionsCsv(connections), connections.length + 1, 13);
    const info = {
      hostname: hostile(fuzz),
      country: hostile(fuzz),
      asn: fuzz.int(70000),
      as_org: hostile(fuzz),
    };
    const event = {
      event: fuzz.pick(["NEW", "CLOSED", "ALERT"] as const),
      connection: connections[0] as Connection,
    };
    assertCsv("log", logHeader("csv") + logRecord(event, info, "csv"), 2, LOG_CSV_COLUMNS.length);
    const address = {
      ip: hostile(fuzz),
      first_seen: fuzz.int(2 ** 41),
      last_seen: fuzz.int(2 ** 41),
      times_seen: fuzz.int(9),
      hostname: hostile(fuzz),
      country: hostile(fuzz),
      asn: null,
      as_org: hostile(fuzz),
      risk_level: hostile(fuzz) as "SAFE",
      abuse_score: null,
      last_scanned: null,
      lists: [hostile(fuzz), hostile(fuzz)],
      processes: [hostile(fuzz)],
      bytes_sent: null,
      bytes_received: null,
    };
    assertCsv("history", renderHistoryCsv([{ address }, { address }]), 3, 16);
    const records = connections.map((c) => ({
      ...c,
      remote_ip: hostile(fuzz),
      opened_at: 0,
      open_at_start: false,
      closed_at: null,
      bytes_sent: null,
      bytes_received: null,
    }));
    assertCsv(
      "history IP",
      renderHistoryCsv([{ address, connections: records, alerts: [] }]),
      records.length + 1,
      18,
    );
  });
});
