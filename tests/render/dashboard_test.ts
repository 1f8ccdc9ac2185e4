import { deepStrictEqual, match, ok } from "node:assert/strict";
import type { AddressInfo } from "../../lib/model/address_info.ts";
import type { PollInfo } from "../../lib/model/poll_info.ts";
import { Tracker } from "../../lib/monitor/tracker.ts";
import { Dashboard, type DashboardOptions } from "../../lib/render/dashboard.ts";
import { displayWidth } from "../../lib/render/display_width.ts";
import { at, connection, listener } from "../monitor/_connections.ts";

/** The clock notes are stamped with: 14:31:00 on the tests' day. */
const clock = () => at(60);

function scene(options: Partial<DashboardOptions> = {}): { tracker: Tracker; dashboard: Dashboard } {
  const tracker = new Tracker({ width: options.width ?? 40, groupBy: "ip", maxClosedRows: 100 });
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
    now: clock,
    ...options,
  });
  return { tracker, dashboard };
}

/**
 * 30 peers 127.20.0.1 … 127.20.0.30 of one process, all equally active: the order is the addresses'
 * (numeric: .2 before .10), and they do not fit on a short screen.
 */
function crowd(options: Partial<DashboardOptions> = {}): { tracker: Tracker; dashboard: Dashboard } {
  const tracker = new Tracker({ width: 20, groupBy: "ip", maxClosedRows: 100 });
  const peers = Array.from(
    { length: 30 },
    (_, i) =>
      connection({
        remote_ip: `127.20.0.${30 - i}`,
        local_port: 40000 + i,
        process_name: "python3",
        pid: 900,
      }),
  );
  for (let i = 0; i < 5; i++) tracker.update(peers, at(i));
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 20,
    color: false,
    describe: () => ({}),
    rowNoun: "IPs",
    now: clock,
    ...options,
  });
  return { tracker, dashboard };
}

function poll(overrides: Partial<PollInfo> = {}): PollInfo {
  return { pollMs: 200, recentMs: 200, hiddenConnections: 0, hiddenRows: 0, ...overrides };
}

function rowLines(frame: string): string[] {
  return frame.split("\n").slice(4, -1).filter((line) => line !== "");
}

function press(dashboard: Dashboard, ...keys: string[]): void {
  for (const key of keys) dashboard.onKey(key);
}

// The frames below changed on purpose in issue 23 (the snapshots before it are in git history): the blank 4th
// line now holds column headings (ADDRESS, SOCK, LAST <span>, DETAILS); a SOCK column counts each row's open
// sockets; the timeline gives way (down to 10 cells) so that the details keep the process; the legend line lists
// `/ filter  ? keys`; and the last line is a status line (rows shown, what filters hide, the latest note)
// instead of `… N more rows`.

Deno.test("Dashboard.render() draws the header, legend and rows sorted by activity at 100x10", async (t) => {
  const frame = scene().dashboard.render({ columns: 100, rows: 10 });
  await t.assertSnapshot(frame);
  const lines = frame.split("\n");
  deepStrictEqual(lines.length, 10);
  ok(lines.every((line) => displayWidth(line) <= 100));
});

