import type { TracedChange } from "../../lib/monitor/traced_changes.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { CELL_SYMBOLS } from "../../lib/model/timeline.ts";
import type { TrackedRow } from "../../lib/model/tracked_row.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import type { Connection } from "../../lib/model/connection.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import { at, connection, listener } from "./_connections.ts";

function run(
  polls: Connection[][],
  options: Partial<ConstructorParameters<typeof Tracker>[0]> = {},
): Tracker {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100, ...options });
  polls.forEach((poll, i) => tracker.update(poll, at(i)));
  return tracker;
}

function row(tracker: Tracker, label: string): TrackedRow {
  const found = [...tracker.rows()].find((r) => r.label === label);
  if (found === undefined) throw new Error(`no row "${label}"`);
  return found;
}

function drawn(tracker: Tracker, label: string): string {
  return [...row(tracker, label).timeline.visible(tracker.column)].map((c) => CELL_SYMBOLS[c]).join("");
}

Deno.test("Tracker draws ▲ on arrival, ■ while present, × after it closes, and · before and after", () => {
  const a = connection();
  const tracker = run([[], [a], [a], [a], [], [], []]);
  deepStrictEqual(drawn(tracker, "203.0.113.7"), "·▲■■×··".padStart(8, "·"));
});

Deno.test("Tracker puts the empty stretch of an IP first seen late at the start of its row", () => {
  const early = connection({ remote_ip: "198.51.100.1" });
  const late = connection({ remote_ip: "198.51.100.2", local_port: 50001 });
  const tracker = run([[early], [early], [early], [early], [early, late], [early, late]]);
  deepStrictEqual(drawn(tracker, "198.51.100.1"), "··▲■■■■■");
  deepStrictEqual(drawn(tracker, "198.51.100.2"), "······▲■");
  deepStrictEqual(row(tracker, "198.51.100.2").firstSeen, at(4));
});

Deno.test("Tracker shows listening sockets as ○ in a row of their own", () => {
  const tracker = run([[listener(22)], [listener(22), listener(80)], [listener(80)]]);
  const listening = row(tracker, "0.0.0.0 (listening)");
  deepStrictEqual(drawn(tracker, "0.0.0.0 (listening)"), "·····○○○");
  deepStrictEqual(listening.ports, [22, 80]);
  deepStrictEqual(listening.states, ["LISTEN"]);
});

Deno.test("Tracker reports NEW for connections present at the first poll, then STATE and CLOSED", () => {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  const a = connection();
  const b = connection({ local_port: 50001, remote_port: 80 });
  deepStrictEqual(tracker.update([a, b], at(0)).map((e) => e.event), ["NEW", "NEW"]);
  const changed = tracker.update([{ ...a, status: "TIME_WAIT", pid: null }, b], at(1));
  deepStrictEqual(changed.map((e) => [e.event, e.previous_status, e.connection.status]), [
    ["STATE", "ESTABLISHED", "TIME_WAIT"],
  ]);
  const closed = tracker.update([b], at(2));
  deepStrictEqual(closed.map((e) => [e.event, e.connection.local_port]), [["CLOSED", 50000]]);
  ok(closed[0]?.connection.timestamp.startsWith("2026-11-21T14:30:02"));
  deepStrictEqual(tracker.update([b], at(3)), []);
});

Deno.test("Tracker shows a connection in TIME_WAIT as closed: × once no live socket is left", () => {
  const a = connection();
  const tracker = run([[a], [a], [{ ...a, status: "TIME_WAIT", pid: null }], [{
    ...a,
    status: "TIME_WAIT",
    pid: null,
  }]]);
  deepStrictEqual(drawn(tracker, "203.0.113.7"), "····▲■×·");
  deepStrictEqual(tracker.openConnectionCount, 1);
  deepStrictEqual(tracker.activeRowCount, 0);
});

Deno.test("Tracker counts a socket two processes share once", () => {
  const shared = connection();
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  deepStrictEqual(tracker.update([shared, { ...shared, pid: 99, process_name: "child" }], at(0)).length, 1);
  deepStrictEqual(tracker.openConnectionCount, 1);
});

