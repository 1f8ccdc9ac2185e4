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

Deno.test("Tracker.update() with a tracer: a new connection on the four-tuple of one in TIME_WAIT is NEW, and the tracer's late close of the earlier one does not end it", () => {
  const t = tracker();
  const wget = { ...curl, pid: 7, process_name: "wget" };
  t.update([curl], at(0), []);
  // The poll lists its TIME_WAIT before the tracer's report of its close.
  deepStrictEqual(summary(t.update([{ ...unowned, status: "TIME_WAIT" }], at(2), [])), [
    "STATE 41000 TIME_WAIT curl 14:30:02",
  ]);
  // The kernel gives its four-tuple to a new connection (loopback's tcp_tw_reuse); the tracer reports the
  // earlier one's close and the new one's open with the poll that lists the new one.
  const reused = t.update([wget], at(4), [traced("close", curl, 1.5), traced("open", wget, 3)]);
  deepStrictEqual(summary(reused), [
    "CLOSED 41000 TIME_WAIT curl 14:30:04",
    "NEW 41000 ESTABLISHED wget 14:30:04",
  ]);
  deepStrictEqual(t.update([wget], at(5), []), []);
  deepStrictEqual(summary(t.update([], at(6), [traced("close", wget, 5.5)])), [
    "CLOSED 41000 ESTABLISHED wget 14:30:05",
  ]);
  // The tracer's report of the earlier one's close comes a poll after the one that listed the new connection.
  const late = tracker();
  late.update([curl], at(0), []);
  late.update([{ ...unowned, status: "TIME_WAIT" }], at(2), []);
  deepStrictEqual(summary(late.update([wget], at(4), [traced("open", wget, 3)])), [
    "CLOSED 41000 TIME_WAIT curl 14:30:04",
    "NEW 41000 ESTABLISHED wget 14:30:04",
  ]);
  deepStrictEqual(late.update([wget], at(5), [traced("close", curl, 1.5)]), []);
  deepStrictEqual(late.openConnection(KEY)?.process_name, "wget");
});

/** `seconds` (fractions too) after 14:30:00 local time on 2026-11-21. */
function when(seconds: number): Date {
  return new Date(at(0).getTime() + Math.round(seconds * 1000));
}

function tracedAt(kind: "open" | "close", c: Connection, seconds: number, keep = true): TracedChange {
  return { kind, connection: { ...c, timestamp: isoWithOffset(when(seconds)) }, keep };
}

/** Events with their time to the millisecond, their process and how long a closed connection lived. */
function detailed(events: readonly ConnectionEvent[]): string[] {
  return events.map((e) =>
    `${e.event} ${e.connection.local_port} ${e.connection.process_name ?? "-"} ${
      e.connection.timestamp.slice(17, 23)
    }${e.event === "CLOSED" ? ` ${e.duration_s}s` : ""}`
  );
}

const unowned = { ...curl, pid: null, process_name: null, process_path: null };

/** A tracker whose tracer has reported an open (of another connection, at its first poll at 0 s). */
function tracing(): Tracker {
  const t = tracker();
  const other = { ...curl, local_port: 39000 };
  t.update([], when(0), [tracedAt("open", other, 0), tracedAt("close", other, 0)]);
  return t;
}

Deno.test("Tracker.update() with a tracer: the earlier connection's close, traced after the start of the poll that listed what it left, does not end the new connection on its four-tuple", () => {
  const wget = { ...curl, pid: 7, process_name: "wget" };
  // The tracer's clock against the polls': the same, and a little ahead or behind (bpftrace's wall time is
  // fixed when it starts). The poll at 2 s lists the TIME_WAIT in its dump, after it started (a close at
  // 2.01 s); the close of a server side, which leaves no TIME_WAIT, is not listed by that dump (it is swept).
  for (const skew of [0, 0.3, -0.3]) {
    for (const lingers of [true, false]) {
      const t = tracker();
      t.update([curl], when(0), []);
      const ended = t.update(lingers ? [{ ...unowned, status: "TIME_WAIT" }] : [], when(2), []);
      deepStrictEqual(summary(ended), [
        lingers ? "STATE 41000 TIME_WAIT curl 14:30:02" : "CLOSED 41000 ESTABLISHED curl 14:30:02",
      ]);
      // The next polls list a new connection on the four-tuple; the tracer's report of the earlier close comes
      // with the first, or with the second.
      const late = [tracedAt("close", curl, 2.01 + skew)];
      const first = t.update([wget], when(4), lingers ? late : []);
      const second = t.update([wget], when(5), lingers ? [] : late);
      const label = `skew ${skew} s, ${lingers ? "TIME_WAIT" : "swept"}`;
      deepStrictEqual(
        [...summary(first), ...summary(second)],
        [...(lingers ? ["CLOSED 41000 TIME_WAIT curl 14:30:04"] : []), "NEW 41000 ESTABLISHED wget 14:30:04"],
        label,
      );
      deepStrictEqual(t.openConnection(KEY)?.process_name, "wget", label);
      // Its own close, traced, still ends it.
      deepStrictEqual(summary(t.update([], when(6), [tracedAt("close", wget, 5.5 + skew)])), [
        "CLOSED 41000 ESTABLISHED wget 14:30:05",
      ], label);
    }
  }
});