Deno.test("Dashboard.render() fits a narrow, short terminal and says which rows it shows", async (t) => {
  const frame = scene().dashboard.render({ columns: 50, rows: 6 });
  await t.assertSnapshot(frame);
  ok(frame.split("\n").every((line) => displayWidth(line) <= 50));
  ok(frame.includes("4 IPs, showing 1–1"));
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

Deno.test("Dashboard pins alerted rows on top with their reason, in red, and counts alerts in the header", async (t) => {
  const alertOf = (row: { ip: string | null }) =>
    row.ip === "198.51.100.20" ? "blocklist ips.txt:3 198.51.100.0/24" : null;
  const plain = scene({ alertOf, alertCount: () => 2 }).dashboard.render({ columns: 130, rows: 10 });
  await t.assertSnapshot(plain);
  const rows = rowLines(plain);
  ok(rows[0]?.startsWith("198.51.100.20 "), plain);
  match(
    rows[0] ?? "",
    /\[ALERT blocklist ips\.txt:3 198\.51\.100\.0\/24 \| ESTABLISHED \| Port:80 \| curl \(77\)\]$/,
  );
  match(plain.split("\n")[1] ?? "", /\| ALERTS: 2 \|/);
  match(plain, /4 IPs \(1 alerted on top\)/);

  const coloured = scene({ color: true, alertOf, alertCount: () => 2 }).dashboard.render({
    columns: 110,
    rows: 10,
  });
  const lines = coloured.split("\n");
  ok(lines.some((line) => line.startsWith("\x1b[31m198.51.100.20")), coloured);
  ok(!lines.some((line) => line.startsWith("\x1b[31mdns.google")), coloured);
  ok(lines[1]?.includes("\x1b[31mALERTS: 2\x1b[0m"), lines[1]);
});

Deno.test("Dashboard keeps pinned rows in view while the rest scroll, and pins at most half the screen", () => {
  const alerted = new Set(["127.20.0.7", "127.20.0.8", "127.20.0.9", "127.20.0.10", "127.20.0.11"]);
  const { dashboard } = crowd({
    alertOf: (row) => (row.ip !== null && alerted.has(row.ip) ? "UNEXPECTED" : null),
  });
  const size = { columns: 80, rows: 11 }; // 6 rows of room: 3 pinned, 3 scrolling
  const first = rowLines(dashboard.render(size)).map((line) => line.split(" ")[0]);
  deepStrictEqual(first, [
    "127.20.0.7",
    "127.20.0.8",
    "127.20.0.9",
    "127.20.0.10",
    "127.20.0.11",
    "127.20.0.1",
  ]);
  press(dashboard, "end");
  const last = dashboard.render(size);
  deepStrictEqual(rowLines(last).map((line) => line.split(" ")[0]), [
    "127.20.0.7",
    "127.20.0.8",
    "127.20.0.9",
    "127.20.0.28",
    "127.20.0.29",
    "127.20.0.30",
  ]);
  match(last, /30 IPs \(3 alerted on top\), showing 25–27/);
});

Deno.test("Dashboard scrolls with ↑ ↓ j k PgUp PgDn Home End, in numeric address order", async (t) => {
  const { dashboard } = crowd();
  const size = { columns: 80, rows: 12 };
  const firstOf = () => rowLines(dashboard.render(size))[0]?.split(" ")[0];
  deepStrictEqual(firstOf(), "127.20.0.1");
  deepStrictEqual(rowLines(dashboard.render(size)).map((l) => l.split(" ")[0]).slice(0, 3), [
    "127.20.0.1",
    "127.20.0.2",
    "127.20.0.3",
  ]);
  deepStrictEqual(dashboard.onKey("down"), "redraw");
  deepStrictEqual(firstOf(), "127.20.0.2");
  press(dashboard, "j", "j");
  deepStrictEqual(firstOf(), "127.20.0.4");
  press(dashboard, "k");
  deepStrictEqual(firstOf(), "127.20.0.3");
  press(dashboard, "pagedown");
  deepStrictEqual(firstOf(), "127.20.0.10"); // one page is the 7 rows of the scroll region
  press(dashboard, "end");
  const end = dashboard.render(size);
  await t.assertSnapshot(end);
  deepStrictEqual(rowLines(end).at(-1)?.split(" ")[0], "127.20.0.30");
  match(end, /30 IPs, showing 24–30 \(↑↓ PgUp PgDn\)/);
  press(dashboard, "pageup");
  deepStrictEqual(firstOf(), "127.20.0.17");
  press(dashboard, "up");
  deepStrictEqual(firstOf(), "127.20.0.16");
  press(dashboard, "home");
  deepStrictEqual(firstOf(), "127.20.0.1");
  deepStrictEqual(dashboard.onKey("up"), "none", "scrolled above the first row");
});

Deno.test("Dashboard sorts IPv4 and IPv6 addresses by number in name order", () => {
  const tracker = new Tracker({ width: 10, groupBy: "ip", maxClosedRows: 100 });
  const ips = ["2001:db8::10", "127.20.0.100", "2001:db8::2", "127.20.0.2", "::1", "127.20.0.10"];
  tracker.update(
    ips.map((ip, i) => connection({ remote_ip: ip, family: ip.includes(":") ? 6 : 4, local_port: i })),
    at(0),
  );
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 10,
    color: false,
    describe: () => ({}),
    rowNoun: "IPs",
  });
  press(dashboard, "s", "s");
  deepStrictEqual(dashboard.sort, "name");
  deepStrictEqual(rowLines(dashboard.render({ columns: 80, rows: 14 })).map((l) => l.split(" ")[0]), [
    "127.20.0.2",
    "127.20.0.10",
    "127.20.0.100",
    "::1",
    "2001:db8::2",
    "2001:db8::10",
  ]);
});

