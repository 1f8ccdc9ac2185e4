import { deepStrictEqual, ok } from "node:assert/strict";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { Dashboard, type DashboardOptions } from "../../lib/render/dashboard.ts";
import { at, connection, listener } from "../monitor/_connections.ts";

function scene(options: Partial<DashboardOptions> = {}): { tracker: Tracker; dashboard: Dashboard } {
  const tracker = new Tracker({ width: 40, groupBy: "ip", maxClosedRows: 100 });
  const google = connection({ remote_ip: "8.8.8.8" });
  const cdn = connection({
    remote_ip: "198.51.100.20",
    local_port: 50001,
    remote_port: 80,
    process_name: "curl",
    pid: 77,
  });
  const gone = connection({ remote_ip: "203.0.113.9", local_port: 50002 });
  for (let i = 0; i < 12; i++) {
    const poll = [listener(22), google];
    if (i >= 6) poll.push(cdn);
    if (i >= 2 && i < 5) poll.push(gone);
    tracker.update(poll, at(i));
  }
  const describe = (ip: string) =>
    ip === "8.8.8.8"
      ? { hostname: "dns.google" }
      : ip === "203.0.113.9"
      ? { hostname: "\x1b[2J\x1b[31mevil" }
      : {};
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 40,
    color: false,
    describe,
    rowNoun: "IPs",
    ...options,
  });
  return { tracker, dashboard };
}

Deno.test("Dashboard.render() draws the header, legend and rows sorted by activity at 100x10", async (t) => {
  const frame = scene().dashboard.render({ columns: 100, rows: 10 });
  await t.assertSnapshot(frame);
  const lines = frame.split("\n");
  deepStrictEqual(lines.length, 10);
  ok(lines.every((line) => [...line].length <= 100));
});

Deno.test("Dashboard.render() fits a narrow, short terminal and says how many rows it left out", async (t) => {
  const frame = scene().dashboard.render({ columns: 50, rows: 6 });
  await t.assertSnapshot(frame);
  ok(frame.split("\n").every((line) => [...line].length <= 50));
  ok(frame.includes("… 3 more rows"));
});

Deno.test("Dashboard.render() shows a hostile name as text: no escape reaches the terminal", () => {
  const frame = scene({ color: false }).dashboard.render({ columns: 120, rows: 12 });
  ok(!frame.includes("\x1b"), "an escape byte reached the frame");
  ok(frame.includes("\\x1b[2J\\x1b[31mevil (203.0.113.9)"));
});

Deno.test("Dashboard.render() colours each symbol when colours are on, and only then", () => {
  const coloured = scene({ color: true }).dashboard.render({ columns: 120, rows: 12 });
  for (const sequence of ["\x1b[32m▲", "\x1b[34m■", "\x1b[33m○", "\x1b[31m×", "\x1b[90m·"]) {
    ok(coloured.includes(sequence), `missing ${JSON.stringify(sequence)}`);
  }
  ok(!coloured.includes("\x1b[2J"), "the hostile name's escape got through");
});

Deno.test("Dashboard.onKey() pauses, sorts and quits", async (t) => {
  const { tracker, dashboard } = scene();
  const before = dashboard.render({ columns: 100, rows: 10 });
  deepStrictEqual(dashboard.onKey("p"), "redraw");
  const paused = dashboard.render({ columns: 100, rows: 10 });
  ok(paused.includes("[PAUSED]"));
  deepStrictEqual(paused.split("\n").slice(1), before.split("\n").slice(1));
  tracker.update([], at(12));
  deepStrictEqual(dashboard.render({ columns: 100, rows: 10 }), paused, "a paused frame moved on");
  deepStrictEqual(dashboard.onKey("s"), "redraw");
  deepStrictEqual(dashboard.sort, "recent");
  dashboard.onKey("p");
  dashboard.onKey("s");
  await t.assertSnapshot(dashboard.render({ columns: 100, rows: 10 }));
  deepStrictEqual(dashboard.onKey("x"), "none");
  deepStrictEqual(dashboard.onKey("q"), "quit");
  deepStrictEqual(dashboard.onKey("\x03"), "quit");
});

Deno.test("Dashboard.render() draws an alerted row's label in red, and only that row's", () => {
  const { dashboard } = scene({ color: true, isAlerted: (row) => row.ip === "198.51.100.20" });
  const lines = dashboard.render({ columns: 100, rows: 12 }).split("\n");
  const alerted = lines.find((line) => line.includes("198.51.100.20")) ?? "";
  const other = lines.find((line) => line.includes("dns.google")) ?? "";
  ok(alerted.includes("\x1b[31m198.51.100.20"), JSON.stringify(alerted));
  ok(!other.includes("\x1b[31mdns.google"), JSON.stringify(other));
});
