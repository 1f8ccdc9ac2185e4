import { deepStrictEqual } from "node:assert/strict";
import type { Connection } from "../../lib/model/connection.ts";
import type { ByteCounts } from "../../lib/model/byte_counters.ts";
import { countersRead, type LastCounters, TrafficLedger } from "../../lib/model/traffic_ledger.ts";
import { TrafficMeter } from "../../lib/model/traffic_meter.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { at, connection } from "./_connections.ts";

/** A connection whose counters read `sent` and `received`. */
function counted(
  sent: number | null,
  received: number | null,
  overrides: Partial<Connection> = {},
): Connection {
  return connection({ bytes_sent: sent, bytes_received: received, ...overrides });
}

/** What a test keeps of each connection's counters for a ledger, by a key of its own (as the tracker does). */
const kept = new WeakMap<TrafficLedger, Map<string, LastCounters>>();

function lastOf(ledger: TrafficLedger, key: string): LastCounters {
  let byKey = kept.get(ledger);
  if (byKey === undefined) kept.set(ledger, byKey = new Map());
  let last = byKey.get(key);
  if (last === undefined) byKey.set(key, last = { sent: null, received: null });
  return last;
}

/** The counters last read of the connection under `key`, or null. */
function counters(ledger: TrafficLedger, key: string): ByteCounts | null {
  const last = kept.get(ledger)?.get(key);
  return last === undefined ? null : countersRead(last);
}

/** The connection under `key` closed: its last counters, and they are forgotten. */
function forget(ledger: TrafficLedger, key: string): ByteCounts | null {
  const last = counters(ledger, key);
  kept.get(ledger)?.delete(key);
  return last;
}

/** Feed poll number `column` (taken `column` seconds in) to a ledger, every connection under its own key. */
function poll(ledger: TrafficLedger, column: number, connections: [string, Connection][]): void {
  deepStrictEqual(ledger.begin(at(column)), column);
  for (const [key, c] of connections) ledger.observe(lastOf(ledger, key), c, null);
}

Deno.test("TrafficLedger gives no rate at the first poll, whose counters predate the run", () => {
  const ledger = new TrafficLedger();
  poll(ledger, 0, [["a", counted(5_000_000, 1_000)]]);
  deepStrictEqual(ledger.rate(ledger.machine, 1), null);
  deepStrictEqual([ledger.machine.sent, ledger.machine.received], [5_000_000, 1_000]);
  poll(ledger, 1, [["a", counted(5_000_400, 1_000)]]);
  deepStrictEqual(ledger.rate(ledger.machine, 1), { sent: 400, received: 0 });
});

Deno.test("TrafficLedger rates over the last poll and the last 10, fewer at the start of the run", () => {
  const ledger = new TrafficLedger();
  // 1,000 B/s sent for 12 s, then 11,000 B in the 13th second.
  for (let i = 0; i <= 12; i++) poll(ledger, i, [["a", counted(i * 1000, 0)]]);
  poll(ledger, 13, [["a", counted(12_000 + 11_000, 0)]]);
  deepStrictEqual(ledger.rate(ledger.machine, 1)?.sent, 11_000);
  deepStrictEqual(ledger.rate(ledger.machine, 10)?.sent, (9 * 1000 + 11_000) / 10);
  const early = new TrafficLedger();
  for (let i = 0; i <= 3; i++) poll(early, i, [["a", counted(i * 500, i * 50)]]);
  deepStrictEqual(early.rate(early.machine, 10), { sent: 500, received: 50 }); // over the 3 s there are
});

Deno.test("TrafficLedger counts a counter that went down as a new socket counting from zero", () => {
  const ledger = new TrafficLedger();
  poll(ledger, 0, [["a", counted(10_000, 2_000)]]);
  poll(ledger, 1, [["a", counted(12_000, 2_500)]]);
  // The addresses and ports were reused by a new socket, which has moved 300 B and 40 B so far.
  poll(ledger, 2, [["a", counted(300, 40)]]);
  deepStrictEqual(ledger.rate(ledger.machine, 1), { sent: 300, received: 40 });
  deepStrictEqual([ledger.machine.sent, ledger.machine.received], [12_300, 2_540]);
  deepStrictEqual(counters(ledger, "a"), { sent: 300, received: 40 });
  // Only one counter went down: still a new socket, so both count from zero.
  poll(ledger, 3, [["a", counted(100, 900)]]);
  deepStrictEqual(ledger.rate(ledger.machine, 1), { sent: 100, received: 900 });
});