Deno.test("Dashboard / filters rows as you type, says how many it hides, and Esc clears it", async (t) => {
  const { dashboard } = scene();
  const size = { columns: 100, rows: 10 };
  deepStrictEqual(dashboard.onKey("/"), "redraw");
  press(dashboard, "c", "u", "r", "x", "backspace");
  const typing = dashboard.render(size);
  match(typing.split("\n").at(-1) ?? "", /^\/cur▏ {2}Enter keeps the filter, Esc clears it/);
  deepStrictEqual(rowLines(typing).map((l) => l.split(" ")[0]), ["198.51.100.20"]);
  deepStrictEqual(dashboard.onKey("q"), "redraw", "q is text while typing a filter");
  press(dashboard, "backspace", "enter");
  deepStrictEqual(dashboard.filter, "cur");
  const kept = dashboard.render(size);
  await t.assertSnapshot(kept);
  match(kept, /1 IPs \| \/cur: 3 hidden \(Esc clears\)/);
  match(kept.split("\n")[1] ?? "", /\| Filter: \/cur$/);
  deepStrictEqual(dashboard.onKey("q"), "quit", "q quits again once the filter is kept");
  press(dashboard, "escape");
  deepStrictEqual(dashboard.filter, "");
  deepStrictEqual(rowLines(dashboard.render(size)).length, 4);
  press(dashboard, "/", "s", "s", "h", "d");
  deepStrictEqual(rowLines(dashboard.render(size)).map((l) => l.split(" ")[0]), ["0.0.0.0"]);
  press(dashboard, "escape");
  deepStrictEqual(dashboard.filter, "");
});

Deno.test("Dashboard ? shows the keys, and any key goes back to the rows", async (t) => {
  const { dashboard } = scene();
  deepStrictEqual(dashboard.onKey("?"), "redraw");
  const help = dashboard.render({ columns: 100, rows: 18 });
  await t.assertSnapshot(help);
  match(help, /PgUp PgDn +scroll one page/);
  deepStrictEqual(dashboard.onKey("x"), "redraw");
  ok(!dashboard.render({ columns: 100, rows: 18 }).includes("PgUp PgDn       scroll"));
});

