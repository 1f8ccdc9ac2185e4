import { isoWithOffset } from "../../lib/model/timestamp.ts";
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { ScrollOutput, type ScrollOutputOptions } from "../../lib/monitor/scroll_output.ts";
import { at, connection } from "./_connections.ts";
import { runnerCommand, runnerCommands, WORKFLOW_COMMANDS } from "../_github_runner.ts";

function output(overrides: Partial<ScrollOutputOptions> = {}) {
  const out: string[] = [];
  const aside: string[] = [];
  const scroll = new ScrollOutput({
    format: "text",
    color: false,
    describe: () => ({}),
    rowNoun: "IPs",
    githubActions: false,
    nameWaitMs: 0,
    write: (text) => {
      out.push(text);
      return Promise.resolve();
    },
    writeAside: (text) => aside.push(text),
    ...overrides,
  });
  return { scroll, out, aside };
}

Deno.test("ScrollOutput holds lines, in order, until the name arrives or the wait is over", async () => {
  const known = new Map<string, string | null>();
  let now = 0;
  const { scroll, out } = output({
    describe: (ip) => ({ hostname: known.get(ip) }),
    nameWaitMs: 1000,
    nowMs: () => now,
  });
  await scroll.onPoll(
    [
      { event: "NEW", connection: connection({ remote_ip: "198.51.100.1" }) },
      { event: "NEW", connection: connection({ remote_ip: "198.51.100.2" }) },
    ],
    null,
    at(0),
  );
  deepStrictEqual(out, []);
  known.set("198.51.100.2", "two.test");
  await scroll.drain();
  deepStrictEqual(out, [], "a later line overtook an earlier one");
  known.set("198.51.100.1", "one.test");
  await scroll.drain();
  deepStrictEqual(out.join("").split("\n").map((l) => l.split(" ").slice(3, 5).join(" ")), [
    "one.test (198.51.100.1)",
    "two.test (198.51.100.2)",
    "",
  ]);
  await scroll.onPoll(
    [{ event: "CLOSED", connection: connection({ remote_ip: "198.51.100.3" }) }],
    null,
    at(1),
  );
  now = 1001;
  await scroll.drain();
  match(out.at(-1) ?? "", /CLOSED → 198\.51\.100\.3 ESTABLISHED:443/);
  await scroll.close();
});

Deno.test("ScrollOutput under GITHUB_ACTIONS folds the connections open at start into one group; alerts stay outside", async () => {
  const alert = {
    event: "ALERT" as const,
    connection: connection({ remote_ip: "198.51.100.9", process_name: "curl", pid: 4242 }),
    reason: "UNEXPECTED destination (not in allowed.txt)",
    severity: "warning" as const,
    conditions: ["unexpected" as const],
  };
  const opened = [1, 2, 3].map((n) => ({
    event: "NEW" as const,
    connection: connection({ remote_ip: `198.51.100.${n}` }),
  }));
  const { scroll, out } = output({ githubActions: true });
  await scroll.onPoll([...opened, alert], null, at(0));
  await scroll.onPoll([{ event: "NEW", connection: connection({ remote_ip: "198.51.100.4" }) }], null, at(1));
  const lines = out.join("").trimEnd().split("\n");
  deepStrictEqual(lines[0], "::group::conntrail: 3 connections open at start");
  deepStrictEqual(lines.slice(1, 4).map((l) => l.split(" ")[3]), [
    "198.51.100.1",
    "198.51.100.2",
    "198.51.100.3",
  ]);
  deepStrictEqual(lines[4], "::endgroup::");
  match(lines[5] ?? "", /ALERT TCP 198\.51\.100\.9:443 curl/);
  deepStrictEqual(
    lines[6],
    "::warning title=conntrail%3A UNEXPECTED::curl (pid 4242) connected to 198.51.100.9 port 443/tcp: " +
      "UNEXPECTED destination (not in allowed.txt)",
  );
  match(lines[7] ?? "", /NEW → 198\.51\.100\.4 /);
  deepStrictEqual(lines.length, 8, "a later poll was folded too");
  const plain = output({ githubActions: false });
  await plain.scroll.onPoll(opened, null, at(0));
  ok(!plain.out.join("").includes("::"), "a group outside GitHub Actions");
});

Deno.test("ScrollOutput under GITHUB_ACTIONS: a hostile name, path or domain starts no workflow command; conntrail's own commands stay whole", async () => {
  for (const hostile of WORKFLOW_COMMANDS) {
    const c = connection({
      remote_ip: "198.51.100.66",
      process_name: hostile.slice(0, 15),
      process_path: `/tmp/${hostile}/node`,
      status: `ESTABLISHED${hostile}`,
      domain: hostile,
    });
    const alert = {
      event: "ALERT" as const,
      connection: c,
      reason: `UNEXPECTED destination (not in ${hostile}.txt)`,
      severity: "error" as const,
      conditions: ["unexpected" as const],
    };
    const events = [{ event: "NEW" as const, connection: c }, alert];
    for (const format of ["text", "ndjson", "ecs", "ocsf"] as const) {
      const { scroll, out, aside } = output({
        format,
        githubActions: true,
        describe: () => ({ hostname: hostile, as_org: hostile, country: "US", asn: 64500 }),
        domainOf: () => hostile,
      });
      await scroll.onPoll([], null, at(0));
      await scroll.onPoll(events, null, at(1));
      await scroll.close();
      const log = [...out, ...aside.map((line) => line + "\n")].join("");
      // The runner stops at the first command that is not conntrail's; a stop-commands would swallow the rest.
      deepStrictEqual(runnerCommands(log).map((line) => runnerCommand(line)), [
        ...(format === "text" ? ["group", "endgroup"] : []),
        "error",
      ], `${format} ${hostile}: ${log}`);
    }
  }
});

