import { deepStrictEqual, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { runMonitorCommand } from "../../lib/cli/monitor_command.ts";
import { io, options, scripted, socket, steppingClock } from "./_monitor_io.ts";
import { tempDir } from "../temp_dir.ts";

const githubEnv = (summary: string) => ({
  values: new Map([["GITHUB_ACTIONS", "true"], ["GITHUB_STEP_SUMMARY", summary]]),
  denied: [],
});

Deno.test("monitor under GitHub Actions appends the report to GITHUB_STEP_SUMMARY, writes --report and --write-expect", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const summary = join(dir, "step_summary.md");
  await Deno.writeTextFile(summary, "earlier step's summary\n");
  const clock = steppingClock();
  const run = io(
    scripted([
      [socket("198.51.100.7", 50000, { process_name: "python3", pid: 77 })],
      [
        socket("198.51.100.7", 50000, { process_name: "python3", pid: 77 }),
        socket("203.0.113.9", 50001, { process_name: "curl", pid: 78, remote_port: 80 }),
      ],
    ]),
    { now: clock.now, sleep: clock.sleep, env: githubEnv(summary) },
  );
  const report = join(dir, "report.md");
  const expect = join(dir, "allowed.txt");
  const code = await runMonitorCommand(
    options(["--count", "2", "--store", "none", "--report", report, "--write-expect", expect]),
    run.io,
  );
  deepStrictEqual(code, 0, run.stderr());
  const written = await Deno.readTextFile(report);
  const appended = await Deno.readTextFile(summary);
  deepStrictEqual(appended, `earlier step's summary\n${written}\n`);
  match(written, /\| `198\.51\.100\.7` \| 443\/tcp \| `python3` \| [^|]+ \| 14:30:00 \| — \| 1 \|/);
  match(written, /\| `203\.0\.113\.9` \| 80\/tcp \| `curl` \| [^|]+ \| 14:30:01 \| — \| 1 \|/);
  deepStrictEqual(
    (await Deno.readTextFile(expect)).split("\n").filter((l) => l !== "" && !l.startsWith("#")),
    ["198.51.100.7  # python3 (443/tcp)", "203.0.113.9  # curl (80/tcp)"],
  );
  match(
    run.stdout(),
    /^::group::conntrail: 1 connections open at start\n.*198\.51\.100\.7.*\n::endgroup::\n/,
  );
  match(run.stdout(), /2 destinations written to .*allowed\.txt as an --expect list/);
});

Deno.test("monitor with the list it wrote passes the same traffic and fails a new destination, naming it", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const expect = join(dir, "allowed.txt");
  const seen = [socket("198.51.100.7", 50000), socket("198.51.100.8", 50001, { remote_port: 22 })];
  const learn = io(scripted([seen]), steppingClock());
  deepStrictEqual(
    await runMonitorCommand(options(["--count", "1", "--store", "none", "--write-expect", expect]), learn.io),
    0,
  );
  const again = io(scripted([seen]), steppingClock());
  const flags = ["--count", "2", "--store", "none", "--expect", expect, "--fail-on", "unexpected"];
  deepStrictEqual(await runMonitorCommand(options(flags), again.io), 0, again.stdout());
  ok(!again.stdout().includes("UNEXPECTED"));
  const summary = join(dir, "summary.md");
  const changed = io(scripted([seen, [...seen, socket("198.51.100.99", 50002, { process_name: "wget" })]]), {
    ...steppingClock(),
    env: githubEnv(summary),
  });
  deepStrictEqual(await runMonitorCommand(options(flags), changed.io), 3);
  match(changed.stdout(), /ALERT TCP 198\.51\.100\.99:443 wget .*UNEXPECTED destination/);
  match(
    changed.stdout(),
    /::warning title=conntrail%3A UNEXPECTED::wget \(pid 4211\) connected to 198\.51\.100\.99 port 443\/tcp/,
  );
  match(changed.stderr(), /--fail-on unexpected: 1 alert; exit code 3/);
  const report = await Deno.readTextFile(summary);
  match(
    report,
    /### Alerts \(1\)\n\n\| verdict .*\n.*\n\| \*\*UNEXPECTED\*\* \| `wget` \(4211\) \| `198\.51\.100\.99` /,
  );
  match(report, /\| `198\.51\.100\.7` \| .* \| expected \| 1 \|/);
});

Deno.test("monitor says so when the job summary cannot be written, and the run still ends well", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const run = io(scripted([[socket("198.51.100.7", 50000)]]), {
    ...steppingClock(),
    env: githubEnv(join(dir, "no", "such", "dir", "summary.md")),
  });
  deepStrictEqual(await runMonitorCommand(options(["--count", "1", "--store", "none"]), run.io), 0);
  match(
    run.stderr(),
    /warning: job summary not written: cannot write ".*summary\.md": no such file or directory/,
  );
});

Deno.test("monitor --stop-file ends the run once the file appears, and refuses a file already there", async () => {
  await using temp = await tempDir();
  const dir = temp.path;
  const stopFile = join(dir, "stop");
  let polls = 0;
  const collector = scripted([[socket("198.51.100.7", 50000)]]);
  const run = io({
    name: "scripted",
    collect: async () => {
      if (++polls === 3) await Deno.writeTextFile(stopFile, "");
      return await collector.collect();
    },
  }, {
    sleep: (ms, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      }),
  });
  const code = await runMonitorCommand(
    options(["-t", "0.1", "--store", "none", "--stop-file", stopFile, "--report", join(dir, "r.md")]),
    run.io,
  );
  deepStrictEqual(code, 0);
  ok(polls >= 3, `stopped after ${polls} polls, before the file was made`);
  match(await Deno.readTextFile(join(dir, "r.md")), /198\.51\.100\.7/);
  await rejects(
    runMonitorCommand(options(["--store", "none", "--stop-file", stopFile]), io(collector).io),
    /--stop-file ".*stop" exists already/,
  );
});