Deno.test("Dashboard at 80 columns shrinks the timeline and drops the AS name before the process", async (t) => {
  const geo: Record<string, AddressInfo> = {
    "8.8.8.8": { hostname: "dns.google", country: "US", asn: 15169, as_org: "Google LLC" },
    "198.51.100.20": { country: "NL", asn: 64500, as_org: "A Very Long Network Operator Name B.V." },
  };
  const { dashboard } = scene({ width: 80, describe: (ip) => geo[ip] ?? {} });
  const frame = dashboard.render({ columns: 80, rows: 10 });
  await t.assertSnapshot(frame);
  for (const [ip, process] of [["8.8.8.8", "firefox (4211)"], ["198.51.100.20", "curl (77)"]] as const) {
    const line = rowLines(frame).find((l) => l.includes(ip)) ?? "";
    ok(line.endsWith(`${process}]`), `the process went first: ${line}`);
  }
  ok(frame.split("\n").every((line) => displayWidth(line) <= 80));
  // Wide enough, the timeline grows to -w and the details are whole.
  const wide = dashboard.render({ columns: 200, rows: 10 });
  ok(
    wide.includes(
      "[NL | AS64500 A Very Long Network Operator Name B.V. | ESTABLISHED | Port:80 | curl (77)]",
    ),
  );
  ok(rowLines(wide).some((line) => /[·▲■○×]{80} \[/.test(line)), wide);
});

Deno.test("Dashboard status line: notes as they come, and the rows the monitor's filters hide", async (t) => {
  const { dashboard } = scene({ filterNames: "--filter-local" });
  dashboard.onPoll(poll({ hiddenConnections: 40, hiddenRows: 35 }));
  dashboard.note("note: ips.txt re-read: 3 entries");
  const frame = dashboard.render({ columns: 140, rows: 10 });
  await t.assertSnapshot(frame);
  deepStrictEqual(
    frame.split("\n").at(-1),
    "4 IPs | 35 IPs hidden by --filter-local | 14:31:00 note: ips.txt re-read: 3 entries",
  );
  dashboard.note("warning: AbuseIPDB rate limit reached; checks resume at 15:00:00\x1b[2J");
  const later = dashboard.render({ columns: 140, rows: 10 }).split("\n").at(-1) ?? "";
  match(
    later,
    /\| \[2 notes\] 14:31:00 warning: AbuseIPDB rate limit reached; checks resume at 15:00:00\\x1b\[2J$/,
  );
});

Deno.test("Dashboard says when polls take longer than the time unit", () => {
  const { dashboard } = scene();
  dashboard.onPoll(poll({ pollMs: 1500, recentMs: 1420 }));
  match(
    dashboard.render({ columns: 100, rows: 10 }).split("\n")[1] ?? "",
    /\| Interval: 1s \(polls take 1\.4s\) \|/,
  );
  dashboard.onPoll(poll({ pollMs: 300, recentMs: 400 }));
  match(dashboard.render({ columns: 100, rows: 10 }).split("\n")[1] ?? "", /\| Interval: 1s \| IPs/);
});

Deno.test("Dashboard frames have exactly the terminal's size at every width and height", () => {
  const alertOf = (
    row: { ip: string | null },
  ) => (row.ip === "127.20.0.9" ? "blocklist x:1 127.20.0.0/16" : null);
  for (const color of [false, true]) {
    const { dashboard } = crowd({
      alertOf,
      color,
      describe: (ip) => ({ hostname: `host-${ip}.example`, country: "US" }),
    });
    for (let columns = 10; columns <= 200; columns += 7) {
      for (const rows of [1, 3, 5, 6, 9, 24]) {
        const frame = dashboard.render({ columns, rows });
        const lines = frame.split("\n");
        deepStrictEqual(lines.length, rows, `${columns}x${rows}`);
        // deno-lint-ignore no-control-regex
        const visible = lines.map((line) => displayWidth(line.replace(/\x1b\[[0-9;]*m/g, "")));
        ok(visible.every((w) => w <= Math.max(20, columns)), `${columns}x${rows}: ${frame}`);
      }
    }
  }
});

Deno.test("Dashboard paused: the frozen rows still scroll and filter", () => {
  const { tracker, dashboard } = crowd();
  const size = { columns: 80, rows: 12 };
  press(dashboard, "p");
  const frozen = dashboard.render(size);
  tracker.update([], at(5));
  press(dashboard, "down");
  const scrolled = rowLines(dashboard.render(size));
  deepStrictEqual(scrolled[0]?.split(" ")[0], "127.20.0.2");
  ok(scrolled.every((line) => !line.includes("×")), "the paused rows moved on");
  press(dashboard, "up");
  deepStrictEqual(dashboard.render(size), frozen);
});

Deno.test("Dashboard name order puts numbers in labels in numeric order too (processes, connections)", () => {
  const tracker = new Tracker({ width: 10, groupBy: "connection", maxClosedRows: 100 });
  tracker.update(
    [9000, 50000, 443, 10000].map((port) => connection({ remote_ip: "8.8.8.8", local_port: port })),
    at(0),
  );
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 10,
    color: false,
    describe: () => ({}),
    rowNoun: "connections",
  });
  press(dashboard, "s", "s");
  deepStrictEqual(rowLines(dashboard.render({ columns: 100, rows: 12 })).map((l) => l.split(" ")[1]), [
    "10.0.0.2:443",
    "10.0.0.2:9000",
    "10.0.0.2:10000",
    "10.0.0.2:50000",
  ]);
});

Deno.test("Dashboard connection rows keep the local port and the remote end when the label is cut (80 and 140 columns)", () => {
  const tracker = new Tracker({ width: 60, groupBy: "connection", maxClosedRows: 100 });
  // A farm's shape: many connections from one address to two ports of one peer, one of them alerted.
  const farm = [32774, 32788, 32796].flatMap((port) =>
    [40519, 40701].map((remote) =>
      connection({
        local_ip: "127.0.0.1",
        local_port: port,
        remote_ip: "127.0.0.1",
        remote_port: remote,
        process_name: "python3",
        pid: 26054,
      })
    )
  );
  const alerted = connection({
    local_ip: "127.0.0.1",
    local_port: 46168,
    remote_ip: "127.66.6.6",
    remote_port: 4444,
    process_name: "python3",
    pid: 27097,
  });
  for (let i = 0; i < 3; i++) tracker.update([...farm, alerted], at(i));
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 60,
    color: false,
    describe: () => ({}),
    rowNoun: "connections",
    alertOf: (row) => (row.ip === "127.66.6.6" ? "blocklist ips.txt:2 127.66.6.6" : null),
  });
  press(dashboard, "s", "s");
  const farmRows = (label: (local: number, remote: number) => string) =>
    [32774, 32788, 32796].flatMap((port) => [40519, 40701].map((remote) => label(port, remote)));
  // 80 columns: the protocol and the local address give way, the local port and the remote port stay, and
  // the alerted row keeps the start of its reason (its state and port give way for it).
  deepStrictEqual(rowLines(dashboard.render({ columns: 80, rows: 12 })), [
    ":46168 → ….6.6:4444    1 ·······▲■■ [ALERT blocklist ips.txt… | python3 (27097)]",
    ...farmRows((local, remote) =>
      `:${local} → …0.1:${remote}    1 ·······▲■■ [ESTABLISHED | Port:${remote} | python3 (26054)]`
    ),
  ]);
  // 110 columns: the labels are whole; the reason is cut and the alerted row's port (in its label) gives way.
  deepStrictEqual(rowLines(dashboard.render({ columns: 110, rows: 12 })), [
    "TCP 127.0.0.1:46168 → 127.66.6.6:4444    1 ·······▲■■ [ALERT blocklist ips.t… | ESTABLISHED | python3 (27097)]",
    ...farmRows((local, remote) =>
      `TCP 127.0.0.1:${local} → 127.0.0.1:${remote}    1 ·······▲■■ [ESTABLISHED | Port:${remote} | python3 (26054)]`
    ),
  ]);
});

