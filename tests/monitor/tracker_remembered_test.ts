import { deepStrictEqual } from "node:assert/strict";
import { Tracker } from "../../lib/monitor/tracker.ts";
import type { TracedChange } from "../../lib/monitor/traced_changes.ts";
import type { Connection, Socket } from "../../lib/model/connection.ts";
import { ConnectionMemory, trackedOf } from "../../lib/model/connection_memory.ts";
import { toConnections } from "../../lib/model/direction.ts";
import { isoWithOffset } from "../../lib/model/timestamp.ts";
import { CELL_SYMBOLS } from "../../lib/model/timeline.ts";
import { at } from "./_connections.ts";

const base: Socket = {
  protocol: "TCP",
  family: 4,
  local_ip: "10.0.0.2",
  local_port: 41000,
  remote_ip: "203.0.113.7",
  remote_port: 443,
  status: "ESTABLISHED",
  pid: 99,
  process_name: "curl",
  process_path: null,
  user: null,
  inode: 1,
  bytes_sent: 10,
  bytes_received: 20,
};
const socket = (overrides: Partial<Socket>): Socket => ({ ...base, ...overrides });
const listening = socket({
  local_port: 22,
  remote_ip: null,
  remote_port: null,
  status: "LISTEN",
  inode: 2,
  bytes_sent: null,
  bytes_received: null,
});
const curl = socket({});
const ssh = socket({ local_port: 22, remote_ip: "198.51.100.4", remote_port: 50000, inode: 3, pid: null });
const wget = socket({ local_port: 41001, inode: 4, process_name: "wget" });
const closedByTracer = (s: Socket, seconds: number): TracedChange => ({
  kind: "close",
  connection: { ...toConnections([s], isoWithOffset(at(seconds)))[0]!, status: "CLOSE" },
  keep: true,
});

/**
 * Polls as a monitor makes them: sockets of the same inode, unchanged, are the same connection again. The
 * tracer closes wget at 3.5 s while ss still lists it; it comes back at 5 s, ends in TIME_WAIT (no inode).
 */
const POLLS: { sockets: Socket[]; traced?: TracedChange[] }[] = [
  { sockets: [listening, curl, ssh] },
  { sockets: [listening, curl, { ...ssh, pid: 812, process_name: "sshd" }, wget] },
  { sockets: [listening, { ...curl, bytes_sent: 15 }, { ...ssh, pid: 812, process_name: "sshd" }, wget] },
  {
    sockets: [listening, { ...curl, bytes_sent: 15, status: "CLOSE_WAIT" }, wget],
    traced: [closedByTracer(wget, 3.5)],
  },
  { sockets: [listening, { ...curl, bytes_sent: 15, status: "CLOSE_WAIT" }, wget] },
  { sockets: [listening, { ...curl, bytes_sent: 15, status: "CLOSE_WAIT" }, wget] },
  {
    sockets: [listening, { ...wget, status: "TIME_WAIT", inode: 0, bytes_sent: null, bytes_received: null }],
  },
  { sockets: [listening] },
];

/** The polls through a tracker; `plain`: each remembered connection as one plain copy of it, made once. */
function run(plain: boolean, traffic: boolean): { lines: string[]; tracker: Tracker } {
  const memory = new ConnectionMemory();
  const copies = new Map<Connection, Connection>();
  const tracker = new Tracker({ width: 10, groupBy: "connection", maxClosedRows: 100, traffic });
  const lines: string[] = [];
  POLLS.forEach((poll, i) => {
    const sockets = poll.sockets.map((s) => ({ ...s }));
    let connections = toConnections(sockets, isoWithOffset(at(i)), memory);
    if (plain) {
      connections = connections.map((c) => {
        let copy = copies.get(c);
        if (copy === undefined) copies.set(c, copy = { ...c });
        return copy;
      });
    }
    for (const event of tracker.update(connections, at(i), poll.traced)) lines.push(JSON.stringify(event));
    lines.push(`open ${JSON.stringify([...tracker.openConnections()])}`);
    lines.push(`owners ${JSON.stringify(tracker.ownersLearned().map((learned) => learned.connection))}`);
  });
  for (const row of tracker.rows()) {
    const cells = [...row.timeline.visible(tracker.column)].map((c) => CELL_SYMBOLS[c]).join("");
    lines.push(`${row.key} ${cells} ${row.activeColumns} ${row.openConnections}`);
  }
  return { lines, tracker };
}

