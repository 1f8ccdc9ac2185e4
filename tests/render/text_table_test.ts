import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { CollectorName } from "../../lib/collect/collector.ts";
import { createInputCollector } from "../../lib/collect/input_collector.ts";
import type { CheckResult } from "../../lib/model/check_result.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { renderCheckTable } from "../../lib/render/check_report.ts";
import { renderConnectionsTable } from "../../lib/render/connections_table.ts";
import { tableChunks } from "../../lib/render/text_table.ts";
import { renderDiffTable, renderSnapshotList } from "../../lib/render/diff_report.ts";
import { renderHistoryTable } from "../../lib/render/history_report.ts";
import type { AddressRecord, ConnectionRecord } from "../../lib/store/history_store.ts";
import { connection } from "../monitor/_connections.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

/**
 * The capture files of tests/fixtures that a collector reads with `--input`.
 * Their tables were recorded with cli-table3 (the renderer before issue 23)
 * and must come out byte for byte the same.
 */
const CAPTURES = [
  "ss-tunap_iproute2-6.1.txt",
  "ss-tupna_rhel-desktop_nonroot.txt",
  "ss-tupna_old-iproute2.txt",
  "ss-tulpen_ubuntu-18.04.txt",
  "ss-a_ubuntu-18.04_all-families.txt",
  "ss-wide_new-header.txt",
  "ss-tunapeH_iproute2-6.1_debian12.txt",
  "netstat-tunap_net-tools-2.10.txt",
  "netstat-tunapeW_net-tools-2.10_debian12.txt",
  "netstat-anv-p-tcp_macos26.txt",
  "netstat-anv-p-tcp_macos12-15.txt",
  "netstat-An_macos10.14.txt",
  "netstat-ano_windows10.txt",
  "netstat-an_windows10.txt",
  "lsof-i-n-P_lsof-4.95.txt",
  "lsof-n-P-i_rows.txt:lsof",
  "lsof-F_lsof-4.95_debian12.txt",
  "proc-net-tcp_debian12.txt",
  "proc-net-tcp6_debian12.txt",
];

/** A capture's connections; `name:collector` names the collector where the rows alone do not tell. */
async function captureConnections(entry: string): Promise<Connection[]> {
  const [name = "", collector = "auto"] = entry.split(":");
  const path = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const { sockets } = await createInputCollector(path, {
    collector: collector as CollectorName,
    files: platform.files,
  }).collect();
  return toConnections(sockets, "2026-11-21T14:30:00.000+00:00");
}

/** Local times depend on the time zone; they have a fixed width, so masking them keeps the alignment checked. */
function maskTimes(text: string): string {
  return text.replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/g, "YYYY-MM-DD hh:mm:ss");
}

for (const name of CAPTURES) {
  Deno.test(`renderConnectionsTable() prints ${name} as before`, async (t) => {
    await t.assertSnapshot(renderConnectionsTable(await captureConnections(name)));
  });
}

/** Cells whose width on a terminal differs from their length: CJK, a combining accent, an emoji, a hostile name. */
const WIDE_NAMES = ["火狐浏览器", "cafe\u0301", "👍bot", "evil\x1b[2J\u202e", "plain"];

Deno.test("renderConnectionsTable() aligns wide and combining characters by their terminal width", async (t) => {
  const text = renderConnectionsTable(
    WIDE_NAMES.map((name, i) => connection({ process_name: name, user: WIDE_NAMES[4 - i] ?? null, pid: i })),
  );
  await t.assertSnapshot(text);
  ok(!text.includes("\x1b"), "an escape reached the table");
});

const checkResults: CheckResult[] = [
  {
    query: "8.8.8.8",
    ip: "8.8.8.8",
    hostname: "dns.google",
    blocklist: null,
    risk_level: "SAFE",
    abuse_score: 0,
    country: "US",
    asn: 15169,
    as_org: "Google LLC",
    note: null,
  },
  {
    query: "bad.example",
    ip: "203.0.113.7",
    hostname: "\x1b]0;owned\x07",
    blocklist: "ips.txt:12 203.0.113.0/24",
    risk_level: "MALICIOUS",
    abuse_score: 100,
    country: null,
    asn: null,
    as_org: null,
    note: null,
  },
  {
    query: "10.0.0.1",
    ip: "10.0.0.1",
    hostname: null,
    blocklist: null,
    risk_level: null,
    abuse_score: null,
    country: null,
    asn: null,
    as_org: null,
    note: "private or special: lists not consulted (--include-private)",
  },
];

Deno.test("renderCheckTable() prints results as before", async (t) => {
  await t.assertSnapshot(renderCheckTable(checkResults));
});

const address: AddressRecord = {
  ip: "203.0.113.7",
  first_seen: Date.UTC(2026, 10, 20),
  last_seen: Date.UTC(2026, 10, 21),
  times_seen: 2,
  hostname: "bad.example",
  country: "NL",
  asn: 64500,
  as_org: "Example 火狐 Net",
  risk_level: "MALICIOUS",
  abuse_score: 90,
  last_scanned: null,
  lists: ["ips.txt:1 203.0.113.0/24"],
  processes: ["curl", "firefox"],
  bytes_sent: null,
  bytes_received: null,
};
const other: AddressRecord = {
  ...address,
  ip: "2001:db8::1",
  hostname: null,
  asn: null,
  as_org: null,
  risk_level: null,
  abuse_score: null,
  lists: [],
  processes: [],
  times_seen: 12345,
};
const { timestamp: _, ...live } = connection({ pid: 7, process_name: "curl" });
const record: ConnectionRecord = {
  ...live,
  remote_ip: "203.0.113.7",
  opened_at: Date.UTC(2026, 10, 20),
  closed_at: null,
  open_at_start: false,
  bytes_sent: null,
  bytes_received: null,
};

