import { deepStrictEqual, match, ok } from "node:assert/strict";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { permissionsForCommand } from "../../lib/cli/permissions_command.ts";
import { syslogFormat } from "../../lib/cli/syslog_config.ts";
import { denoFlags } from "../../lib/cli/permissions.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

/** Linux, with this run's environment (as the "permissions" command reads it). */
const LINUX = { os: "linux" as const, readEnv: denoPlatform().readEnv };

function usageError(args: string[]): string {
  const command = parseArgs(args);
  ok(command.kind === "print" && command.exitCode === 2, `expected a usage error for ${args.join(" ")}`);
  return command.stderr;
}

Deno.test("parseArgs() reads repeatable --syslog on monitor and serve, --format ecs|ocsf on monitor, serve and snapshot", () => {
  const monitor = parseArgs([
    "--format",
    "ocsf",
    "--syslog",
    "udp://10.0.0.5",
    "--syslog",
    "tcp://[::1]:601",
  ]);
  ok(monitor.kind === "monitor");
  deepStrictEqual(monitor.options.format, "ocsf");
  deepStrictEqual(monitor.options.syslog.map((t) => t.url), ["udp://10.0.0.5:514", "tcp://[::1]:601"]);
  const serve = parseArgs([
    "serve",
    "--format",
    "ecs",
    "--syslog",
    "tls://siem.internal",
    "--syslog-ca",
    "ca.pem",
  ]);
  ok(serve.kind === "serve");
  deepStrictEqual([serve.options.format, serve.options.syslog[0]?.port, serve.options.syslogCa], [
    "ecs",
    6514,
    "ca.pem",
  ]);
  const plainServe = parseArgs(["serve"]);
  ok(plainServe.kind === "serve");
  deepStrictEqual([plainServe.options.format, plainServe.options.syslog], [undefined, []]);
  for (const format of ["ecs", "ocsf"]) {
    const snapshot = parseArgs(["snapshot", "--format", format]);
    ok(snapshot.kind === "snapshot" && snapshot.options.format === format);
  }
});

Deno.test("parseArgs() refuses a bad --syslog URL, and --syslog-format or --syslog-ca without their receiver", () => {
  match(
    usageError(["--syslog", "http://x.example"]),
    /^error: --syslog: "http:\/\/x.example": a syslog URL starts/,
  );
  match(usageError(["--syslog-format", "ecs"]), /^error: --syslog-format needs --syslog URL/);
  match(usageError(["--syslog", "tcp://x.example", "--syslog-ca", "ca.pem"]), /--syslog-ca needs a tls:\/\//);
  match(usageError(["serve", "--syslog", "udp://"]), /is not a host name/);
  match(usageError(["--syslog", "udp://x.example", "--syslog-format", "xml"]), /argument 'xml' is invalid/);
});

Deno.test("syslogFormat() is --syslog-format, else a JSON --format, else ECS", () => {
  deepStrictEqual(syslogFormat({ syslogFormat: "ndjson" }, "ocsf"), "ndjson");
  deepStrictEqual(syslogFormat({}, "ocsf"), "ocsf");
  deepStrictEqual(syslogFormat({}, "ndjson"), "ndjson");
  deepStrictEqual(syslogFormat({}, "text"), "ecs");
  deepStrictEqual(syslogFormat({}, undefined), "ecs");
});

Deno.test("permissions: each --syslog receiver is scoped in --allow-net, the CA read, the host name optional", () => {
  const command = parseArgs([
    "monitor",
    "--syslog",
    "tcp://logs.example.org:601",
    "--syslog",
    "udp://10.0.0.5",
    "--syslog",
    "tls://[2001:db8::5]",
    "--syslog-ca",
    "ca.pem",
  ]);
  ok(command.kind === "monitor");
  const needs = permissionsForCommand(command, LINUX);
  const flags = needs.map((need) => need.flag);
  for (
    const flag of [
      "--allow-net=logs.example.org:601",
      "--allow-net=10.0.0.5:514,0.0.0.0:0",
      "--allow-net=[2001:db8::5]:6514",
      "--allow-read=ca.pem",
      "--allow-sys=hostname",
    ]
  ) ok(flags.includes(flag), `${flag} missing from ${flags.join(" ")}`);
  deepStrictEqual(needs.find((need) => need.flag === "--allow-sys=hostname")?.optional, true);
  deepStrictEqual(needs.find((need) => need.flag === "--allow-read=ca.pem")?.optional, false);
  ok(
    denoFlags(needs).some((flag) => /^--allow-sys=(.*,)?hostname(,|$)/.test(flag)),
    denoFlags(needs).join(" "),
  );

  const snapshot = parseArgs(["snapshot", "--format", "ocsf"]);
  ok(snapshot.kind === "snapshot");
  deepStrictEqual(denoFlags(permissionsForCommand(snapshot, LINUX)), [
    "--allow-read=/etc/passwd",
    "--allow-run=ss,cat,find",
    "--allow-sys=uid,hostname",
  ]);
  const serve = parseArgs(["serve", "--port", "9000", "--syslog", "udp://siem.internal"]);
  ok(serve.kind === "serve");
  const serveNeeds = permissionsForCommand(serve, LINUX);
  match(
    serveNeeds.find((need) => need.why.startsWith("send events to syslog"))?.why ?? "",
    /named by host name/,
  );
});
