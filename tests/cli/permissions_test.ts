import { deepStrictEqual, ok } from "node:assert/strict";
import { denoFlags, kernelEventPermissions, monitorPermissions } from "../../lib/cli/permissions.ts";
import { permissionsForCommand, renderPermissions } from "../../lib/cli/permissions_command.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

/** Linux, with this run's environment (as the "permissions" command reads it). */
const LINUX = { os: "linux" as const, readEnv: denoPlatform().readEnv };

Deno.test("monitorPermissions lets the monitor write --report, --write-expect and the job summary, and read --stop-file", () => {
  const needs = monitorPermissions({
    collector: "ss",
    resolveNames: false,
    filterFile: [],
    report: "egress.md",
    writeExpect: "allowed.txt",
    stopFile: "/tmp/stop",
    stepSummary: "/home/runner/work/_temp/_runner_file_commands/step_summary_1",
  }, "linux");
  const flags = denoFlags(needs);
  deepStrictEqual(
    flags.find((f) => f.startsWith("--allow-write=")),
    "--allow-write=egress.md,allowed.txt,/home/runner/work/_temp/_runner_file_commands/step_summary_1",
  );
  deepStrictEqual(
    flags.find((f) => f.startsWith("--allow-read="))?.split(/[=,]/).includes("/tmp/stop"),
    true,
  );
  deepStrictEqual(
    flags.find((f) => f.startsWith("--allow-env="))?.split(/[=,]/).includes("GITHUB_STEP_SUMMARY"),
    true,
  );
  // The job summary is optional: without it the report is still written where asked.
  deepStrictEqual(needs.find((n) => n.flag.includes("step_summary"))?.optional, true);
});

const BASE = { collector: "auto" as const, resolveNames: false, filterFile: [] };

Deno.test("permissions: --trace adds bpftrace (and stdbuf for ss -E), --sniff-dns adds tcpdump, each with its reason", () => {
  const plain = denoFlags(monitorPermissions(BASE, "linux"));
  const traced = denoFlags(monitorPermissions({ ...BASE, trace: true, sniffDns: true }, "linux"));
  const run = (flags: string[]) => flags.find((f) => f.startsWith("--allow-run="));
  // stdbuf is asked for once, for a live run's large dumps (and ss -E with --trace).
  deepStrictEqual(run(plain), "--allow-run=ss,cat,find,stdbuf,sed");
  deepStrictEqual(run(traced), "--allow-run=ss,cat,find,stdbuf,sed,bpftrace,tcpdump");
  // Nothing else changes.
  deepStrictEqual(
    traced.filter((f) => !f.startsWith("--allow-run=")),
    plain.filter((f) => !f.startsWith("--allow-run=")),
  );
  const needs = kernelEventPermissions({ trace: true, sniffDns: true }, "linux");
  deepStrictEqual(needs.map((n) => [n.flag, n.optional]), [
    ["--allow-run=bpftrace", false],
    ["--allow-run=stdbuf", true],
    ["--allow-run=tcpdump", false],
  ]);
  ok(needs.every((n) => n.why.startsWith("--trace") || n.why.startsWith("--sniff-dns")));
  // macOS has tcpdump but neither bpftrace nor ss; Windows neither.
  deepStrictEqual(kernelEventPermissions({ trace: true, sniffDns: true }, "darwin").map((n) => n.flag), [
    "--allow-run=tcpdump",
  ]);
  deepStrictEqual(kernelEventPermissions({ trace: true, sniffDns: true }, "windows"), []);
});

Deno.test("permissions monitor --trace --sniff-dns explains the run flags it adds", () => {
  const command = parseArgs(["monitor", "--trace", "--sniff-dns", "--store", "none"]);
  const text = renderPermissions(permissionsForCommand(command, LINUX), false);
  ok(/--allow-run=bpftrace +--trace: follow TCP connects, accepts and closes/.test(text), text);
  ok(/--allow-run=tcpdump +--sniff-dns: read DNS answers on every interface/.test(text), text);
  const serve = parseArgs(["serve", "--trace", "--store", "none"]);
  ok(
    renderPermissions(permissionsForCommand(serve, LINUX), true).includes(
      "--allow-run=ss,cat,find,stdbuf,sed,bpftrace",
    ),
  );
});

Deno.test("permissions: a live run (monitor, serve) of the ss collector may run stdbuf around large dumps; snapshot does not", () => {
  const monitor = permissionsForCommand(parseArgs(["monitor", "--store", "none"]), LINUX);
  deepStrictEqual(monitor.filter((n) => n.flag === "--allow-run=stdbuf").map((n) => n.optional), [true]);
  ok(
    permissionsForCommand(parseArgs(["serve", "--store", "none"]), LINUX).some((n) =>
      n.flag === "--allow-run=stdbuf"
    ),
  );
  ok(!permissionsForCommand(parseArgs(["snapshot"]), LINUX).some((n) => n.flag === "--allow-run=stdbuf"));
  ok(
    !monitorPermissions({ ...BASE, collector: "netstat" }, "linux").some((n) =>
      n.flag === "--allow-run=stdbuf"
    ),
  );
  ok(!monitorPermissions(BASE, "darwin").some((n) => n.flag === "--allow-run=stdbuf"));
});