Deno.test("Tracker keeps first seen, last seen, activity, ports, states and processes per IP", () => {
  const a = connection({ remote_port: 443 });
  const b = connection({
    local_port: 50001,
    remote_port: 80,
    pid: 77,
    process_name: "curl",
    process_path: null,
  });
  const tracker = run([[a], [], [a, b], [b]]);
  const r = row(tracker, "203.0.113.7");
  deepStrictEqual([r.firstSeen, r.lastSeen, r.activeColumns, tracker.totalColumns], [at(0), at(3), 3, 4]);
  deepStrictEqual(r.ports, [443, 80]);
  deepStrictEqual(r.states, ["ESTABLISHED"]);
  deepStrictEqual(r.processes.map((p) => p.name), ["firefox", "curl"]);
  deepStrictEqual(r.processes[1]?.path, null);
  deepStrictEqual(drawn(tracker, "203.0.113.7"), "····▲×▲■");
});

Deno.test("Tracker groups by process or by connection when asked", () => {
  const a = connection();
  const b = connection({ remote_ip: "198.51.100.9", local_port: 50001 });
  const byProcess = run([[a, b]], { groupBy: "process" });
  deepStrictEqual([...byProcess.rows()].map((r) => [r.label, r.openConnections]), [["firefox (4211)", 2]]);
  const byConnection = run([[a, b]], { groupBy: "connection" });
  deepStrictEqual([...byConnection.rows()].map((r) => r.label), [
    "TCP 10.0.0.2:50000 → 203.0.113.7:443",
    "TCP 10.0.0.2:50001 → 198.51.100.9:443",
  ]);
});

Deno.test("Tracker drops the longest-closed rows past its cap and remembers the most active of them", () => {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 3 });
  const busy = connection({ remote_ip: "192.0.2.1" });
  tracker.update([busy], at(0));
  tracker.update([busy], at(1));
  for (let i = 2; i < 12; i++) tracker.update([connection({ remote_ip: `198.51.100.${i}` })], at(i));
  tracker.update([], at(12));
  deepStrictEqual([...tracker.rows()].map((r) => r.label).sort(), [
    "198.51.100.10",
    "198.51.100.11",
    "198.51.100.9",
  ]);
  deepStrictEqual(tracker.uniqueRowCount, 11);
  deepStrictEqual(tracker.evictedCount, 8);
  deepStrictEqual(tracker.evictedRows().find((r) => r.ip === "192.0.2.1")?.activeColumns, 2);
});

Deno.test("Tracker.ownersLearned() names the connections whose process a later poll learned, once", () => {
  const owned = connection();
  const unowned = { ...owned, pid: null, process_name: null, process_path: null };
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  deepStrictEqual(tracker.update([unowned], at(0)).map((e) => e.event), ["NEW"]);
  deepStrictEqual(tracker.ownersLearned(), []);
  deepStrictEqual(tracker.update([owned], at(1)), [], "no event: the connection did not change");
  deepStrictEqual(tracker.ownersLearned().map((learned) => learned.connection), [owned]);
  // With the connection's own slot, the one its events and the last sightings carry (history finds it by that).
  deepStrictEqual(tracker.ownersLearned()[0]?.slot === [...tracker.openSlotted()][0]?.slot, true);
  tracker.update([owned], at(2));
  deepStrictEqual(tracker.ownersLearned(), []);
});

