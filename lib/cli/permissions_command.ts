import {
  collectorPermissions,
  denoFlags,
  MONITOR_V8_FLAGS,
  monitorPermissions,
  type PermissionNeed,
  threatPermissions,
} from "../permissions.ts";
import { REPUTATION_ENV } from "./reputation_config.ts";
import type { CliCommand } from "./parse_args.ts";

/** Deno flags other than permissions that a command runs with (the monitor's heap settings). */
export function runtimeFlagsForCommand(command: CliCommand): string[] {
  return command.kind === "monitor" ? [MONITOR_V8_FLAGS] : [];
}

/** The permissions a parsed command line needs on an OS. */
export function permissionsForCommand(command: CliCommand, os: typeof Deno.build.os): PermissionNeed[] {
  switch (command.kind) {
    case "snapshot":
      return collectorPermissions(command.options.collector, os, command.options.input);
    case "monitor":
      return monitorPermissions(command.options, os);
    case "check":
      return [
        {
          flag: `--allow-env=${REPUTATION_ENV.join(",")}`,
          why: "read the AbuseIPDB settings from the environment",
          optional: true,
        },
        ...threatPermissions(command.options),
      ];
    case "permissions":
    case "print":
      return [];
  }
}

/**
 * `conntrail permissions …`: the flags, one line (`--flags`), or a table of
 * each flag and why it is needed, with the full `deno run` line.
 */
export function renderPermissions(
  needs: readonly PermissionNeed[],
  flagsOnly: boolean,
  runtimeFlags: readonly string[] = [],
): string {
  const flags = [...denoFlags(needs), ...runtimeFlags];
  if (flagsOnly) return flags.join(" ") + "\n";
  if (needs.length === 0) return "needs no permissions\n";
  const width = Math.max(...needs.map((n) => n.flag.length));
  const lines = needs.map((n) => `  ${n.flag.padEnd(width)}  ${n.why}${n.optional ? " (optional)" : ""}`);
  return [
    "permission flags, and why:",
    ...lines,
    "",
    `deno run ${flags.join(" ")} main.ts …`,
    "",
  ].join("\n");
}