Deno.test("Tracker.update() with a tracer: a connection that opened and closed just before the poll that listed a new one on its four-tuple, reported after that poll, does not end the new one", () => {
  const wget = { ...curl, pid: 7, process_name: "wget" };
  // curl opens and closes within the last 250 ms before the poll at 1 s (the newest reports are held back to be
  // put in order, so its reports come with the poll at 2 s); wget took the four-tuple and that poll lists it.
  const t = tracker();
  t.update([], when(0), []);
  deepStrictEqual(detailed(t.update([wget], when(1), [])), ["NEW 41000 wget 01.000"]);
  const reported = t.update([wget], when(2), [tracedAt("open", curl, 0.8), tracedAt("close", curl, 0.85)]);
  // curl's close is curl's (it was before the poll that listed wget alive): not a CLOSED of wget dated before
  // its NEW, and a second NEW at the next poll.
  deepStrictEqual(detailed(reported), []);
  deepStrictEqual(detailed(t.update([wget], when(3), [])), []);
  deepStrictEqual(t.openConnection(KEY)?.process_name, "wget");
  // wget's own close, traced, still ends it.
  deepStrictEqual(detailed(t.update([], when(4), [tracedAt("close", wget, 3.5)])), [
    "CLOSED 41000 wget 03.500 2.5s",
  ]);
});

Deno.test("Tracker.update() with a tracer: an earlier connection's open and close in the batch do not name the process of the one the poll lists on the four-tuple", () => {
  const wget = { ...curl, pid: 7, process_name: "wget" };
  // The batch: curl opened and closed, then wget opened on the same four-tuple; the poll lists wget's socket
  // without its process. It is wget's, not curl's.
  const t = tracker();
  t.update([], when(0), []);
  deepStrictEqual(
    detailed(t.update([unowned], when(1), [
      tracedAt("open", curl, 0.3),
      tracedAt("close", curl, 0.4),
      tracedAt("open", wget, 0.5),
    ])),
    ["NEW 41000 wget 01.000"],
  );
  deepStrictEqual(t.openConnection(KEY)?.process_name, "wget");
});

Deno.test("Tracker.update() with a tracer: an earlier connection's open and close, reported after the poll that listed a new one on the four-tuple, neither name its process nor end it", () => {
  const wget = { ...unowned, process_path: null };
  // The poll at 1 s lists a connection without its process (the tracer has reported no open yet: it does not
  // wait); curl's open and close from just before that poll come with the next one, with the new one's close.
  const t = tracker();
  t.update([], when(0), []);
  deepStrictEqual(detailed(t.update([wget], when(1), [])), ["NEW 41000 - 01.000"]);
  deepStrictEqual(
    detailed(t.update([], when(2), [
      tracedAt("open", curl, 0.8),
      tracedAt("close", curl, 0.85),
      tracedAt("close", wget, 1.5),
    ])),
    ["CLOSED 41000 - 01.500 0.5s"],
  );
});

Deno.test("Tracker.update() takes a tracer's late report of an open the poll before already listed as that connection, not a second NEW", () => {
  const t = tracker();
  t.update([], when(0));
  // The poll at 0.5 s lists the connection; the tracer's report of its open (at 0.2 s) comes only with the next
  // poll's batch, together with its close (at 1.0 s), and that poll no longer lists it.
  deepStrictEqual(detailed(t.update([curl], when(0.5))), ["NEW 41000 curl 00.500"]);
  deepStrictEqual(
    detailed(t.update([], when(1.5), [tracedAt("open", curl, 0.2), tracedAt("close", curl, 1)])),
    [
      "CLOSED 41000 curl 01.000 0.8s",
    ],
  );
  deepStrictEqual(t.openConnectionCount, 0);
  // The late open alone (no close traced) is not news either: the poll's own sweep closes what it did not list.
  const u = tracker();
  u.update([], when(0));
  u.update([curl], when(0.5));
  deepStrictEqual(detailed(u.update([], when(1.5), [tracedAt("open", curl, 0.2)])), [
    "CLOSED 41000 curl 01.500 1.3s",
  ]);
  deepStrictEqual(u.openConnectionCount, 0);
});