Deno.test("Dashboard End follows the last row as rows come, until a key scrolls up", () => {
  const { tracker, dashboard } = crowd();
  const size = { columns: 80, rows: 12 };
  const lastOf = () => rowLines(dashboard.render(size)).at(-1)?.split(" ")[0];
  deepStrictEqual(dashboard.onKey("end"), "redraw");
  deepStrictEqual(lastOf(), "127.20.0.30");
  const more = Array.from(
    { length: 35 },
    (_, i) => connection({ remote_ip: `127.20.0.${i + 1}`, local_port: 41000 + i }),
  );
  tracker.update(more, at(5));
  press(dashboard, "s", "s"); // name order: the new .31 … .35 sort last
  deepStrictEqual(lastOf(), "127.20.0.35");
  press(dashboard, "k");
  deepStrictEqual(lastOf(), "127.20.0.34");
  tracker.update([...more, connection({ remote_ip: "127.20.0.36", local_port: 42000 })], at(6));
  deepStrictEqual(lastOf(), "127.20.0.34", "followed the end after scrolling up");
});

/** Three peers moving different amounts: a bulk download, a trickle, and an open connection gone idle. */
function trafficScene(): { tracker: Tracker; dashboard: Dashboard } {
  const tracker = new Tracker({ width: 40, groupBy: "ip", maxClosedRows: 100, traffic: true });
  const bulk = (i: number) =>
    connection({
      remote_ip: "198.51.100.20",
      local_port: 50001,
      bytes_sent: 2_000 * i,
      bytes_received: 3_145_728 * i,
    });
  const trickle = (i: number) =>
    connection({ remote_ip: "8.8.8.8", local_port: 50002, bytes_sent: 512 * i, bytes_received: 1_536 * i });
  const idle = (i: number) =>
    connection({
      remote_ip: "203.0.113.9",
      local_port: 50003,
      bytes_sent: 4_096 * Math.min(i, 4),
      bytes_received: 65_536 * Math.min(i, 4),
    });
  const udp = connection({
    protocol: "UDP",
    status: "CONNECTED",
    remote_ip: "192.0.2.53",
    remote_port: 53,
    local_port: 50004,
    bytes_sent: null,
    bytes_received: null,
  });
  for (let i = 0; i < 12; i++) {
    const poll = [listener(22, { bytes_sent: null, bytes_received: null }), trickle(i), idle(i), udp];
    if (i >= 6) poll.push(bulk(i - 5));
    tracker.update(poll, at(i));
  }
  const dashboard = new Dashboard(tracker, {
    timeUnitSeconds: 1,
    width: 40,
    color: false,
    describe: (ip) => (ip === "8.8.8.8" ? { hostname: "dns.google" } : {}),
    rowNoun: "IPs",
  });
  return { tracker, dashboard };
}

