/**
 * Campaign class "terminal text": hostile strings in every field that any
 * terminal renderer shows — the snapshot, check, history, diff and snapshot
 * list tables, the `history IP` page, scroll lines and alerts, the
 * permissions table — and in command lines whose errors go to stderr
 * through main(). Nothing a terminal would act on comes out, other than the
 * line breaks between lines.
 */
import { ok } from "node:assert/strict";
import { main } from "../../main.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { permissionsForCommand, renderPermissions } from "../../lib/cli/permissions_command.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { renderCheckTable } from "../../lib/render/check_report.ts";
import { renderConnectionsTable } from "../../lib/render/connections_table.ts";
import { renderDiffTable, renderSnapshotList } from "../../lib/render/diff_report.ts";
import { eventLine, statusLine } from "../../lib/render/event_line.ts";
import { renderHistoryTable } from "../../lib/render/history_report.ts";
import { RAW_CONTROL } from "../_hostile_history.ts";
import { campaign, type Fuzz } from "./_fuzz.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

/** Linux, with this run's environment (as the "permissions" command reads it). */
const LINUX = { os: "linux" as const, readEnv: denoPlatform().readEnv };

function hostileConnection(fuzz: Fuzz): Connection {
  const text = () => (fuzz.chance(0.8) ? fuzz.text(16) : null);
  return {
    timestamp: fuzz.text(10),
    protocol: fuzz.pick(["TCP", "UDP"]),
    family: fuzz.pick([4, 6]),
    local_ip: fuzz.pick(["10.0.0.2", "::1", fuzz.text(12)]),
    local_port: fuzz.int(65536),
    remote_ip: fuzz.pick(["203.0.113.7", "2001:db8::1", null, fuzz.text(12)]),
    remote_port: fuzz.chance(0.9) ? fuzz.int(65536) : null,
    status: fuzz.pick(["ESTABLISHED", "LISTEN", fuzz.text(10)]),
    direction: fuzz.pick(["outgoing", "incoming", "listening", "unknown"]),
    pid: fuzz.chance(0.8) ? fuzz.int(99999) : null,
    process_name: text(),
    process_path: text(),
    user: text(),
  };
}

function assertSafe(label: string, text: string): void {
  const raw = text.match(RAW_CONTROL);
  ok(
    raw === null,
    `${label}: raw U+${raw?.[0].codePointAt(0)?.toString(16)} in ${JSON.stringify(text.slice(0, 300))}`,
  );
}

Deno.test("fuzz terminal text: no renderer lets a control character through, whatever the field", async () => {
  await campaign("terminal text/renderers", 400, (fuzz) => {
    const connections = Array.from({ length: 1 + fuzz.int(4) }, () => hostileConnection(fuzz));
    const c = connections[0] as Connection;
    const info = {
      hostname: fuzz.text(20),
      country: fuzz.text(3),
      asn: fuzz.int(70000),
      as_org: fuzz.text(20),
    };
    assertSafe("snapshot table", renderConnectionsTable(connections));
    assertSafe(
      "check table",
      renderCheckTable([{
        query: fuzz.text(20),
        ip: fuzz.text(15),
        hostname: fuzz.text(20),
        blocklist: fuzz.text(20),
        risk_level: fuzz.pick(["SAFE", "UNKNOWN", fuzz.text(8)]) as "SAFE",
        abuse_score: fuzz.int(101),
        country: fuzz.text(2),
        asn: fuzz.int(70000),
        as_org: fuzz.text(20),
        note: fuzz.text(30),
      }]),
    );
    const address = {
      ip: fuzz.text(16),
      first_seen: fuzz.int(2 ** 41),
      last_seen: fuzz.int(2 ** 41),
      times_seen: fuzz.int(100),
      hostname: fuzz.text(20),
      country: fuzz.text(3),
      asn: fuzz.chance(0.5) ? fuzz.int(70000) : null,
      as_org: fuzz.text(10),
      risk_level: fuzz.text(10) as "SAFE",
      abuse_score: fuzz.chance(0.5) ? fuzz.int(101) : null,
      last_scanned: null,
      lists: [fuzz.text(10)],
      processes: [fuzz.text(10)],
      bytes_sent: null,
      bytes_received: null,
    };
    assertSafe("history table", renderHistoryTable([{ address }, { address }], 5));
    const record = {
      ...c,
      remote_ip: fuzz.text(15),
      opened_at: fuzz.int(2 ** 41),
      open_at_start: false,
      closed_at: null,
      bytes_sent: null,
      bytes_received: null,
    };
    const alert = {
      at: 0,
      protocol: c.protocol,
      remote_ip: fuzz.text(12),
      remote_port: 443,
      pid: 1,
      process_name: fuzz.text(10),
      reason: fuzz.text(30),
      blocklist: fuzz.text(10),
      risk_level: null,
      abuse_score: null,
    };
    assertSafe("history IP", renderHistoryTable([{ address, connections: [record], alerts: [alert] }], 1));
    const snapshot = { id: fuzz.int(100), taken_at: fuzz.int(2 ** 41), connections: fuzz.int(100) };
    assertSafe(
      "diff",
      renderDiffTable(
        { added: [c], removed: connections, changed: [{ before: c, after: hostileConnection(fuzz) }] },
        snapshot,
        snapshot,
      ),
    );
    assertSafe("snapshot list", renderSnapshotList([snapshot]));
    const at = new Date(fuzz.int(2 ** 41));
    for (const event of ["NEW", "CLOSED", "STATE", "ALERT"] as const) {
      const line = eventLine(
        { event, connection: c, previous_status: fuzz.text(8), reason: fuzz.text(30) },
        info,
        at,
      );
      assertSafe(`scroll ${event}`, line);
    }
    assertSafe(
      "status line",
      statusLine(
        {
          event: "STATUS",
          timestamp: "",
          active_rows: 1,
          connections: 2,
          unique_rows: 3,
          runtime_seconds: 4,
        },
        "IPs",
        at,
      ),
    );
  });
});

Deno.test("fuzz terminal text: hostile command-line values and file names come out safe, on stdout and on stderr", async () => {
  const commands = [
    ["check", "<v>"],
    ["snapshot", "--process", "<v>", "--format", "<v>"],
    ["history", "<v>"],
    ["history", "--since", "<v>"],
    ["monitor", "--blocklist", "<v>", "--filter-file", "<v>", "--width", "<v>"],
    ["serve", "--host", "<v>", "--port", "<v>"],
    ["filter", "--remote", "<v>"],
    ["diff", "<v>", "<v>"],
    ["<v>"],
    ["monitor", "--<v>"],
    ["permissions", "monitor", "--blocklist", "<v>", "--geo-path", "<v>"],
  ];
  await campaign("terminal text/command lines", 300, async (fuzz) => {
    const argv = fuzz.pick(commands).map((arg) => arg.replaceAll("<v>", fuzz.text(12)));
    const parsed = parseArgs(argv);
    if (parsed.kind === "permissions") {
      assertSafe(
        "permissions",
        renderPermissions(permissionsForCommand(parsed.target, LINUX), fuzz.chance(0.5)),
      );
      return;
    }
    if (parsed.kind !== "print") return; // A command line that parsed would run the command: not this class.
    let stdout = "";
    let stderr = "";
    await main(argv, {
      stdout: (text) => Promise.resolve(void (stdout += text)),
      stderr: (text) => void (stderr += text),
    });
    assertSafe(`${JSON.stringify(argv)} stderr`, stderr);
    assertSafe(`${JSON.stringify(argv)} stdout`, stdout);
  });
});
