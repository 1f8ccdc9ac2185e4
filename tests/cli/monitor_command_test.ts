import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { runMonitorCommand } from "../../lib/cli/monitor_command.ts";
import { io, options, scripted, socket, steppingClock } from "./_monitor_io.ts";
import { ptrResolver } from "../../lib/enrich/reverse_dns.ts";
import { parseIpList } from "../../lib/parse/ip_list.ts";
import { startDnsServer } from "../dns_server.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";
import { tempDir } from "../temp_dir.ts";

const platform = denoPlatform();

Deno.test("monitor --resolve-names --dns-server shows names from a real DNS server on loopback in scroll lines", async () => {
  const server = await startDnsServer({
    "192.0.2.5": "five.test.",
    "192.0.2.6": "\x1b[31mevil\x1b[2J.test.",
  });
  try {
    // PTR queries are counted with the monitor's other pending work: each poll waits for the answers.
    const run = io(
      scripted([[socket("192.0.2.5", 50000), socket("192.0.2.6", 50001), socket("192.0.2.9", 50002)]]),
    );
    run.io.resolver = run.work.track(
      ptrResolver(platform.network, { ipAddr: "127.0.0.1", port: server.port }),
    );
    const code = await runMonitorCommand(
      options(["--count", "2", "-t", "0.05", "--resolve-names", "--dns-server", `127.0.0.1:${server.port}`]),
      run.io,
    );
    deepStrictEqual(code, 0);
    const lines = run.stdout().split("\n");
    match(
      lines[0] ?? "",
      /^\[\d\d:\d\d:\d\d\] NEW → five\.test \(192\.0\.2\.5\) ESTABLISHED:443 firefox \(4211\) from :50000$/,
    );
    ok(lines[1]?.includes("evil") && lines[1].includes("(192.0.2.6)"), lines[1]);
    match(lines[2] ?? "", /NEW → 192\.0\.2\.9 ESTABLISHED:443/);
    ok(!run.stdout().includes("\x1b"), "an escape byte from DNS reached the terminal");
  } finally {
    await server.close();
  }
});

Deno.test("monitor --format ndjson writes one parseable event per line with names and a STATUS", async () => {
  const a = socket("198.51.100.1", 50000);
  const run = io(scripted([[a], [a], [{ ...a, status: "TIME_WAIT" }], []]));
  await runMonitorCommand(options(["--count", "10", "-t", "0.01", "--format", "ndjson"]), run.io);
  const events = run.stdout().trim().split("\n").map((line) => JSON.parse(line));
  deepStrictEqual(events.map((e) => e.event), ["NEW", "STATE", "CLOSED", "STATUS"]);
  deepStrictEqual([events[0].remote_ip, events[0].process_path, events[1].previous_status], [
    "198.51.100.1",
    "/usr/lib/firefox/firefox",
    "ESTABLISHED",
  ]);
  match(run.stderr(), /conntrail: 10 polls/);
});

Deno.test("monitor --format ndjson: CLOSED carries duration_s, STATUS poll_seconds", async () => {
  const a = socket("198.51.100.1", 50000);
  const clock = steppingClock();
  const run = io(scripted([[a], [a], [{ ...a, status: "TIME_WAIT" }], []]), clock);
  await runMonitorCommand(options(["--count", "10", "--format", "ndjson"]), run.io);
  const events = run.stdout().trim().split("\n").map((line) => JSON.parse(line));
  const closed = events.find((e) => e.event === "CLOSED");
  deepStrictEqual([closed?.local_port, closed?.duration_s], [50000, 2]);
  deepStrictEqual(typeof events.find((e) => e.event === "STATUS")?.poll_seconds, "number");
});

