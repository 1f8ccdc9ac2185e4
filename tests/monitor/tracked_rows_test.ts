import { deepStrictEqual } from "node:assert/strict";
import { processRowKey, TrackedRows } from "../../lib/monitor/tracked_rows.ts";
import type { Connection } from "../../lib/model/connection.ts";
import { Cell } from "../../lib/model/timeline.ts";

function connection(remote: string, overrides: Partial<Connection> = {}): Connection {
  return {
    timestamp: "",
    protocol: "TCP",
    family: 4,
    local_ip: "10.0.0.2",
    local_port: 5000,
    remote_ip: remote,
    remote_port: 443,
    status: "ESTABLISHED",
    direction: "outgoing",
    pid: 42,
    process_name: "curl",
    process_path: null,
    user: null,
    ...overrides,
  };
}

/**
 * Poll `round` (the tracker counts its polls from 1, one after another) in column `column`: each connection's row
 * present, with its state.
 */
function poll(rows: TrackedRows, column: number, connections: Connection[], round = column + 1): void {
  const now = new Date(column * 1000);
  for (const c of connections) rows.present(c, column, now, round).addState(c.status);
  rows.endPoll(column, now, round, -1);
}

Deno.test("TrackedRows writes New, then Active, then Closed in a row's timeline, and keys rows by grouping", () => {
  const rows = new TrackedRows({ width: 10, groupBy: "ip", maxClosedRows: 10 });
  const c = connection("8.8.8.8");
  poll(rows, 0, [c, connection("8.8.8.8", { local_port: 5001 })]);
  poll(rows, 1, [c]);
  poll(rows, 2, []);
  const row = rows.rowOf(c)!;
  deepStrictEqual([...row.timeline.visible(2).slice(-3)], [Cell.New, Cell.Active, Cell.Closed]);
  deepStrictEqual([rows.uniqueRowCount, rows.activeRowCount, row.activeColumns], [1, 0, 2]);
  const byProcess = new TrackedRows({ width: 10, groupBy: "process", maxClosedRows: 10 });
  deepStrictEqual([rows.keyOf(c), byProcess.keyOf(c), processRowKey(c)], ["8.8.8.8", "42 curl", "42 curl"]);
  deepStrictEqual(
    rows.keyOf(connection("0.0.0.0", { direction: "listening", remote_ip: null })),
    "L 10.0.0.2",
  );
});

Deno.test("TrackedRows holdThrough() fills a slow poll's skipped columns of the present rows: listening stays listening", () => {
  const rows = new TrackedRows({ width: 10, groupBy: "ip", maxClosedRows: 10 });
  const c = connection("8.8.8.8");
  const listener = connection("0.0.0.0", { direction: "listening", remote_ip: null, status: "LISTEN" });
  poll(rows, 0, [c, listener]);
  rows.holdThrough(1, 2);
  poll(rows, 3, [c, listener], 2); // the next poll, three columns on
  deepStrictEqual([...rows.rowOf(c)!.timeline.visible(3).slice(-4)], [
    Cell.New,
    Cell.Active,
    Cell.Active,
    Cell.Active,
  ]);
  deepStrictEqual([...rows.rowOf(listener)!.timeline.visible(3).slice(-4)], [
    Cell.Listening,
    Cell.Listening,
    Cell.Listening,
    Cell.Listening,
  ]);
});

Deno.test("TrackedRows evicts the closed rows beyond maxClosedRows, longest closed first, and remembers them", () => {
  const rows = new TrackedRows({ width: 10, groupBy: "ip", maxClosedRows: 1 });
  poll(rows, 0, [connection("1.1.1.1"), connection("2.2.2.2"), connection("3.3.3.3")]);
  poll(rows, 1, [connection("2.2.2.2"), connection("3.3.3.3")]);
  poll(rows, 2, [connection("3.3.3.3")]);
  poll(rows, 3, []);
  deepStrictEqual([...rows.rows()].map((row) => row.key), ["3.3.3.3"]);
  deepStrictEqual(rows.evictedRows().map((row) => [row.label, row.activeColumns]), [["1.1.1.1", 1], [
    "2.2.2.2",
    2,
  ]]);
  deepStrictEqual([rows.evictedCount, rows.uniqueRowCount], [2, 3]);
});
