import type { Connection } from "../model/connection.ts";
import type { SnapshotDiff } from "../model/snapshot_diff.ts";
import { isoWithOffset, localDateTime } from "../model/timestamp.ts";
import type { SnapshotInfo } from "../store/history_store.ts";
import { endpointText } from "./endpoint_text.ts";
import { safeJsonText, safeTerminalText } from "./terminal_text.ts";
import { tableChunks, type TableColumn } from "./text_table.ts";

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
  return [...diffTableChunks(diff, from, to)].join("");
}

interface DiffRow {
  mark: string;
  connection: Connection;
  status: string;
}

const DIFF_TABLE: readonly TableColumn<DiffRow>[] = [
  { head: "", cell: (r) => r.mark },
  { head: "PROTO", cell: (r) => r.connection.protocol },
  { head: "LOCAL", cell: (r) => endpointText(r.connection.local_ip, r.connection.local_port) },
  { head: "REMOTE", cell: (r) => endpointText(r.connection.remote_ip, r.connection.remote_port) },
  { head: "STATUS", cell: (r) => r.status },
  { head: "PROCESS", cell: (r) => processText(r.connection) },
];

/** {@linkcode renderDiffTable} in chunks of whole lines, for writing as they are rendered. */
export function* diffTableChunks(
  diff: SnapshotDiff,
  from: SnapshotInfo,
  to: SnapshotInfo,
): Generator<string> {
  const rows: DiffRow[] = [];
  for (const c of diff.added) rows.push({ mark: "+", connection: c, status: c.status });
  for (const c of diff.removed) rows.push({ mark: "-", connection: c, status: c.status });
  for (const { before, after } of diff.changed) {
    rows.push({ mark: "~", connection: after, status: `${before.status} → ${after.status}` });
  }
  yield `${snapshotTitle(from)} → ${snapshotTitle(to)}: ${diff.added.length} added, ` +
    `${diff.removed.length} removed, ${diff.changed.length} status changed\n`;
  if (rows.length === 0) return;
  yield "\n";
  yield* tableChunks(DIFF_TABLE, rows);
}

/** `conntrail diff --format json`: both snapshots' ids and times, and the three kinds of difference. */
export function renderDiffJson(diff: SnapshotDiff, from: SnapshotInfo, to: SnapshotInfo): string {
  const info = (s: SnapshotInfo) => ({ ...s, taken_at: isoWithOffset(new Date(s.taken_at)) });
  return safeJsonText(JSON.stringify({ from: info(from), to: info(to), ...diff }, null, 2)) + "\n";
}

const SNAPSHOT_TABLE: readonly TableColumn<SnapshotInfo>[] = [
  { head: "ID", cell: (s) => String(s.id) },
  { head: "TAKEN", cell: (s) => localDateTime(new Date(s.taken_at)) },
  { head: "CONNECTIONS", cell: (s) => String(s.connections) },
];

/** `conntrail diff --list`: the saved snapshots, oldest first, in chunks of whole lines. */
export function snapshotListChunks(snapshots: readonly SnapshotInfo[]): Generator<string> {
  return tableChunks(SNAPSHOT_TABLE, snapshots);
}

/** `conntrail diff --list` as one string. */
export function renderSnapshotList(snapshots: readonly SnapshotInfo[]): string {
  return [...snapshotListChunks(snapshots)].join("");
}
