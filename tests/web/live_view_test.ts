import { isoWithOffset } from "../../lib/model/timestamp.ts";
import { deepStrictEqual, ok } from "node:assert/strict";
import { Tracker } from "../../lib/monitor/tracker.ts";
import type { ConnectionEvent } from "../../lib/model/monitor_event.ts";
import { type LiveStateEvent, type LiveUpdate, LiveView } from "../../lib/web/live_view.ts";
import { LIVE_FIELDS, type LiveRow } from "../../lib/web/live_wire.ts";
import { PollPace } from "../../lib/web/poll_pace.ts";
import { connection, listener } from "../monitor/_connections.ts";

/** A row as the page decodes it. */
function decode(row: LiveRow): Record<string, string | number | null> {
  return Object.fromEntries(LIVE_FIELDS.map((field, i) => [field, row[i] ?? null]));
}

function liveView(
  names: Map<string, string>,
  options: { clock?: { now: number }; rowsPerEvent?: number } = {},
) {
  const tracker = new Tracker({ width: 20, groupBy: "process", maxClosedRows: 100 });
  const updates: LiveUpdate[] = [];
  const clock = options.clock;
  const view = new LiveView(tracker, {
    timeUnitSeconds: 1,
    width: 20,
    describe: (ip) => ({ hostname: names.get(ip) }),
    risk: () => ({}),
    publish: (event, data) => event === "update" && updates.push(JSON.parse(data.text) as LiveUpdate),
    rowsPerEvent: options.rowsPerEvent ?? 4000,
    ...(clock === undefined ? {} : { pace: { pace: new PollPace(1000), now: () => clock.now } }),
  });
  const poll = async (
    connections: ReturnType<typeof connection>[],
    second: number,
    extra: (events: ConnectionEvent[]) => ConnectionEvent[] = () => [],
  ) => {
    const at = new Date(second * 1000);
    const events = tracker.update(connections, at);
    await view.onPoll([...events, ...extra(events)], null, at);
    return updates.at(-1)!;
  };
  return { view, poll };
}

Deno.test("LiveView publishes new, changed and closed connections, and treats TIME_WAIT as closed", async () => {
  const { view, poll } = liveView(new Map());
  const a = connection();
  const b = connection({ local_port: 50001 });
  const first = await poll([a, b], 0);
  deepStrictEqual(first.added.map((c) => decode(c).local_port), [50000, 50001]);
  deepStrictEqual(first.processes.map((p) => [p.label, p.open, p.timeline.at(-1)]), [[
    "firefox (4211)",
    2,
    "▲",
  ]]);
  const second = await poll([{ ...a, status: "CLOSE_WAIT" }, { ...b, status: "TIME_WAIT" }], 1);
  deepStrictEqual(second.changed.map((c) => [decode(c).local_port, decode(c).status]), [[
    50000,
    "CLOSE_WAIT",
  ]]);
  deepStrictEqual(second.removed.length, 1);
  const third = await poll([], 2);
  deepStrictEqual(third.removed.length, 1);
  deepStrictEqual(view.state().connections, []);
  deepStrictEqual([first.point.open, second.point.open, third.point.open], [2, 1, 0]);
  deepStrictEqual([second.point.closed, third.point.closed], [1, 1]);
});

Deno.test("LiveView sends an address again only when what is known about it changes", async () => {
  const names = new Map<string, string>();
  const { view, poll } = liveView(names);
  // Stamped with the time of the poll that first lists it, as a collector stamps it: it is kept as it is.
  const c = connection({ timestamp: isoWithOffset(new Date(0)) });
  deepStrictEqual((await poll([c], 0)).addresses, {
    "203.0.113.7": { alerted: false, local: true },
  });
  deepStrictEqual((await poll([c], 1)).addresses, {});
  names.set("203.0.113.7", "<img src=x onerror=alert(1)>");
  // An unchanged address is looked up again after 1, 2, 4 … polls: the name shows within two more.
  const seen = [await poll([c], 2), await poll([c], 3)].map((u) => u.addresses["203.0.113.7"]?.hostname);
  deepStrictEqual(seen, [undefined, "<img src=x onerror=alert(1)>"]);
  deepStrictEqual((await poll([c], 4)).addresses, {});
  deepStrictEqual(view.connections([view.state().connections[0]!.key, "no such key"]), [c]);
});

Deno.test("LiveView sends a connection again when a later poll names its process", async () => {
  const { view, poll } = liveView(new Map());
  const owned = connection();
  const first = await poll([{ ...owned, pid: null, process_name: null, process_path: null }], 0);
  deepStrictEqual(first.added.map((c) => decode(c).process_key), ["- "]);
  const second = await poll([owned], 1);
  deepStrictEqual(second.changed.map((c) => [decode(c).pid, decode(c).process_name, decode(c).process_key]), [
    [
      4211,
      "firefox",
      "4211 firefox",
    ],
  ]);
  deepStrictEqual(view.state().connections.map((c) => c.process_name), ["firefox"]);
  deepStrictEqual((await poll([owned], 2)).changed, []);
});

