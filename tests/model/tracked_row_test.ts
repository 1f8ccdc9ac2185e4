import { deepStrictEqual, ok, throws } from "node:assert/strict";
import { TrackedRow } from "../../lib/model/tracked_row.ts";

const newRow = (key: string) =>
  new TrackedRow({ key, label: key, ip: key, listening: false, width: 4 }, 0, new Date(0));

Deno.test("TrackedRow.addState keeps the states sorted and once each; rows in one state share one frozen list", () => {
  const a = newRow("192.0.2.1");
  const b = newRow("192.0.2.2");
  a.addState("ESTABLISHED");
  b.addState("ESTABLISHED");
  ok(a.states === b.states, "one list for the rows in one state");
  ok(Object.isFrozen(a.states));
  a.addState("CLOSE_WAIT");
  a.addState("ESTABLISHED");
  deepStrictEqual([a.states, b.states], [["CLOSE_WAIT", "ESTABLISHED"], ["ESTABLISHED"]]);
  a.clearStates();
  deepStrictEqual([a.states, b.states], [[], ["ESTABLISHED"]]);
  // The shared list cannot be changed through one row.
  throws(() => (b.states as string[]).push("LISTEN"), TypeError);
});

Deno.test("TrackedRow.addPort and addProcessOf keep bounded lists, once each, first seen first", () => {
  const row = newRow("192.0.2.3");
  const before = row.ports;
  for (const port of [443, 80, 443]) row.addPort(port);
  row.addPort(null);
  deepStrictEqual([row.ports, before], [[443, 80], []]);
  for (let port = 1; port <= 40; port++) row.addPort(1000 + port);
  deepStrictEqual([row.ports.length, row.morePorts], [32, 10]);
  row.addProcessOf(42, "curl", "/usr/bin/curl");
  row.addProcessOf(42, "curl", "/usr/bin/curl");
  row.addProcessOf(null, null, null);
  for (let pid = 1; pid <= 9; pid++) row.addProcessOf(pid, "sh", null);
  deepStrictEqual([row.processes[0], row.processes.length, row.moreProcesses], [
    { pid: 42, name: "curl", path: "/usr/bin/curl" },
    8,
    2,
  ]);
});