Deno.test("renderHistoryTable() prints addresses, and one address's connections and alerts, as before", async (t) => {
  await t.assertSnapshot(maskTimes(renderHistoryTable([{ address }, { address: other }], 5)));
  await t.assertSnapshot(
    maskTimes(renderHistoryTable([{
      address,
      connections: [record, { ...record, status: "TIME_WAIT", closed_at: Date.UTC(2026, 10, 21) }],
      alerts: [{
        at: Date.UTC(2026, 10, 20),
        protocol: "TCP",
        remote_ip: "203.0.113.7",
        remote_port: 443,
        pid: 7,
        process_name: "curl",
        reason: "blocklist ips.txt:1 203.0.113.0/24",
        blocklist: "ips.txt:1 203.0.113.0/24",
        risk_level: null,
        abuse_score: null,
      }],
    }], 1)),
  );
});

Deno.test("renderDiffTable() and renderSnapshotList() print as before", async (t) => {
  const added = connection({ remote_ip: "198.51.100.20", process_name: "curl", pid: 77 });
  const removed = connection({ remote_ip: "2001:db8::7", family: 6, pid: null, process_name: null });
  const before = connection({ status: "ESTABLISHED" });
  const after = { ...before, status: "CLOSE_WAIT" };
  const from = { id: 3, taken_at: Date.UTC(2026, 10, 20), connections: 120 };
  const to = { id: 4, taken_at: Date.UTC(2026, 10, 21), connections: 121 };
  await t.assertSnapshot(
    maskTimes(
      renderDiffTable({ added: [added], removed: [removed], changed: [{ before, after }] }, from, to),
    ),
  );
  deepStrictEqual(
    maskTimes(renderDiffTable({ added: [], removed: [], changed: [] }, from, to)),
    "snapshot 3 (YYYY-MM-DD hh:mm:ss, 120 connections) → snapshot 4 (YYYY-MM-DD hh:mm:ss, 121 connections): " +
      "0 added, 0 removed, 0 status changed\n",
  );
  await t.assertSnapshot(maskTimes(renderSnapshotList([from, to, { ...to, id: 10, connections: 9 }])));
});

Deno.test("tableChunks() renders the first chunk before the rest of the rows", () => {
  const rendered: number[] = [];
  const columns = [{ head: "N", cell: (n: number) => (rendered.push(n), String(n)) }];
  const rows = Array.from({ length: 10 }, (_, i) => i);
  const chunks = tableChunks(columns, rows, { rowsPerChunk: 3 });
  const first = chunks.next();
  deepStrictEqual(first.value, "N\n0\n1\n2\n");
  // One measuring pass over every row, then only the rows of the first chunk.
  deepStrictEqual(rendered, [...rows, 0, 1, 2]);
  deepStrictEqual([...chunks].join(""), "3\n4\n5\n6\n7\n8\n9\n");
});

Deno.test("renderConnectionsTable() prints 200,000 rows, aligned (cli-table3 overflowed the stack)", () => {
  const rows = Array.from({ length: 200_000 }, (_, i) =>
    connection({
      remote_ip: `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      local_port: 1024 + (i % 60000),
      pid: i,
    }));
  const lines = renderConnectionsTable(rows).split("\n");
  deepStrictEqual(lines.length, 200_001);
  const remoteAt = (lines[0] ?? "").indexOf("REMOTE");
  const statusAt = (lines[0] ?? "").indexOf("STATUS");
  for (const i of [1, 255, 65_536, 199_999, 200_000]) {
    const line = lines[i] ?? "";
    deepStrictEqual([line[remoteAt - 1], line[remoteAt]], [" ", "1"], line);
    deepStrictEqual(line.slice(statusAt, statusAt + 11), "ESTABLISHED", line);
  }
  ok((lines[200_000] ?? "").includes("127.3.13.63:443"));
});

Deno.test("tableChunks() makes every cell safe for a terminal, whatever the column says of it", () => {
  const columns = [
    { head: "IP", cell: (r: string[]) => r[0] ?? "" },
    { head: "STATUS\x1b[2J", cell: (r: string[]) => r[1] ?? "" },
    { head: "LAST", cell: (r: string[]) => r[2] ?? "" },
  ];
  const rows = [["1.2.3.4\x1b]0;x\x07", "OK", "\u202eevil"], ["::1", "火狐", "-"]];
  deepStrictEqual(
    [...tableChunks(columns, rows)].join(""),
    "IP                    STATUS\\x1b[2J   LAST\n" +
      "1.2.3.4\\x1b]0;x\\x07   OK              \\u202eevil\n" +
      "::1                   火狐            -\n",
  );
  // A column wrongly said to be printable ASCII is measured short, so it may not line up, but it is escaped.
  const hinted = [...tableChunks([{ ...columns[0]!, ascii: true }, ...columns.slice(1)], rows)].join("");
  const controls = [...hinted].filter((ch) => (ch < " " && ch !== "\n") || ch === "\x7f" || ch === "\u202e");
  deepStrictEqual(controls, [], JSON.stringify(hinted));
  ok(hinted.includes("1.2.3.4\\x1b]0;x\\x07   OK"), hinted);
});
