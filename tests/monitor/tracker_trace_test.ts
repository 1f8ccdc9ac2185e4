import { deepStrictEqual } from "node:assert/strict";
import { Tracker } from "../../lib/monitor/tracker.ts";
import type { TracedChange } from "../../lib/monitor/traced_changes.ts";
import type { Connection } from "../../lib/model/connection.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import { isoWithOffset } from "../../lib/model/timestamp.ts";
import { CELL_SYMBOLS } from "../../lib/model/timeline.ts";
import { at, connection } from "./_connections.ts";

function traced(kind: "open" | "close", c: Connection, seconds: number, keep = true): TracedChange {
  return { kind, connection: { ...c, timestamp: isoWithOffset(at(seconds)) }, keep };
}

function summary(events: readonly ConnectionEvent[]): string[] {
  return events.map((e) =>
    `${e.event} ${e.connection.local_port} ${e.connection.status} ${e.connection.process_name ?? "-"} ${
      e.connection.timestamp.slice(11, 19)
    }`
  );
}

function tracker(options: Partial<ConstructorParameters<typeof Tracker>[0]> = {}): Tracker {
  return new Tracker({ width: 6, groupBy: "ip", maxClosedRows: 100, ...options });
}

const curl = connection({ local_port: 41000, process_name: "curl", pid: 99, process_path: null });
const KEY = "TCP 10.0.0.2 41000 203.0.113.7 443";

Deno.test("Tracker.update() reports a traced connection that opened and closed between two polls as NEW then CLOSED, at their times", () => {
  const t = tracker();
  t.update([], at(0));
  const events = t.update([], at(1), [traced("open", curl, 0.2), traced("close", curl, 0.22)]);
  deepStrictEqual(summary(events), [
    "NEW 41000 ESTABLISHED curl 14:30:00",
    "CLOSED 41000 ESTABLISHED curl 14:30:00",
  ]);
  deepStrictEqual(t.openConnectionCount, 0);
  // Its row was active in that time unit, and is closed after it.
  t.update([], at(2));
  const row = [...t.rows()][0];
  deepStrictEqual(
    [...(row?.timeline.visible(t.column) ?? [])].map((c) => CELL_SYMBOLS[c]).join(""),
    "····▲×",
  );
  deepStrictEqual([row?.activeColumns, row?.openConnections], [1, 0]);
});

Deno.test("Tracker.update() keeps a traced connection the poll has not seen yet open, and the next poll changes nothing", () => {
  const t = tracker();
  deepStrictEqual(summary(t.update([], at(0), [traced("open", curl, 0)])), [
    "NEW 41000 ESTABLISHED curl 14:30:00",
  ]);
  deepStrictEqual(t.openConnectionCount, 1);
  deepStrictEqual(t.update([{ ...curl, pid: null, process_name: null }], at(1)), []);
  // The poll did not know the owner: the tracer's is kept.
  deepStrictEqual(t.openConnection(KEY)?.process_name, "curl");
});

Deno.test("Tracker.update() gives a polled connection without an owner the traced process, without an event", () => {
  const t = tracker();
  const events = t.update([{ ...curl, pid: null, process_name: null, process_path: null }], at(0), [
    traced("open", curl, 0),
  ]);
  deepStrictEqual(summary(events), ["NEW 41000 ESTABLISHED curl 14:30:00"]);
});

Deno.test("Tracker.update() closes at the traced time, and the TIME_WAIT socket left behind is not news", () => {
  const t = tracker();
  t.update([curl], at(0));
  const events = t.update([{ ...curl, status: "TIME_WAIT", pid: null, process_name: null }], at(1), [
    traced("close", curl, 0.5),
  ]);
  deepStrictEqual(summary(events), ["CLOSED 41000 ESTABLISHED curl 14:30:00"]);
  deepStrictEqual(t.update([{ ...curl, status: "TIME_WAIT", pid: null, process_name: null }], at(2)), []);
  deepStrictEqual(t.update([], at(3)), []);
  // The same four numbers used again later are a new connection.
  deepStrictEqual(t.update([curl], at(4)).map((e) => e.event), ["NEW"]);
});

Deno.test("Tracker.update() ignores a tracer's report that arrives after the poll that closed its connection", () => {
  const t = tracker();
  t.update([curl], at(0));
  deepStrictEqual(summary(t.update([], at(1))), ["CLOSED 41000 ESTABLISHED curl 14:30:01"]);
  // Read late: the close at 0.5 s and its open at 0 s change nothing.
  deepStrictEqual(t.update([], at(2), [traced("open", curl, 0), traced("close", curl, 0.5)]), []);
});

Deno.test("Tracker.update() reports a socket seen only at its end (ss -E) as NEW and CLOSED; not one without a peer", () => {
  const t = tracker();
  const unowned = { ...curl, pid: null, process_name: null };
  const listening = {
    ...unowned,
    remote_ip: null,
    remote_port: null,
    local_port: 8080,
    direction: "listening" as const,
  };
  const events = t.update([], at(1), [traced("close", unowned, 0.3), traced("close", listening, 0.4)]);
  deepStrictEqual(summary(events), [
    "NEW 41000 ESTABLISHED - 14:30:00",
    "CLOSED 41000 ESTABLISHED - 14:30:00",
  ]);
});

