import { deepStrictEqual, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { runMonitorCommand } from "../../lib/cli/monitor_command.ts";
import { GOOD_KEY, startAbuseIpdbServer } from "../abuseipdb_server.ts";
import { io, options, scripted, socket } from "./_monitor_io.ts";
import { tempDir } from "../temp_dir.ts";

/**
 * The one ALERT scroll line in the output; fails when there is none or more than one, or when the
 * exit summary does not list it.
 */
function theOneAlert(stdout: string): string {
  const alerts = stdout.split("\n").filter((line) => /^\[\d\d:\d\d:\d\d\] ALERT /.test(line));
  deepStrictEqual(alerts.length, 1, stdout);
  const alert = alerts[0] ?? "";
  ok(stdout.includes(`\nalerts (1):\n  ${alert.slice(11)}\n`), stdout);
  return alert;
}

Deno.test("monitor picks up a block list edited while it runs: the new alert comes with no restart, and --fail-on exits 3", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const list = join(dir, "ips.txt");
  await Deno.writeTextFile(list, "# watched\n1.1.1.1\n");
  const curl = socket("8.8.8.8", 50000, { pid: 4242, process_name: "curl", process_path: "/usr/bin/curl" });
  let polls = 0;
  const collector = scripted([[curl]]);
  const run = io({
    name: "scripted",
    collect: async () => {
      if (++polls === 3) {
        await Deno.writeTextFile(list, "# watched\n1.1.1.1\n8.8.8.0/24 # added while running\n");
        await Deno.utime(list, 2_000_000_000, 2_000_000_000);
      }
      return await collector.collect();
    },
  });
  const code = await runMonitorCommand(
    options(["--count", "12", "--blocklist", list, "--fail-on", "blocklisted"]),
    run.io,
  );
  deepStrictEqual(code, 3);
  match(
    theOneAlert(run.stdout()),
    new RegExp(
      `^\\[14:30:0\\d\\] ALERT TCP 8\\.8\\.8\\.8:443 curl \\(PID 4242, /usr/bin/curl\\) blocklist ${list}:3 8\\.8\\.8\\.0/24 at 14:30:0\\d$`,
    ),
  );
  match(run.stderr(), /note: block lists: .*ips\.txt \(1 entry\)\n/);
  match(run.stderr(), /ips\.txt changed; re-read: 2 entries/);
  match(run.stderr(), /--fail-on blocklisted: 1 alert; exit code 3/);
});

Deno.test("monitor asks AbuseIPDB through ABUSE_URL, alerts on MALICIOUS in NDJSON, and never shows the key", async () => {
  const server = startAbuseIpdbServer((ip) => ({ score: ip === "9.9.9.9" ? 97 : 0 }));
  await using temp = await tempDir();
  const dir = temp.path;
  const envFile = join(dir, "settings.env");
  await Deno.writeTextFile(
    envFile,
    `ABUSEAPI=${GOOD_KEY}\nABUSE_URL=${server.url}\nMALICIOUS_THRESHOLD=90\n`,
  );
  try {
    const run = io(
      scripted([[socket("9.9.9.9", 50000), socket("8.8.8.8", 50001), socket("10.0.0.9", 50002)]]),
    );
    const code = await runMonitorCommand(
      options(["--count", "6", "--format", "ndjson", "--env-file", envFile, "--fail-on", "malicious"]),
      run.io,
    );
    deepStrictEqual(code, 3);
    const alerts = run.stdout().trim().split("\n").map((line) => JSON.parse(line)).filter((e) =>
      e.event === "ALERT"
    );
    deepStrictEqual(alerts.map((e) => [e.remote_ip, e.risk_level, e.abuse_score, e.reason]), [
      ["9.9.9.9", "MALICIOUS", 97, "reputation MALICIOUS (AbuseIPDB score 97)"],
    ]);
    deepStrictEqual(server.requests.map((r) => r.ip).sort(), ["8.8.8.8", "9.9.9.9"]);
    ok(!run.stdout().includes(GOOD_KEY) && !run.stderr().includes(GOOD_KEY));
  } finally {
    await server.close();
  }
});

Deno.test("monitor --expect reports destinations outside the list as UNEXPECTED and --fail-on unexpected exits 3", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const allowed = join(dir, "allowed.txt");
  await Deno.writeTextFile(allowed, "# CI may talk to these\n140.82.112.0/20\n");
  const run = io(
    scripted([[socket("140.82.113.4", 50000), socket("93.184.216.34", 50001, { process_name: "curl" })]]),
  );
  const code = await runMonitorCommand(
    options(["--count", "1", "--expect", allowed, "--fail-on", "unexpected"]),
    run.io,
  );
  deepStrictEqual(code, 3);
  match(
    theOneAlert(run.stdout()),
    /ALERT TCP 93\.184\.216\.34:443 curl \(PID 4211, .*\) UNEXPECTED destination \(not in .*allowed\.txt\)/,
  );
});

Deno.test("monitor --fail-on exits 0 when nothing matched, and a bad .env value is a usage error", async () => {
  const run = io(scripted([[socket("8.8.8.8", 50000)]]));
  deepStrictEqual(await runMonitorCommand(options(["--count", "1", "--fail-on", "blocklisted"]), run.io), 0);
  await using temp = await tempDir();
  const dir = temp.path;
  const envFile = join(dir, ".env");
  await Deno.writeTextFile(envFile, "ABUSEAPI=k\nSAFE_THRESHOLD=lots\n");
  await runMonitorCommand(options(["--count", "1", "--env-file", envFile]), io(scripted([[]])).io).then(
    () => {
      throw new Error("a bad SAFE_THRESHOLD was accepted");
    },
    (error) => match(String(error), /SAFE_THRESHOLD in .*\.env must be a score from 0 to 100, not "lots"/),
  );
});

Deno.test("monitor on a rate limit (429, Retry-After: 3600) keeps running and pauses its checks, saying so once", async () => {
  const server = startAbuseIpdbServer(() => ({ status: 429, retryAfter: 3600 }));
  await using temp = await tempDir();
  const dir = temp.path;
  const envFile = join(dir, "settings.env");
  await Deno.writeTextFile(envFile, `ABUSEAPI=${GOOD_KEY}\nABUSE_URL=${server.url}\n`);
  try {
    const run = io(
      scripted([[socket("9.9.9.9", 50000)], [socket("9.9.9.9", 50000), socket("8.8.8.8", 50001)]]),
    );
    const code = await runMonitorCommand(
      options(["--count", "5", "--format", "ndjson", "--env-file", envFile]),
      run.io,
    );
    deepStrictEqual(code, 0);
    // The first address was asked about; the second waits for the pause to end, which is past the run.
    deepStrictEqual(server.requests.map((r) => r.ip), ["9.9.9.9"]);
    deepStrictEqual(run.stderr().match(/rate limit is reached; no more checks until \d\d:\d\d/g)?.length, 1);
    ok(!run.stdout().includes('"ALERT"'), run.stdout());
  } finally {
    await server.close();
  }
});