Deno.test("Tracker follows remembered connections (which hold their open entry) as it follows plain ones", () => {
  for (const traffic of [false, true]) {
    const remembered = run(false, traffic);
    const plain = run(true, traffic);
    deepStrictEqual(remembered.lines, plain.lines);
    deepStrictEqual(remembered.tracker.openConnectionCount, plain.tracker.openConnectionCount);
  }
  // What the polls reported, so that the comparison above is about something.
  const events = run(false, true).lines.filter((line) => line.startsWith("{")).map((line) => {
    const e = JSON.parse(line);
    return `${e.event} ${e.connection.local_port} ${e.connection.status} ${
      e.connection.timestamp.slice(17, 19)
    }`;
  });
  deepStrictEqual(events, [
    "NEW 22 LISTEN 00",
    "NEW 41000 ESTABLISHED 00",
    "NEW 22 ESTABLISHED 00",
    "NEW 41001 ESTABLISHED 01",
    "STATE 41000 CLOSE_WAIT 03",
    "CLOSED 41001 ESTABLISHED 03",
    "CLOSED 22 ESTABLISHED 03",
    "NEW 41001 ESTABLISHED 04",
    "STATE 41001 TIME_WAIT 06",
    "CLOSED 41000 CLOSE_WAIT 06",
    "CLOSED 41001 TIME_WAIT 07",
  ]);
});

Deno.test("Tracker leaves its open entry on a remembered connection, and finds the key's new entry after it closed", () => {
  const memory = new ConnectionMemory();
  const tracker = new Tracker({ width: 10, groupBy: "ip", maxClosedRows: 100 });
  const [first] = toConnections([curl], isoWithOffset(at(0)), memory);
  deepStrictEqual(trackedOf(first!), null);
  tracker.update([first!], at(0));
  const entry = trackedOf(first!) as { key: string; connection: Connection };
  deepStrictEqual([entry.key, entry.connection === first], ["TCP 10.0.0.2 41000 203.0.113.7 443", true]);
  // A tracer closes it while ss still lists it: the next poll finds no open entry for the key, so a new one.
  tracker.update([first!], at(1), [closedByTracer(curl, 1)]);
  const [again] = toConnections([curl], isoWithOffset(at(2)), memory);
  deepStrictEqual(again, first);
  const events = tracker.update([again!], at(2));
  deepStrictEqual(events.map((e) => `${e.event} ${e.connection.timestamp.slice(17, 19)}`), ["NEW 02"]);
  deepStrictEqual(
    trackedOf(again!) !== entry && (trackedOf(again!) as { key: string }).key === entry.key,
    true,
  );
});

Deno.test("Tracker stamps the NEW of a connection the filters hid for a poll the same for a remembered and a plain one", () => {
  // The dashboard hides its address at poll 1 (the collector's memory still sees it) and shows it again at 2.
  const stamps = (plain: boolean) => {
    const memory = new ConnectionMemory();
    const copies = new Map<Connection, Connection>();
    const tracker = new Tracker({ width: 10, groupBy: "ip", maxClosedRows: 100 });
    return [0, 1, 2].flatMap((i) => {
      let [c] = toConnections([{ ...curl }], isoWithOffset(at(i)), memory);
      if (plain) {
        let copy = copies.get(c!);
        if (copy === undefined) copies.set(c!, copy = { ...c! });
        c = copy;
      }
      return tracker.update(i === 1 ? [] : [c!], at(i)).map((e) =>
        `${e.event}@${e.connection.timestamp.slice(17, 19)}`
      );
    });
  };
  // Shown again at 2 s, it is new then: history's record of it closed at 1 s.
  deepStrictEqual(stamps(false), ["NEW@00", "CLOSED@01", "NEW@02"]);
  deepStrictEqual(stamps(true), ["NEW@00", "CLOSED@01", "NEW@02"]);
});