Deno.test("Tracker.update() applies the monitor's filters to traced connections, but a close still ends a kept one", () => {
  const t = tracker();
  deepStrictEqual(t.update([], at(0), [traced("open", curl, 0, false)]), []);
  t.update([curl], at(1));
  deepStrictEqual(
    summary(t.update([curl], at(2), [traced("close", { ...curl, process_name: null }, 1.5, false)])),
    [
      "CLOSED 41000 ESTABLISHED curl 14:30:01",
    ],
  );
});

Deno.test("Tracker.update() stamps NEW connections with the name their address was asked by, and keeps it", () => {
  const names = new Map([["203.0.113.7", "api.example.com"]]);
  const asked: number[] = [];
  const t = tracker({
    domainOf: (ip, when) => {
      asked.push(when);
      return names.get(ip) ?? null;
    },
  });
  const [opened] = t.update([], at(1), [traced("open", curl, 0.25)]);
  deepStrictEqual(opened?.connection.domain, "api.example.com");
  deepStrictEqual(asked, [at(0.25).getTime()]);
  names.clear();
  // The answer's TTL ran out: the open connection keeps its name.
  t.update([curl], at(2));
  deepStrictEqual(t.openConnection(KEY)?.domain, "api.example.com");
});

Deno.test("Tracker.update() names a young connection whose DNS answer was read after it was first seen", () => {
  const names = new Map<string, string>();
  const t = tracker({ domainOf: (ip) => names.get(ip) ?? null });
  const [first] = t.update([curl], at(0));
  deepStrictEqual(first?.connection.domain, null);
  names.set("203.0.113.7", "api.example.com");
  t.update([curl], at(1));
  deepStrictEqual(t.openConnection(KEY)?.domain, "api.example.com");
  // An old connection is not renamed by an answer that came long after it.
  const old = { ...curl, local_port: 41001, remote_ip: "198.51.100.9" };
  t.update([curl, old], at(2));
  names.set("198.51.100.9", "late.example");
  t.update([curl, old], at(20));
  deepStrictEqual(t.openConnection("TCP 10.0.0.2 41001 198.51.100.9 443")?.domain, null);
});

Deno.test("Tracker.update() without names leaves domain out", () => {
  const [event] = tracker().update([curl], at(0));
  deepStrictEqual("domain" in (event?.connection ?? {}), false);
});

Deno.test("Tracker.update() lets a TIME_WAIT socket wait for the tracer's report, and reports it as polling would when none comes", () => {
  const t = tracker();
  t.update([], at(0), []);
  const leftover = { ...curl, status: "TIME_WAIT", pid: null, process_name: null };
  // The server side of a connection that just ended, listed before the tracer's report was read.
  deepStrictEqual(t.update([leftover], at(1), []), []);
  deepStrictEqual(
    summary(t.update([leftover], at(2), [traced("open", curl, 0.9), traced("close", curl, 0.95)])),
    [
      "NEW 41000 ESTABLISHED curl 14:30:00",
      "CLOSED 41000 ESTABLISHED curl 14:30:00",
    ],
  );
  deepStrictEqual(t.update([leftover], at(3), []), []);
  // One the tracer never reports (it ended before the tracer started) is reported after a few seconds.
  const older = { ...leftover, local_port: 42000 };
  deepStrictEqual(t.update([older], at(4), []), []);
  deepStrictEqual(t.update([older], at(6), []), []);
  deepStrictEqual(t.update([older], at(7), []).map((e) => `${e.event} ${e.connection.status}`), [
    "NEW TIME_WAIT",
  ]);
});

Deno.test("Tracker.update() reports TIME_WAIT sockets of the first poll at once, tracer or not", () => {
  const t = tracker();
  const leftover = { ...curl, status: "TIME_WAIT", pid: null, process_name: null };
  deepStrictEqual(t.update([leftover], at(0), []).map((e) => e.event), ["NEW"]);
});

Deno.test("Tracker.update() closes a connection the poll lists when the tracer says so, and a reopening in the same batch is news", () => {
  const t = tracker();
  t.update([curl], at(0));
  // Listed by the poll, closed by the tracer at 1 s and the same four numbers opened again at 2 s.
  const events = t.update([curl], at(3), [traced("close", curl, 1), traced("open", curl, 2)]);
  deepStrictEqual(summary(events), [
    "CLOSED 41000 ESTABLISHED curl 14:30:01",
    "NEW 41000 ESTABLISHED curl 14:30:02",
  ]);
  deepStrictEqual([t.openConnectionCount, t.openConnection(KEY)?.timestamp], [1, isoWithOffset(at(2))]);
  // The next poll without it closes the reopened one, once.
  deepStrictEqual(summary(t.update([], at(4))), ["CLOSED 41000 ESTABLISHED curl 14:30:04"]);
  deepStrictEqual([t.openConnectionCount, [...t.openConnections()]], [0, []]);
  deepStrictEqual(t.update([], at(5)), []);
});