Deno.test("Dashboard with --traffic: s steps to the rate order; rates, totals and idle cells in the frame", async (t) => {
  const { dashboard } = trafficScene();
  for (const order of ["recent", "name", "rate"]) {
    dashboard.onKey("s");
    deepStrictEqual(dashboard.sort, order);
  }
  const frame = dashboard.render({ columns: 120, rows: 10 });
  await t.assertSnapshot(frame);
  const lines = frame.split("\n");
  ok(lines.every((line) => [...line].length <= 120));
  // Sorted by the last second's rate: 3 MiB/s, then 2 KiB/s, then the idle peer, then UDP (no counters).
  const order = lines.slice(4, 8).map((line) => line.split(" ")[0]);
  deepStrictEqual(order, ["198.51.100.20", "dns.google", "203.0.113.9", "192.0.2.53"]);
  ok(lines[4]?.includes("↑2.0K ↓3.0M"), lines[4]);
  ok(lines[1]?.includes("↑ 2.45 KiB/s ↓ 3.00 MiB/s"), lines[1]); // 2,000 + 512 B/s; 3 MiB + 1.5 KiB/s
  ok(/^192\.0\.2\.53 +1 +- /.test(lines[7] ?? ""), lines[7]); // UDP: unknown, not zero
  ok(lines[3]?.includes("RATE"), lines[3]);
  ok(/□{7}$/.test(lines[6]?.split(" ").find((part) => part.includes("□")) ?? ""), lines[6]);
  ok(/■+$/.test(lines[7]?.split(" ").find((part) => part.includes("■")) ?? ""), "a UDP row is never idle");
  dashboard.onKey("s");
  deepStrictEqual(dashboard.sort, "activity");
});

Deno.test("Dashboard without --traffic: s never reaches the rate order and no rate column is drawn", () => {
  const { dashboard } = scene();
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    dashboard.onKey("s");
    seen.add(dashboard.sort);
  }
  deepStrictEqual([...seen].sort(), ["activity", "name", "recent"]);
  ok(!dashboard.render({ columns: 100, rows: 10 }).includes("↑"));
});
