/**
 * Threat intelligence end to end: the real monitor, spawned with the flags
 * `conntrail permissions --flags` prints for its command line, watching real
 * loopback connections to addresses a block list names (with
 * --include-private, since loopback is not public) — including one added to
 * the list while the monitor runs.
 */
import { join } from "node:path";
import { deepStrictEqual, match } from "node:assert/strict";
import { denoFlags, MONITOR_V8_FLAGS, monitorPermissions } from "../lib/cli/permissions.ts";
import { freshLoopback, hasTool, socketControl } from "./open_sockets.ts";
import { spawnConntrail } from "./conntrail_process.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("python3");

Deno.test({
  name:
    "conntrail --scroll --fail-on blocklisted alerts on listed loopback peers, one added mid-run, and exits 3",
  ignore: !linuxWithSs,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "conntrail-e2e-" });
    const list = join(dir, "ips.txt");
    const control = socketControl();
    try {
      const [first, second] = [freshLoopback(), freshLoopback()];
      await Deno.writeTextFile(list, `# test list\n${first}\n`);
      const a = await control.open(first);
      const b = await control.open(second);
      const flags = denoFlags(
        monitorPermissions(
          { collector: "auto", resolveNames: false, filterFile: [], blocklist: [list] },
          "linux",
        ),
      );
      const monitor = await spawnConntrail([
        "--scroll",
        "--fail-on",
        "blocklisted",
        "--include-private",
        "--blocklist",
        list,
      ], { flags: [...flags, MONITOR_V8_FLAGS] });
      const alertAbout = (ip: string, c: { port: number; client_port: number }) => (line: string) =>
        line.includes("ALERT") && [c.port, c.client_port].some((port) => line.includes(` ${ip}:${port} `));
      await monitor.stdout.until(alertAbout(first, a), `the alert on ${first}`);
      await Deno.writeTextFile(list, `# test list\n${first}\n${second}/32 # added while it runs\n`);
      await monitor.stdout.until(alertAbout(second, b), `the alert on ${second}, listed while it runs`);
      const output = await monitor.stop();
      const { stdout, stderr } = output;
      deepStrictEqual(output.code, 3, stderr);
      // The scroll lines (the exit summary lists the same alerts again, indented, under `alerts (N):`).
      const alerts = stdout.split("\n").filter((line) => /^\[\d\d:\d\d:\d\d\] ALERT /.test(line));
      match(stdout, /\nalerts \(2\):\n {2}ALERT TCP /);
      // python3 holds both ends of each connection: the alert is on whichever end it saw first, once.
      const about = (ip: string, ports: number[]) =>
        alerts.filter((line) => ports.some((port) => line.includes(` ${ip}:${port} `)));
      deepStrictEqual(
        [about(first, [a.port, a.client_port]).length, about(second, [b.port, b.client_port]).length],
        [1, 1],
        stdout,
      );
      const pid = `PID ${control.pid}, `;
      match(
        about(first, [a.port, a.client_port])[0] ?? "",
        new RegExp(`ALERT TCP .* python3 \\(${pid}.*python3.*\\) blocklist ${list}:2 ${first} at \\d\\d:`),
      );
      match(about(second, [b.port, b.client_port])[0] ?? "", new RegExp(`blocklist ${list}:3 ${second} at `));
      match(stderr, /ips\.txt changed; re-read: 2 entries/);
      match(stderr, /--fail-on blocklisted: 2 alerts; exit code 3/);
    } finally {
      await control.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