Deno.test("monitor says when polls take longer than the time unit: status lines and the summary", async () => {
  let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
  const readings = scripted([[socket("198.51.100.1", 50000)]]);
  const run = io({ name: "slow", collect: () => ((now += 1400), readings.collect()) }, {
    now: () => new Date(now),
    sleep: (ms) => ((now += ms), Promise.resolve()),
  });
  await runMonitorCommand(options(["--count", "10", "-t", "1"]), run.io);
  const lines = run.stdout().split("\n");
  match(lines.find((line) => line.includes("Status:")) ?? "", /\| Interval: 1s \(polls take 1\.4s\)$/);
  match(
    run.stdout(),
    /\| Interval: 1s \(polls took 1\.4s on average, up to 1\.4s; 10 of 10 longer than the interval\)/,
  );
  // Ten polls 1.4 s apart span 14 time units: the timeline's columns are time, not polls.
  match(run.stdout(), /conntrail: 10 polls over 14s \(time unit 1s, 14 columns\)/);
});

Deno.test("monitor filters: --filter-local, --filter-file with CIDRs and CRLF, --port, --outgoing", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const list = join(dir, "hide.txt");
  await Deno.writeTextFile(list, "# hide\r\n198.51.100.0/24\r\nnot-an-ip\r\n");
  const sockets = [
    socket("192.168.1.1", 1),
    socket("198.51.100.7", 2),
    socket("8.8.8.8", 3),
    socket("8.8.4.4", 4, { remote_port: 22 }),
    socket("9.9.9.9", 5, { local_ip: "0.0.0.0", remote_ip: null, remote_port: null, status: "LISTEN" }),
  ];
  const run = io(scripted([sockets]));
  await runMonitorCommand(
    options(["--count", "1", "--filter-local", "--filter-file", list, "--port", "443", "--outgoing"]),
    run.io,
  );
  const lines = run.stdout().split("\n").filter((l) => l.includes("NEW"));
  deepStrictEqual(lines.length, 1);
  match(lines[0] ?? "", /NEW → 8\.8\.8\.8 \[US \| AS15169 Google LLC\] ESTABLISHED:443/);
  match(run.stderr(), /hide\.txt:3 skipped: not an IP address or CIDR/);
});

Deno.test("monitor -o, --save-threshold and --log-dir write files that read back", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const previous = Deno.cwd();
  Deno.chdir(dir);
  try {
    const steady = socket("198.51.100.1", 50000);
    const brief = socket("203.0.113.5", 50001, {
      process_name: "=HYPERLINK(1)",
      pid: null,
      process_path: null,
    });
    // A clock that moves only between polls: the time-unit columns are the polls.
    const run = io(scripted([[steady, brief], [steady], [steady], [steady]]), steppingClock());
    await runMonitorCommand(
      options([
        "--count",
        "4",
        "-t",
        "0.01",
        "-o",
        "timeline.txt",
        "--save-threshold",
        "50",
        "--log-dir",
        "logs",
        "--log-format",
        "csv",
        "--log-format",
        "json",
        "--log-format",
        "txt",
      ]),
      run.io,
    );
    const frequent = [...Deno.readDirSync(".")].map((e) => e.name).find((n) =>
      n.startsWith("frequent_ips_50pct_")
    );
    ok(frequent !== undefined, "no frequent-IP file");
    const text = await Deno.readTextFile(frequent);
    deepStrictEqual(parseIpList(text).entries.map((e) => e.text), ["198.51.100.1"]);
    match(text, /198\.51\.100\.1 {2}# 100\.0% connected \(4\/4 time units\)/);

    const timeline = await Deno.readTextFile("timeline.txt");
    match(timeline, /Time unit: 0\.01s \| Columns: 4/);
    match(
      timeline,
      /198\.51\.100\.1\n {2}▲■■■\n {2}First seen: .* \| Activity: 100\.0% \(4\/4 units\) \| Ports: 443/,
    );
    match(timeline, /203\.0\.113\.5\n {2}▲×··\n/);
    match(timeline, /Top 10 most active\n {3}1\. 198\.51\.100\.1 {2}100\.0%/);

    const logs = [...Deno.readDirSync("logs")].map((e) => e.name).sort();
    deepStrictEqual(logs.map((n) => n.replace(/\d{8}_\d{6}/, "T")), [
      "connections_T.csv",
      "connections_T.json",
      "connections_T.txt",
    ]);
    const csv = (await Deno.readTextFile(join("logs", logs[0] ?? ""))).trim().split("\n");
    deepStrictEqual(csv.length, 1 + 3, "logged at every poll instead of on open and close");
    ok(csv.some((line) => line.includes(",'=HYPERLINK(1),")), "a formula reached the CSV log");
    const json = (await Deno.readTextFile(join("logs", logs[1] ?? ""))).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    deepStrictEqual(json.map((e) => [e.event, e.remote_ip]), [
      ["NEW", "198.51.100.1"],
      ["NEW", "203.0.113.5"],
      ["CLOSED", "203.0.113.5"],
    ]);
    deepStrictEqual([json[1].pid, json[1].process_path], [null, null]);
    match(
      await Deno.readTextFile(join("logs", logs[2] ?? "")),
      /NEW TCP \| Process: =HYPERLINK\(1\) \(PID: null\)/,
    );
  } finally {
    Deno.chdir(previous);
  }
});

