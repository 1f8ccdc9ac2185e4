/**
 * Every conntrail command runs under the same V8 code-generation flags (`--max-opt=2`): such a flag changes
 * V8's flag hash, and Deno's code cache of a module, written under one hash, is rejected and rewritten by a
 * run under another (maxopt36's note: seen in the cache's entries). So the flags each command prints, the
 * binaries' flags, and the inner `permissions --flags` runs of the start task and of README's install line
 * must all carry the monitor's code-generation flags.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { runCommand } from "../../main.ts";
import { parseArgs } from "../../lib/cli/parse_args.ts";
import { COMMAND_NAMES } from "../../lib/cli/program_spec.ts";
import { CODE_V8_FLAGS, compileFlags, MONITOR_V8_FLAGS } from "../../lib/cli/permissions.ts";
import { fakePlatform } from "../platform/_fake_platform.ts";

/**
 * V8 flags that leave its flag hash alone (checked on the cache's entries: the entry written without them is
 * used with them). Any other V8 flag is taken for a code-generation flag.
 */
const HASH_FREE = ["--max-semi-space-size", "--max-old-space-size", "--no-concurrent-recompilation"];

/** The code-generation flags among the `--v8-flags=` of a flag list, sorted. */
function codeFlags(flags: readonly string[]): string[] {
  return flags.filter((flag) => flag.startsWith("--v8-flags="))
    .flatMap((flag) => flag.slice("--v8-flags=".length).split(","))
    .filter((flag) => !HASH_FREE.includes(flag.split("=")[0]!))
    .sort();
}

/** One command line of each command (and subcommand). */
const COMMAND_LINES: string[][] = [
  ["monitor"],
  [],
  ["snapshot"],
  ["snapshot", "--format", "json"],
  ["blocklist", "update"],
  ["blocklist", "list"],
  ["history"],
  ["history", "prune", "--older-than", "90d"],
  ["diff"],
  ["serve"],
  ["filter"],
  ["check", "8.8.8.8"],
  ["permissions", "--flags", "monitor"],
];

/** What `conntrail permissions --flags LINE` prints, run by main.ts's dispatch on a fake platform. */
async function printedFlags(line: readonly string[]): Promise<string[]> {
  const platform = fakePlatform({ env: { HOME: "/home/ana" } });
  deepStrictEqual(await runCommand(parseArgs(["permissions", "--flags", ...line]), platform), 0);
  return platform.stdoutText().trim().split(/\s+/);
}

const MONITOR_CODE = codeFlags([MONITOR_V8_FLAGS]);

Deno.test("the monitor runs with --max-opt=2, V8's code-generation flags conntrail ships", () => {
  deepStrictEqual(CODE_V8_FLAGS, "--max-opt=2");
  deepStrictEqual(MONITOR_CODE, ["--max-opt=2"]);
});

Deno.test("every command prints the monitor's V8 code-generation flags", async () => {
  const named = new Set(COMMAND_LINES.map((line) => line[0] ?? "monitor"));
  deepStrictEqual(COMMAND_NAMES.filter((name) => !named.has(name)), [], "a command without a line here");
  for (const line of COMMAND_LINES) {
    const flags = await printedFlags(line);
    deepStrictEqual(
      codeFlags(flags),
      MONITOR_CODE,
      `permissions --flags ${line.join(" ")}: ${flags.join(" ")}`,
    );
  }
});

Deno.test("the binaries embed the monitor's V8 code-generation flags", () => {
  for (const os of ["linux", "darwin", "windows"] as const) {
    deepStrictEqual(codeFlags(compileFlags(os)), MONITOR_CODE);
  }
});

/** The `deno run …` inside `$( … )` of a shell line, split into its words. */
function innerRun(line: string): string[] {
  const inner = /\$\((deno run [^)]*)\)/.exec(line.replaceAll("\\\n", " "));
  ok(inner !== null, `no $(deno run …) in ${line}`);
  return inner[1]!.split(/\s+/);
}

Deno.test("the start task's inner permissions run has the monitor's V8 code-generation flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const inner = innerRun(String(config.tasks.start));
  ok(inner.includes("permissions") && inner.includes("--flags"), inner.join(" "));
  // It runs the same file as the monitor, so it reads and writes the same cache entry.
  ok(inner.includes("dist/js/conntrail.js"), inner.join(" "));
  deepStrictEqual(codeFlags(inner), MONITOR_CODE, inner.join(" "));
});

Deno.test("README's install line runs its inner permissions run with the monitor's V8 code-generation flags", async () => {
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  const install = readme.split("\n```").find((block) => block.includes("deno install --global"));
  ok(install !== undefined, "README has no deno install line");
  const inner = innerRun(install.slice(install.indexOf("deno install --global")));
  deepStrictEqual(codeFlags(inner), MONITOR_CODE, inner.join(" "));
});