Deno.test("Tracker with --traffic gives a process the bytes its connection moved before a walk named it", () => {
  // Under load a walk can name a socket's process after its bytes were counted: a 3 MiB transfer that ended
  // before the process was known showed under no process in the top talkers, and never under its own.
  const unowned = (sent: number) =>
    connection({ pid: null, process_name: null, process_path: null, bytes_sent: sent, bytes_received: 10 });
  const owned = (sent: number) => connection({ bytes_sent: sent, bytes_received: 10 });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100, traffic: true });
  tracker.update([unowned(3000)], at(0));
  tracker.update([unowned(5000)], at(1));
  tracker.update([owned(5000)], at(2));
  tracker.update([owned(5400)], at(3));
  const ledger = tracker.traffic!;
  const meter = ledger.processes().get("4211 firefox");
  deepStrictEqual([meter?.sent, meter?.received], [5400, 10]);
  deepStrictEqual(
    ledger.rate(meter!, 1),
    { sent: 400, received: 0 },
    "what it moved before counts in no rate",
  );
  deepStrictEqual([...ledger.processes().keys()], ["4211 firefox"]);
  deepStrictEqual([ledger.machine.sent, ledger.machine.received], [5400, 10], "the machine counts it once");
});

Deno.test("Tracker with a time unit stays true to time when polls take longer than the unit", () => {
  const stays = connection({ remote_ip: "198.51.100.1" });
  const arrives = connection({ remote_ip: "198.51.100.2", local_port: 50001 });
  const leaves = connection({ remote_ip: "198.51.100.3", local_port: 50002 });
  const tracker = new Tracker({ width: 12, groupBy: "ip", maxClosedRows: 100, timeUnitMs: 1000 });
  // Polls that take 1.4 s at a 1 s unit start at 0, 1.4, 2.8, 4.2, 5.6 s: columns 0, 1, 3, 4, 6.
  const starts = [0, 1400, 2800, 4200, 5600];
  const polls = [[stays, leaves], [stays, leaves], [stays], [stays, arrives], [stays, arrives]];
  starts.forEach((ms, i) => tracker.update(polls[i] ?? [], new Date(at(0).getTime() + ms)));
  deepStrictEqual(tracker.column, 6);
  deepStrictEqual(tracker.totalColumns, 7);
  // Held through the units the slow polls spanned: present before and after, present in between.
  deepStrictEqual(drawn(tracker, "198.51.100.1"), "·····▲■■■■■■");
  deepStrictEqual(drawn(tracker, "198.51.100.3"), "·····▲■■×···");
  deepStrictEqual(drawn(tracker, "198.51.100.2"), "·········▲■■");
  deepStrictEqual(row(tracker, "198.51.100.1").activeColumns, 7);
});

Deno.test("Tracker with --traffic holds a counted row idle through the units a slow poll skipped, not active", () => {
  // At 10k connections polls overran a 0.25 s unit and every row showed the same false ■ columns (□■□□□■□□■□).
  const counted = (sent: number) =>
    connection({ remote_ip: "198.51.100.1", local_port: 50001, bytes_sent: sent, bytes_received: 0 });
  const uncounted = connection({
    remote_ip: "198.51.100.2",
    local_port: 50002,
    protocol: "UDP",
    status: "CONNECTED",
  });
  const plain = { ...uncounted, bytes_sent: null, bytes_received: null };
  const tracker = new Tracker({
    width: 10,
    groupBy: "ip",
    maxClosedRows: 100,
    timeUnitMs: 1000,
    traffic: true,
  });
  // Polls at 0, 1, 4 and 5 s: columns 2 and 3 had no poll. The counted row moved bytes only in the 4 s poll.
  [[0, 100], [1000, 100], [4000, 900], [5000, 900]].forEach(([ms, sent]) =>
    tracker.update([counted(sent!), plain], new Date(at(0).getTime() + ms!))
  );
  deepStrictEqual(drawn(tracker, "198.51.100.1"), "····▲□□□■□");
  deepStrictEqual(drawn(tracker, "198.51.100.2"), "····▲■■■■■", "without counters a row is never idle");
});

Deno.test("Tracker with a time unit leaves a long gap (a suspended machine) empty", () => {
  const c = connection();
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100, timeUnitMs: 1000 });
  tracker.update([c], at(0));
  tracker.update([c], at(1));
  tracker.update([c], at(300));
  deepStrictEqual(tracker.column, 300);
  deepStrictEqual(drawn(tracker, "203.0.113.7"), "·······■");
});