Deno.test("monitor in refresh mode restores the terminal and prints its notes after the dashboard", async () => {
  const written: string[] = [];
  const raw: boolean[] = [];
  const run = io(scripted([[socket("198.51.100.1", 50000)]]), {
    stdoutIsTerminal: true,
    env: { values: new Map(), denied: ["NO_COLOR"] },
    terminal: {
      write: (t) => written.push(t),
      setRaw: (on) => raw.push(on),
      size: () => ({ columns: 100, rows: 8 }),
    },
  });
  await runMonitorCommand(options(["--count", "2", "-t", "0.01"]), run.io);
  const screen = written.join("");
  ok(screen.startsWith("\x1b[?1049h"), "did not enter the alternate screen");
  ok(screen.endsWith("\x1b[?25h\x1b[?1049l"), "did not restore the terminal");
  ok(screen.includes("198.51.100.1"));
  // While it ran, the note was in the dashboard's status line (the last line of the 8-line frame).
  const lastLines = screen.split("\x1b[J").slice(0, -1).map((frame) => frame.split("\r\n").at(-1) ?? "");
  ok(
    lastLines.some((line) => /\[2 notes\] \d\d:\d\d:\d\d note: history is kept in memory only/.test(line)),
    JSON.stringify(lastLines),
  );
  deepStrictEqual(raw, [true, false]);
  match(run.stderr(), /NO_COLOR not read; run with --allow-env=NO_COLOR/);
  match(run.stdout(), /run with -o FILE to save the timeline/);
});

Deno.test("monitor dashboard hears each poll's timing and what --filter-local hid (through every output wrapper)", async () => {
  let now = new Date(2026, 10, 21, 14, 30, 0).getTime();
  const readings = scripted([[
    socket("8.8.8.8", 50000),
    socket("10.0.0.9", 50001),
    socket("127.0.0.1", 50002),
  ]]);
  const written: string[] = [];
  const run = io({ name: "slow", collect: () => ((now += 1400), readings.collect()) }, {
    now: () => new Date(now),
    sleep: (ms) => ((now += ms), Promise.resolve()),
    stdoutIsTerminal: true,
    env: { values: new Map([["NO_COLOR", "1"]]), denied: [] },
    terminal: { write: (t) => written.push(t), setRaw: () => {}, size: () => ({ columns: 120, rows: 10 }) },
  });
  await runMonitorCommand(options(["--count", "3", "-t", "1", "--filter-local"]), run.io);
  const frames = written.join("").split("\x1b[H").slice(1);
  const last = frames.at(-1) ?? "";
  match(last, /Interval: 1s \(polls take 1\.4s\)/);
  match(last, /1 IPs \| 2 IPs hidden by --filter-local/);
});