Deno.test("ScrollOutput prints an alert's annotation with the domain when known, aside from NDJSON", async () => {
  const alert = {
    event: "ALERT" as const,
    // Seen at 14:30:12; the line is printed at 14:30:16 (a reputation answer can take that long).
    connection: connection({
      process_name: "curl",
      pid: 4242,
      process_path: "/usr/bin/curl",
      timestamp: isoWithOffset(new Date(2026, 10, 21, 14, 30, 12)),
    }),
    reason: "blocklist ips.txt:12 203.0.113.0/24",
    severity: "error" as const,
    conditions: ["blocklisted" as const, "unexpected" as const],
  };
  const text = output({ githubActions: true, domainOf: () => "bad.example" });
  await text.scroll.onPoll([], null, at(0));
  await text.scroll.onPoll([alert], null, new Date(2026, 10, 21, 14, 30, 16));
  const [, , line, command] = text.out.join("").trimEnd().split("\n");
  deepStrictEqual(
    line,
    "[14:30:16] ALERT TCP 203.0.113.7:443 curl (PID 4242, /usr/bin/curl) blocklist ips.txt:12 203.0.113.0/24 at 14:30:12",
  );
  deepStrictEqual(
    command,
    "::error title=conntrail%3A BLOCKLISTED::curl (pid 4242) connected to bad.example (203.0.113.7) port 443/tcp: " +
      "blocklist ips.txt:12 203.0.113.0/24",
  );
  const ndjson = output({ githubActions: true, format: "ndjson" });
  await ndjson.scroll.onPoll([alert], null, at(0));
  deepStrictEqual(JSON.parse(ndjson.out.join("")).reason, "blocklist ips.txt:12 203.0.113.0/24");
  deepStrictEqual(ndjson.aside.length, 1);
  ok(ndjson.aside[0]?.startsWith("::error title=conntrail%3A BLOCKLISTED::"));
  ok(!ndjson.aside[0]?.endsWith("\n"), "a line break of its own: stderr gets a blank line");
  const plain = output({ githubActions: false });
  await plain.scroll.onPoll([alert], null, at(0));
  ok(!plain.out.join("").includes("::error"));
});

Deno.test("ScrollOutput --format ecs and ocsf: one record a line, no STATUS line, workflow commands aside", async () => {
  const context = {
    host: { hostname: "ws1", os: "linux", arch: "x86_64" },
    product: { name: "conntrail", version: "0.1.0" },
  };
  const status = {
    event: "STATUS" as const,
    timestamp: "t",
    active_rows: 1,
    connections: 1,
    unique_rows: 1,
    runtime_seconds: 10,
  };
  const alert = {
    event: "ALERT" as const,
    connection: connection(),
    reason: "blocklist ips.txt:12 203.0.113.0/24",
    severity: "error" as const,
    details: { blocklist: "ips.txt:12 203.0.113.0/24" },
  };
  for (const format of ["ecs", "ocsf"] as const) {
    const { scroll, out, aside } = output({ format, context, githubActions: true });
    await scroll.onPoll([{ event: "NEW", connection: connection() }, alert], status, at(0));
    await scroll.close();
    const lines = out.join("").trimEnd().split("\n").map((line) => JSON.parse(line));
    deepStrictEqual(lines.length, 2, format);
    if (format === "ecs") {
      deepStrictEqual(lines.map((doc) => doc.event.kind), ["event", "alert"]);
      deepStrictEqual(lines[0].host.name, "ws1");
    } else {
      deepStrictEqual(lines.map((record) => record.type_uid), [400101, 400106]);
      deepStrictEqual(lines[1].is_alert, true);
    }
    ok(aside.join("").startsWith("::error "), format);
  }
});

Deno.test("ScrollOutput writes a poll of thousands of events a thousand lines at a time, in order, each chunk after the one before is written", async () => {
  const pending: (() => void)[] = [];
  const out: string[] = [];
  const { scroll } = output({
    write: (text) => {
      out.push(text);
      return new Promise((resolve) => pending.push(resolve));
    },
  });
  const events = Array.from({ length: 2500 }, (_, i) => ({
    event: "NEW" as const,
    connection: connection({ remote_ip: `198.51.${100 + (i >> 8)}.${i & 255}` }),
  }));
  const done = scroll.onPoll(events, null, at(0));
  let finished = false;
  done.then(() => finished = true);
  const written: number[] = [];
  while (!finished) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    const next = pending.shift();
    if (next === undefined) continue;
    written.push(out.at(-1)!.split("\n").length - 1);
    // Nothing more is written until this write is done.
    deepStrictEqual(out.length, written.length);
    next();
  }
  deepStrictEqual(written, [1000, 1000, 500]);
  const ips = out.join("").trimEnd().split("\n").map((line) => line.split(" ")[3]);
  deepStrictEqual(ips, events.map((e) => e.connection.remote_ip));
});