Deno.test("LiveView turns a connection listed before its listener incoming once the listener is listed", async () => {
  const { view, poll } = liveView(new Map());
  // `ss` read the accepted side but not its listener (listed first, before the listener existed): outgoing.
  const accepted = connection({ local_port: 8080, remote_ip: "10.0.0.9", remote_port: 50123 });
  const other = connection({ local_port: 50001 });
  const first = await poll([accepted, other], 0);
  deepStrictEqual(first.added.map((c) => decode(c).direction), ["outgoing", "outgoing"]);
  const second = await poll([listener(8080), { ...accepted, direction: "incoming" }, other], 1);
  deepStrictEqual(second.changed.map((c) => [decode(c).local_port, decode(c).direction]), [[
    8080,
    "incoming",
  ]]);
  deepStrictEqual(
    view.connections(["TCP 10.0.0.2 8080 10.0.0.9 50123"])
      .map((c) => c.direction),
    ["incoming"],
  );
  deepStrictEqual(
    (await poll([listener(8080), { ...accepted, direction: "incoming" }, other], 2)).changed,
    [],
  );
});

Deno.test("LiveView.stateEvents() sends rows in parts, alerted processes first, then the busiest", async () => {
  const { view, poll } = liveView(new Map());
  const busy = Array.from(
    { length: 5 },
    (_, i) => connection({ pid: 10, process_name: "busy", local_port: 40000 + i }),
  );
  const quiet = Array.from(
    { length: 2 },
    (_, i) =>
      connection({ pid: 20, process_name: "quiet", local_port: 41000 + i, remote_ip: "198.51.100.9" }),
  );
  await poll([...busy, ...quiet], 0, (events) => {
    const alerted = events.find((e) => e.connection.process_name === "quiet")!;
    return [{ event: "ALERT", connection: alerted.connection, reason: "blocklist test", severity: "error" }];
  });
  const events = view.stateEvents(3);
  deepStrictEqual(events.map((e) => e.event), ["state", "rows", "rows"]);
  const head = JSON.parse(events[0]!.data.text) as LiveStateEvent;
  deepStrictEqual([head.total, head.fields], [7, LIVE_FIELDS]);
  const rows = [
    head.connections,
    ...events.slice(1).map((e) => JSON.parse(e.data.text).connections as LiveRow[]),
  ]
    .flat().map(decode);
  deepStrictEqual(rows.map((r) => r.process_name), [
    "quiet",
    "quiet",
    "busy",
    "busy",
    "busy",
    "busy",
    "busy",
  ]);
  deepStrictEqual(head.alerts.map((a) => [a.process_key, a.key.startsWith("TCP ")]), [["20 quiet", true]]);
  deepStrictEqual(head.addresses["198.51.100.9"]?.alerted, true);
  deepStrictEqual(head.series.map((p) => [p.open, p.opened, p.alerts]), [[7, 7, 1]]);
});

Deno.test("LiveView counts each poll's work against the time unit and sends the pace with the update", async () => {
  const clock = { now: 0 };
  const { poll } = liveView(new Map(), { clock });
  clock.now = 250;
  const first = await poll([connection()], 0);
  deepStrictEqual([first.pace?.poll_ms, first.pace?.overruns], [250, 0]);
  clock.now = 2500;
  const second = await poll([connection()], 1);
  deepStrictEqual([second.pace?.poll_ms, second.pace?.overruns, second.pace?.max_ms], [1500, 1, 1500]);
  clock.now = 5100;
  const third = await poll([connection()], 5);
  ok((third.pace?.missed_ticks ?? 0) >= 3, JSON.stringify(third.pace));
});

Deno.test("LiveView sends a poll with more new connections than one event carries in parts", async () => {
  const tracker = new Tracker({ width: 20, groupBy: "process", maxClosedRows: 100 });
  const sent: { event: string; rows: number }[] = [];
  const view = new LiveView(tracker, {
    timeUnitSeconds: 1,
    width: 20,
    describe: () => ({}),
    risk: () => ({}),
    publish: (event, data) =>
      sent.push({
        event,
        rows: event === "update"
          ? (JSON.parse(data.text) as LiveUpdate).added.length
          : (JSON.parse(data.text) as { connections: LiveRow[] }).connections.length,
      }),
    rowsPerEvent: 4,
  });
  const at = new Date(0);
  const many = Array.from({ length: 10 }, (_, i) => connection({ local_port: 30000 + i }));
  await view.onPoll(tracker.update(many, at), null, at);
  deepStrictEqual(sent, [{ event: "update", rows: 4 }, { event: "rows", rows: 4 }, {
    event: "rows",
    rows: 2,
  }]);
});
