import { deepStrictEqual } from "node:assert/strict";
import { denoFlags, monitorPermissions } from "../lib/permissions.ts";

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
