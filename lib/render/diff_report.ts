import type { Connection } from "../model/connection.ts";
import type { SnapshotDiff } from "../model/snapshot_diff.ts";
import { isoWithOffset, localDateTime } from "../model/timestamp.ts";
import type { SnapshotInfo } from "../store/history_store.ts";
import { endpointText } from "./endpoint_text.ts";
import { safeTerminalText } from "./terminal_text.ts";
import { plainTable } from "./_table_style.ts";

function processText(c: Connection): string {
  const name = c.process_name === null ? "-" : safeTerminalText(c.process_name);
  return c.pid === null ? name : `${name} (${c.pid})`;
}

function snapshotTitle(info: SnapshotInfo): string {
  return `snapshot ${info.id} (${localDateTime(new Date(info.taken_at))}, ${info.connections} connections)`;
}

/**
 * `conntrail diff` as text: a title naming both snapshots, then one row per
 * difference, `+` added, `-` removed, `~` status changed (`OLD → NEW`).
 * Process names are untrusted and made safe for a terminal.
 *
 * @example
 * ```ts
 * import { match } from "node:assert/strict";
 * import { renderDiffTable } from "./diff_report.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const, pid: 1,
 *   process_name: "curl", process_path: null, user: null };
 * const from = { id: 1, taken_at: 0, connections: 0 };
 * const to = { id: 2, taken_at: 0, connections: 1 };
 * match(renderDiffTable({ added: [c], removed: [], changed: [] }, from, to), /^\+ +TCP +10\.0\.0\.2:5000 +8\.8\.8\.8:443 +ESTABLISHED +curl \(1\)$/m);
 * ```
 */
export function renderDiffTable(diff: SnapshotDiff, from: SnapshotInfo, to: SnapshotInfo): string {
  const row = (mark: string, c: Connection, status: string) => [
    mark,
    c.protocol,
    endpointText(c.local_ip, c.local_port),
    endpointText(c.remote_ip, c.remote_port),
    status,
    processText(c),
  ];
  const rows = [
    ...diff.added.map((c) => row("+", c, c.status)),
    ...diff.removed.map((c) => row("-", c, c.status)),
    ...diff.changed.map(({ before, after }) => row("~", after, `${before.status} → ${after.status}`)),
  ];
  const title = `${snapshotTitle(from)} → ${snapshotTitle(to)}: ${diff.added.length} added, ` +
    `${diff.removed.length} removed, ${diff.changed.length} status changed`;
  if (rows.length === 0) return `${title}\n`;
  return `${title}\n\n${plainTable(["", "PROTO", "LOCAL", "REMOTE", "STATUS", "PROCESS"], rows)}\n`;
}

/** `conntrail diff --format json`: both snapshots' ids and times, and the three kinds of difference. */
export function renderDiffJson(diff: SnapshotDiff, from: SnapshotInfo, to: SnapshotInfo): string {
  const info = (s: SnapshotInfo) => ({ ...s, taken_at: isoWithOffset(new Date(s.taken_at)) });
  return JSON.stringify({ from: info(from), to: info(to), ...diff }, null, 2) + "\n";
}

/** `conntrail diff --list`: the saved snapshots, oldest first. */
export function renderSnapshotList(snapshots: readonly SnapshotInfo[]): string {
  return plainTable(
    ["ID", "TAKEN", "CONNECTIONS"],
    snapshots.map((s) => [String(s.id), localDateTime(new Date(s.taken_at)), String(s.connections)]),
  ) + "\n";
}