Deno.test("Tracker reports CLOSED with the connection's duration, ending when it left the live states", () => {
  const quick = connection({ local_port: 50001 });
  const slow = connection({ local_port: 50002 });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  tracker.update([quick], at(0));
  tracker.update([quick, slow], at(2));
  tracker.update([{ ...quick, status: "TIME_WAIT" }, slow], at(5));
  const first = tracker.update([slow], at(65)); // TIME_WAIT lingered a minute: not the connection's life
  deepStrictEqual(first.map((e) => [e.event, e.connection.local_port, e.duration_s]), [["CLOSED", 50001, 5]]);
  const second = tracker.update([], at(66));
  deepStrictEqual(second.map((e) => [e.event, e.duration_s]), [["CLOSED", 64]]);
});

Deno.test("Tracker reports a new connection on the four-tuple of one in TIME_WAIT as NEW, after that one's CLOSED", () => {
  // The kernel gives a TIME_WAIT's four-tuple to a new connection (loopback's tcp_tw_reuse, SO_REUSEADDR).
  const first = connection({ local_port: 50005 });
  const second = connection({ local_port: 50005, pid: 4300, process_name: "wget" });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  const summary = (events: readonly ConnectionEvent[]) =>
    events.map((e) => [e.event, e.connection.status, e.connection.process_name, e.duration_s ?? null]);
  tracker.update([first], at(0));
  tracker.update([{ ...first, status: "TIME_WAIT", pid: null, process_name: null }], at(2));
  // Listed in TIME_WAIT again: the same connection, nothing new.
  deepStrictEqual(
    tracker.update([{ ...first, status: "TIME_WAIT", pid: null, process_name: null }], at(3)),
    [],
  );
  const reused = tracker.update([second], at(4));
  deepStrictEqual(summary(reused), [["CLOSED", "TIME_WAIT", "firefox", 2], [
    "NEW",
    "ESTABLISHED",
    "wget",
    null,
  ]]);
  deepStrictEqual(reused[1]!.slot === reused[0]!.slot, false, "a slot of its own (history's row)");
  deepStrictEqual(tracker.openConnectionCount, 1);
  // Its life counts from its own open.
  deepStrictEqual(summary(tracker.update([], at(9))), [["CLOSED", "ESTABLISHED", "wget", 5]]);
  // First listed in FIN_WAIT_2 (it closed, its FIN acknowledged, within a poll): a new connection too.
  tracker.update([{ ...first, status: "TIME_WAIT", pid: null, process_name: null }], at(10));
  deepStrictEqual(summary(tracker.update([{ ...second, status: "FIN_WAIT_2" }], at(11))), [
    ["CLOSED", "TIME_WAIT", null, 0],
    ["NEW", "FIN_WAIT_2", "wget", null],
  ]);
});

Deno.test("Tracker counts a connection held back for its process from when it was first seen", () => {
  const held = connection({ local_port: 50003 });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  tracker.update([held], at(10), undefined, new Map([[held, at(7).getTime()]]));
  tracker.update([{ ...held, status: "TIME_WAIT" }], at(12));
  const closed = tracker.update([], at(20));
  deepStrictEqual(closed.map((e) => [e.event, e.duration_s]), [["CLOSED", 5]]);
});

Deno.test("Tracker gives a duration in whole milliseconds when a held-back socket's first sight is not", () => {
  // The collector times when it first saw a held-back socket with sub-millisecond precision; NDJSON showed
  // duration_s 4.11969970703125 beside 1.92.
  const held = connection({ local_port: 50004 });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  tracker.update([held], at(10), undefined, new Map([[held, at(7).getTime() + 880.30029296875]]));
  tracker.update([{ ...held, status: "TIME_WAIT" }], at(12));
  const closed = tracker.update([], at(20));
  deepStrictEqual(closed.map((e) => [e.event, e.duration_s]), [["CLOSED", 4.12]]);
});

