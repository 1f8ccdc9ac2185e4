import type { Connection } from "./connection.ts";
import { connectionKey } from "./connection_key.ts";

/** What changed between two snapshots. */
export interface SnapshotDiff {
  /** In the second snapshot only. */
  added: Connection[];
  /** In the first snapshot only. */
  removed: Connection[];
  /** In both (same protocol and endpoints), with another status. */
  changed: { before: Connection; after: Connection }[];
}

/**
 * Compare two snapshots by connection identity (protocol and both endpoints):
 * a connection whose status changed is reported once as changed, not as a
 * removal plus an addition (the snapshot analyser's way). Other fields (the
 * process) do not make a change.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { diffSnapshots } from "./snapshot_diff.ts";
 * const c = { timestamp: "", protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", direction: "outgoing" as const, pid: 1,
 *   process_name: "curl", process_path: null, user: null };
 * const diff = diffSnapshots([c, { ...c, local_port: 5001 }], [{ ...c, status: "TIME_WAIT" }, { ...c, local_port: 5002 }]);
 * deepStrictEqual([diff.added.map((a) => a.local_port), diff.removed.map((r) => r.local_port)], [[5002], [5001]]);
 * deepStrictEqual(diff.changed.map((x) => [x.before.status, x.after.status]), [["ESTABLISHED", "TIME_WAIT"]]);
 * ```
 */
export function diffSnapshots(before: readonly Connection[], after: readonly Connection[]): SnapshotDiff {
  // A key can repeat (two UDP sockets on one port): each copy pairs with one copy on the other side.
  const waiting = new Map<string, Connection[]>();
  for (const c of before) {
    const key = connectionKey(c);
    const list = waiting.get(key);
    if (list === undefined) waiting.set(key, [c]);
    else list.push(c);
  }
  const diff: SnapshotDiff = { added: [], removed: [], changed: [] };
  for (const c of after) {
    const list = waiting.get(connectionKey(c));
    const match = list?.shift();
    if (match === undefined) diff.added.push(c);
    else if (match.status !== c.status) diff.changed.push({ before: match, after: c });
  }
  for (const list of waiting.values()) for (const c of list) diff.removed.push(c);
  return diff;
}