Deno.test("Tracker.update() with a tracer holds the NEW of a connection a poll lists without its process until the tracer's report names it", () => {
  // The poll at 0.5 s lists a short connection before its process is known (its descriptor closed before the
  // walk); the tracer's report of its open (at 0.45 s, with the process) and close (at 0.6 s) comes with the
  // next poll, which no longer lists it: one NEW, with the process, and one CLOSED.
  const t = tracing();
  deepStrictEqual(t.update([unowned], when(0.5), []), []);
  deepStrictEqual(t.openConnectionCount, 0);
  deepStrictEqual(
    detailed(t.update([], when(1.5), [tracedAt("open", curl, 0.45), tracedAt("close", curl, 0.6)])),
    ["NEW 41000 curl 00.450", "CLOSED 41000 curl 00.600 0.15s"],
  );
  deepStrictEqual([t.openConnectionCount, detailed(t.update([], when(2.5), []))], [0, []]);
  // Still listed when the report comes: NEW with the process, stamped when the poll first saw it.
  const u = tracing();
  deepStrictEqual(u.update([unowned], when(0.5), []), []);
  deepStrictEqual(detailed(u.update([unowned], when(1.5), [tracedAt("open", curl, 0.45)])), [
    "NEW 41000 curl 00.500",
  ]);
  deepStrictEqual(detailed(u.update([], when(2.5), [])), ["CLOSED 41000 curl 02.500 2s"]);
});

Deno.test("Tracker.update() with a tracer reports a connection listed without its process as polling would when no report comes", () => {
  const t = tracing();
  const other = { ...unowned, local_port: 42000 };
  deepStrictEqual(t.update([unowned, other], when(1), []), []);
  // Gone at 2 s, never reported: after a few seconds, NEW when first seen and CLOSED when first not listed.
  deepStrictEqual(t.update([other], when(2), []), []);
  deepStrictEqual(t.update([other], when(3), []), []);
  deepStrictEqual(detailed(t.update([other], when(4), [])), [
    "NEW 42000 - 01.000",
    "NEW 41000 - 01.000",
    "CLOSED 41000 - 02.000 1s",
  ]);
  deepStrictEqual(t.openConnectionCount, 1);
  deepStrictEqual(detailed(t.update([], when(5), [])), ["CLOSED 42000 - 05.000 4s"]);
  // One the monitor's filters leave out, once the tracer names its process, is not reported at all.
  const u = tracing();
  deepStrictEqual(u.update([unowned], when(1), []), []);
  deepStrictEqual(
    u.update([], when(2), [tracedAt("open", curl, 0.9, false), tracedAt("close", curl, 1.1, false)]),
    [],
  );
  deepStrictEqual(u.update([], when(5), []), []);
  // Without a tracer, at the first poll, or with one that reports only closes (ss -E), nothing waits.
  deepStrictEqual(detailed(tracker().update([unowned], when(1))), ["NEW 41000 - 01.000"]);
  deepStrictEqual(detailed(tracker().update([unowned], when(1), [])), ["NEW 41000 - 01.000"]);
  const closesOnly = tracker();
  closesOnly.update([], when(0), [tracedAt("close", { ...unowned, local_port: 39000 }, 0)]);
  deepStrictEqual(detailed(closesOnly.update([unowned], when(1), [])), ["NEW 41000 - 01.000"]);
});

Deno.test("Tracker.update() carries the process of a tracer's late open into a connection already reported without one: its CLOSED names it", () => {
  // The first poll reports what it lists at once (the tracer may have missed it): NEW without a process. The
  // tracer's report of its open, read after that poll, names the process; it closes at 1.0 s.
  const t = tracker({ traffic: true });
  const [opened] = t.update([unowned], when(0.5), []);
  deepStrictEqual(detailed(opened === undefined ? [] : [opened]), ["NEW 41000 - 00.500"]);
  deepStrictEqual(
    detailed(t.update([], when(1.5), [tracedAt("open", curl, 0.2), tracedAt("close", curl, 1)])),
    [
      "CLOSED 41000 curl 01.000 0.8s",
    ],
  );
  // History and the page learn the process with the slot of the NEW (no second record).
  deepStrictEqual(
    t.ownersLearned().map((o) => [o.connection.process_name, o.slot === opened?.slot]),
    [["curl", true]],
  );
  deepStrictEqual(t.openConnectionCount, 0);
});

Deno.test("Tracker.endWaiting() reports what waits for the tracer's report when the run ends, as polling would", () => {
  const t = tracing();
  const other = { ...unowned, local_port: 42000 };
  deepStrictEqual(t.update([unowned, other], when(0.5), []), []);
  deepStrictEqual(t.update([other], when(1.5), []), []);
  // The run ends: 42000 is still listed (open from when first seen), 41000 went at 1.5 s.
  deepStrictEqual(detailed(t.endWaiting()), [
    "NEW 41000 - 00.500",
    "CLOSED 41000 - 01.500 1s",
    "NEW 42000 - 00.500",
  ]);
  deepStrictEqual([...t.openConnections()].map((c) => c.local_port), [42000]);
  deepStrictEqual(t.endWaiting(), []);
});
