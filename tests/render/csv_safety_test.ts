import { deepStrictEqual, ok } from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import type { Connection } from "../../lib/model/connection.ts";
import { renderConnectionsCsv } from "../../lib/render/connections_csv.ts";
import { logHeader, logRecord } from "../../lib/render/log_records.ts";
import { renderHistoryCsv } from "../../lib/render/history_report.ts";
import { HOSTILE, RAW_CONTROL } from "../_hostile_history.ts";
import { runConntrail } from "../conntrail_process.ts";
import { tempDir } from "../temp_dir.ts";

const C1_AND_BIDI = ["\x1b[2J", "\x85", "\x9b31m", "\u202e", "\u2066", "\x07", "\r", "\n", "\t"];

function hostileConnection(text: string): Connection {
  return {
    timestamp: "2026-11-21T14:30:16.000+00:00",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 50000,
    remote_ip: "203.0.113.7",
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: 42,
    process_name: `=cmd|${text}`,
    process_path: `/tmp/${text}`,
    user: `${text}root`,
  };
}

/** Every cell of a CSV document: it parses, and no cell carries a control or starts a formula. */
function assertSafeCsv(label: string, csv: string, rows: number): void {
  ok(!RAW_CONTROL.test(csv.replaceAll("\n", "")), `${label}: raw control in ${JSON.stringify(csv)}`);
  const records: string[][] = parse(csv);
  deepStrictEqual(records.length, rows, label);
  for (const cell of records.flat()) {
    ok(!/^[=+\-@\t\r]/.test(cell), `${label}: formula cell ${JSON.stringify(cell)}`);
  }
}

Deno.test("snapshot, log and history CSV neutralise ESC, C1 and bidi controls as the table does, and escape formulas", () => {
  for (const text of [...C1_AND_BIDI, ...Object.values(HOSTILE)]) {
    const connection = hostileConnection(text);
    assertSafeCsv("snapshot", renderConnectionsCsv([connection]), 2);
    const info = { hostname: `host${text}`, country: text, asn: 64500, as_org: `org${text}` };
    assertSafeCsv("log", logHeader("csv") + logRecord({ event: "NEW", connection }, info, "csv"), 2);
    const address = {
      ip: `203.0.113.7${text}`,
      first_seen: 0,
      last_seen: 0,
      times_seen: 1,
      hostname: text,
      country: text,
      asn: null,
      as_org: text,
      risk_level: null,
      abuse_score: null,
      last_scanned: null,
      lists: [text],
      processes: [`-${text}`],
      bytes_sent: null,
      bytes_received: null,
    };
    assertSafeCsv("history", renderHistoryCsv([{ address }]), 2);
    const record = {
      ...connection,
      remote_ip: "203.0.113.7",
      status: `ESTAB${text}`,
      opened_at: 0,
      open_at_start: false,
      closed_at: null,
      bytes_sent: null,
      bytes_received: null,
    };
    assertSafeCsv("history IP", renderHistoryCsv([{ address, connections: [record], alerts: [] }]), 2);
  }
  // Shown as the table shows them, so a reader sees what was there.
  const [, row] = renderConnectionsCsv([hostileConnection("\x1b[2J\u202e")]).split("\n");
  ok(row?.includes("'=cmd|\\x1b[2J\\u202e"), row);
});

Deno.test("snapshot --format csv of a saved ss capture whose process names carry escapes writes them neutralised", async () => {
  await using temp = await tempDir({ prefix: "conntrail-csv-" });
  const dir = temp.path;
  const capture = join(dir, "ss.txt");
  // A real `ss -tunapeH` line (tests/fixtures), with the process name replaced by hostile ones.
  const line = (name: string, port: number) =>
    `tcp ESTAB      0      0      127.0.0.1:${port} 127.0.0.1:55126 users:(("${name}",pid=3100,fd=5)) ino:7211 sk:14 cgroup:/ <->\n`;
  await Deno.writeTextFile(
    capture,
    line("\x1b]0;owned\x07", 39215) + line("=HYPERLINK(1)\u202e", 39216) + line("a\x9b31mb", 39217),
  );
  const run = await runConntrail(dir, [
    "snapshot",
    "--collector",
    "ss",
    "--input",
    capture,
    "--format",
    "csv",
  ]);
  deepStrictEqual(run.code, 0, run.stderr);
  assertSafeCsv("snapshot --input", run.stdout, 4);
  ok(run.stdout.includes("\\x1b]0;owned\\x07"), run.stdout);
  ok(run.stdout.includes(`'=HYPERLINK`), run.stdout);
});