Deno.test("TrafficLedger keeps what the last poll read of a socket that vanished, and rates stay positive", () => {
  const ledger = new TrafficLedger();
  poll(ledger, 0, [["a", counted(0, 0)], ["b", counted(0, 0)]]);
  poll(ledger, 1, [["a", counted(1_000, 100)], ["b", counted(4_000, 0)]]);
  deepStrictEqual(forget(ledger, "b"), { sent: 4_000, received: 0 }); // b closed before poll 2
  poll(ledger, 2, [["a", counted(1_500, 100)]]);
  deepStrictEqual(ledger.rate(ledger.machine, 1), { sent: 500, received: 0 });
  deepStrictEqual(ledger.rate(ledger.machine, 10), { sent: 2_750, received: 50 });
  deepStrictEqual(ledger.machine.sent, 5_500);
  deepStrictEqual(counters(ledger, "b"), null);
});

Deno.test("TrafficLedger keeps the last reading through polls without counters (TIME_WAIT) and ignores UDP", () => {
  const ledger = new TrafficLedger();
  poll(ledger, 0, [["a", counted(700, 70)], ["u", counted(null, null, { protocol: "UDP" })]]);
  poll(ledger, 1, [["a", counted(null, null, { status: "TIME_WAIT" })]]);
  deepStrictEqual(counters(ledger, "a"), { sent: 700, received: 70 });
  deepStrictEqual(counters(ledger, "u"), null);
  deepStrictEqual(ledger.rate(ledger.machine, 1), { sent: 0, received: 0 });
});

Deno.test("TrafficLedger adds up per process and per remote address", () => {
  const ledger = new TrafficLedger();
  const curl = { pid: 42, process_name: "curl" };
  poll(ledger, 0, [
    ["a", counted(100, 10, { ...curl, remote_ip: "198.51.100.1" })],
    ["b", counted(200, 20, { ...curl, remote_ip: "198.51.100.2", local_port: 50001 })],
    ["c", counted(400, 40, { remote_ip: "198.51.100.2", local_port: 50002 })],
  ]);
  const totals = (m: ReadonlyMap<string, TrafficMeter>) =>
    Object.fromEntries([...m].map(([k, v]) => [k, [v.sent, v.received]]));
  deepStrictEqual(totals(ledger.processes()), { "42 curl": [300, 30], "4211 firefox": [400, 40] });
  deepStrictEqual(totals(ledger.addresses()), { "198.51.100.1": [100, 10], "198.51.100.2": [600, 60] });
});

Deno.test("TrafficMeter answers for the last 10 polls even after more changes than that", () => {
  const meter = new TrafficMeter();
  for (let column = 0; column < 40; column++) meter.add(column, 10, 1);
  deepStrictEqual(meter.totalsAt(29), { sent: 300, received: 30 });
  deepStrictEqual(meter.totalsAt(39), { sent: 400, received: 40 });
});

Deno.test("Tracker with traffic: CLOSED and STATE →TIME_WAIT carry the last counters; rows add up", () => {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100, traffic: true });
  const a = counted(0, 0);
  const b = counted(0, 0, { local_port: 50001 });
  tracker.update([a, b], at(0));
  tracker.update([counted(1_000, 50), counted(3_000, 0, { local_port: 50001 })], at(1));
  const events = tracker.update([
    counted(null, null, { status: "TIME_WAIT" }), // a moved to TIME_WAIT: ss has no counters for it
  ], at(2)); // b vanished between polls
  const closed = events.find((e) => e.event === "CLOSED");
  deepStrictEqual([closed?.connection.local_port, closed?.connection.bytes_sent], [50001, 3_000]);
  const state = events.find((e) => e.event === "STATE");
  deepStrictEqual([state?.connection.bytes_sent, state?.connection.bytes_received], [1_000, 50]);
  const row = [...tracker.rows()][0];
  deepStrictEqual([row?.traffic?.sent, row?.traffic?.received], [4_000, 50]);
  deepStrictEqual([...tracker.openConnections()][0]?.bytes_sent, 1_000);
  const gone = tracker.update([], at(3)).find((e) => e.event === "CLOSED");
  deepStrictEqual([gone?.connection.bytes_sent, gone?.connection.bytes_received], [1_000, 50]);
  const ledger = tracker.traffic;
  deepStrictEqual(ledger === null ? null : ledger.rate(ledger.machine, 1), { sent: 0, received: 0 });
});

Deno.test("Tracker without traffic keeps counters off its events", () => {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  tracker.update([connection()], at(0));
  const [closed] = tracker.update([], at(1));
  deepStrictEqual([closed?.event, "bytes_sent" in (closed?.connection ?? {})], ["CLOSED", false]);
  deepStrictEqual(tracker.traffic, null);
});
