import { deepStrictEqual } from "node:assert/strict";
import { createLsofCollector } from "../../lib/collect/lsof_collector.ts";
import { createNetstatCollector } from "../../lib/collect/netstat_collector.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool } from "../../lib/collect/run_tool.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = { ...denoPlatform(), os: "linux" as const };

/** A run that prints nothing and records the hang guard each command was given. */
function recordingRun(timeouts: Map<string, number | undefined>): RunTool {
  return (command, _args, options) => {
    timeouts.set(command, options?.timeoutMs);
    return Promise.resolve({ stdout: "", stderr: "", code: 0 });
  };
}

Deno.test("netstat -p and lsof walk every process's descriptors: both get the walk's hang guard, not run_tool's 10 s", async () => {
  const timeouts = new Map<string, number | undefined>();
  await createNetstatCollector({ platform, run: recordingRun(timeouts) }).collect();
  await createLsofCollector({ platform, run: recordingRun(timeouts) }).collect();
  deepStrictEqual([timeouts.get("netstat"), timeouts.get("lsof")], [
    DESCRIPTOR_WALK_TIMEOUT_MS,
    DESCRIPTOR_WALK_TIMEOUT_MS,
  ]);
  deepStrictEqual(DESCRIPTOR_WALK_TIMEOUT_MS, 120_000);
});