Deno.test("Tracker.rowKeyOf() names the row a connection would join", () => {
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  deepStrictEqual(tracker.rowKeyOf(connection({ remote_ip: "8.8.8.8" })), "8.8.8.8");
  deepStrictEqual(tracker.rowKeyOf(listener(22)), "L 0.0.0.0");
});

Deno.test("Tracker stamps what it reports with the poll's time, for connection objects given again from an earlier poll", () => {
  // A collector's ConnectionMemory gives an unchanged connection as the object (and stamp) of the poll that made it.
  const kept = connection({ timestamp: "2026-11-21T14:30:00.000+00:00" });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  const poll = (
    listed: Connection[],
    second: number,
    traced?: TracedChange[],
    firstSeen?: ReadonlyMap<Connection, number>,
  ) =>
    tracker.update(listed, new Date(`2026-11-21T14:30:0${second}.000Z`), traced, firstSeen).map((e) => [
      e.event,
      e.connection.timestamp,
    ]);
  deepStrictEqual(poll([kept], 0), [["NEW", "2026-11-21T14:30:00.000+00:00"]]);
  deepStrictEqual(poll([kept], 1), []);
  deepStrictEqual(row(tracker, "203.0.113.7").openConnections, 1);
  // A tracer saw it close while the poll still lists it; the next poll lists the same object again: news, now.
  const close = {
    kind: "close" as const,
    connection: { ...kept, timestamp: "2026-11-21T14:30:01.500+00:00" },
    keep: true,
  };
  deepStrictEqual(poll([kept], 2, [close]), [["CLOSED", "2026-11-21T14:30:01.500+00:00"]]);
  deepStrictEqual(poll([kept], 3, []), [["NEW", "2026-11-21T14:30:03.000+00:00"]]);
  deepStrictEqual(kept.timestamp, "2026-11-21T14:30:00.000+00:00");
  // Listed for the first time, an object made earlier is stamped now too: its life counts from now, as the
  // tracker saw it (a plain object or a remembered one, review21), unless the collector says it saw it first
  // earlier (held back for its process).
  const fresh = connection({ local_port: 50001, timestamp: "2026-11-21T14:00:00.000+00:00" });
  deepStrictEqual(poll([kept, fresh], 4, []), [["NEW", "2026-11-21T14:30:04.000+00:00"]]);
  const held = connection({ local_port: 50002, timestamp: "2026-11-21T14:30:03.250+00:00" });
  deepStrictEqual(poll([kept, fresh, held], 5, [], new Map([[held, Date.parse(held.timestamp)]])), [
    ["NEW", "2026-11-21T14:30:03.250+00:00"],
  ]);
});

Deno.test("Tracker keeps only what the latest poll lists open: gone for a poll is CLOSED, back is NEW", () => {
  const a = connection({ local_port: 41001 });
  const b = connection({ local_port: 41002 });
  const c = connection({ local_port: 41003 });
  const tracker = new Tracker({ width: 8, groupBy: "ip", maxClosedRows: 100 });
  const ports = (events: { event: string; connection: Connection }[]) =>
    events.map((e) => `${e.event} ${e.connection.local_port}`);
  const open = () => [...tracker.openConnections()].map((o) => o.local_port).sort();
  deepStrictEqual(ports(tracker.update([a, b], at(0))), ["NEW 41001", "NEW 41002"]);
  deepStrictEqual(ports(tracker.update([b, c], at(1))), ["NEW 41003", "CLOSED 41001"]);
  deepStrictEqual([open(), tracker.openConnectionCount], [[41002, 41003], 2]);
  deepStrictEqual(ports(tracker.update([c, a, b], at(2))), ["NEW 41001"]);
  deepStrictEqual(ports(tracker.update([], at(3))).sort(), ["CLOSED 41001", "CLOSED 41002", "CLOSED 41003"]);
  deepStrictEqual([open(), tracker.openConnectionCount], [[], 0]);
  deepStrictEqual(ports(tracker.update([a], at(4))), ["NEW 41001"]);
});
