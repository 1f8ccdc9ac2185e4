import type { Platform } from "../platform/platform.ts";
import {
  collectorPermissions,
  COMMAND_V8_FLAGS,
  denoFlags,
  historyPermissions,
  MONITOR_V8_FLAGS,
  monitorPermissions,
  ownerWalkPermissions,
  type PermissionNeed,
  recordPermissions,
  SNAPSHOT_V8_FLAGS,
  threatPermissions,
} from "./permissions.ts";
import { REPUTATION_ENV } from "./reputation_config.ts";
import { blocklistDirectory, type BlocklistOptions } from "./blocklist_command.ts";
import { listUrl, PUBLIC_LISTS, publicList } from "../enrich/public_lists.ts";
import { DATA_DIR_ENV } from "../store/data_dir.ts";
import { historyEnv } from "./environment.ts";
import { type HistoryFlags, historyLocation } from "./history_config.ts";
import { bracketedHost, hostWithPort } from "../web/access_policy.ts";
import { safeTerminalText } from "../render/terminal_text.ts";

function blocklistPermissions(
  kind: "blocklist-update" | "blocklist-list",
  options: BlocklistOptions,
  machine: PermissionMachine,
): PermissionNeed[] {
  const os = machine.os;
  const needs: PermissionNeed[] = [];
  let directory: string | null = null;
  if (options.dataDir === undefined) {
    needs.push({
      flag: `--allow-env=${
        DATA_DIR_ENV.filter((n) => (os === "windows") === (n === "LOCALAPPDATA")).join(",")
      }`,
      why: "find the data directory",
      optional: false,
    });
  }
  try {
    directory = blocklistDirectory(options, { env: machine.readEnv(DATA_DIR_ENV).values, os });
  } catch {
    // The environment is not readable here: the directory cannot be named, so access is not scoped.
  }
  const scope = directory === null ? "" : `=${directory}`;
  const where = directory ?? "the data directory (run `permissions` with --allow-env=HOME to scope this)";
  needs.push({
    flag: `--allow-read${scope}`,
    why: `read the lists and their state in ${where}`,
    optional: false,
  });
  if (kind === "blocklist-list") return needs;
  needs.push({ flag: `--allow-write${scope}`, why: `write the lists to ${where}`, optional: false });
  const lists = options.names.length > 0 ? options.names.flatMap((n) => publicList(n) ?? []) : PUBLIC_LISTS;
  const hostOf = (url: URL) => `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
  for (const host of new Set(lists.map((l) => hostOf(new URL(listUrl(l, options.mirror)))))) {
    needs.push({ flag: `--allow-net=${host}`, why: "download lists", optional: false });
  }
  return needs;
}
import type { CliCommand } from "./parse_args.ts";

/**
 * Deno flags other than permissions that a command runs with: V8's
 * code-generation flags for every command, which must be the same for all of
 * them (Deno's code cache keeps one entry a module, under one V8 flag hash),
 * with the monitor's and the snapshot's heap settings.
 */
export function runtimeFlagsForCommand(command: CliCommand): string[] {
  if (command.kind === "monitor" || command.kind === "serve") return [MONITOR_V8_FLAGS];
  return [command.kind === "snapshot" ? SNAPSHOT_V8_FLAGS : COMMAND_V8_FLAGS];
}

/**
 * What history's access must cover for these flags, as far as this run can
 * tell: null when the data directory cannot be named here (the environment is
 * not readable), empty for `--store none`.
 */
function historyScope(flags: HistoryFlags, machine: PermissionMachine): string[] | null {
  const location = historyLocation(flags, machine.readEnv(historyEnv(machine.os)).values, machine.os);
  switch (location.kind) {
    case "none":
      return [];
    case "unknown":
      return null;
    default:
      return location.scope;
  }
}

/**
 * The job summary file the monitor will append to, when this run may read the
 * variables and runs under GitHub Actions; null otherwise.
 */
function githubStepSummary(machine: PermissionMachine): string | null {
  const env = machine.readEnv(["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"]).values;
  const path = env.get("GITHUB_STEP_SUMMARY");
  return env.get("GITHUB_ACTIONS") === "true" && path !== undefined && path !== "" ? path : null;
}

/** The environment and file access a history command needs. */
function historyCommandPermissions(
  flags: HistoryFlags,
  access: "read" | "write",
  machine: PermissionMachine,
): PermissionNeed[] {
  return [
    { flag: `--allow-env=${historyEnv(machine.os).join(",")}`, why: "find the history", optional: true },
    ...historyPermissions(historyScope(flags, machine), access, false),
  ];
}

/**
 * What the permissions are worked out on: the OS, and the environment this
 * run may read (it names the data directory, so access can be scoped to it).
 */
export type PermissionMachine = Pick<Platform, "os" | "readEnv">;

/** The permissions a parsed command line needs on a machine. */
export function permissionsForCommand(command: CliCommand, machine: PermissionMachine): PermissionNeed[] {
  const os = machine.os;
  switch (command.kind) {
    case "snapshot":
      return [
        ...collectorPermissions(command.options.collector, os, command.options.input),
        ...ownerWalkPermissions(command.options.collector, os, command.options.input),
        ...(command.options.save ? historyCommandPermissions(command.options, "write", machine) : []),
        ...recordPermissions({ format: command.options.format }),
      ];
    case "monitor": {
      const stepSummary = githubStepSummary(machine);
      return monitorPermissions({
        ...command.options,
        historyScope: historyScope(command.options, machine),
        ...(stepSummary === null ? {} : { stepSummary }),
      }, os);
    }
    case "serve":
      return [
        ...monitorPermissions(
          { ...command.options, filterFile: [], historyScope: historyScope(command.options, machine) },
          os,
        ),
        {
          flag: `--allow-net=${
            command.options.port === 0
              ? bracketedHost(command.options.host)
              : hostWithPort(command.options.host, command.options.port)
          }`,
          why: "answer the web page and its API",
          optional: false,
        },
      ];
    case "filter":
      return collectorPermissions(command.options.collector, os, command.options.input);
    case "history":
    case "diff":
      return historyCommandPermissions(command.options, "read", machine);
    case "history-prune":
      return historyCommandPermissions(command.options, "write", machine);
    case "blocklist-update":
    case "blocklist-list":
      return blocklistPermissions(command.kind, command.options, machine);
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
    case "version":
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
  // The flags name files from the command line: shown safely, as every other echoed value.
  const flags = [...denoFlags(needs), ...runtimeFlags].map(safeTerminalText);
  if (flagsOnly) return flags.join(" ") + "\n";
  if (needs.length === 0) {
    return flags.length === 0
      ? "needs no permissions\n"
      : `needs no permissions\n\ndeno run ${flags.join(" ")} main.ts …\n`;
  }
  const width = Math.max(...needs.map((n) => n.flag.length));
  const lines = needs.map((n) =>
    safeTerminalText(`  ${n.flag.padEnd(width)}  ${n.why}${n.optional ? " (optional)" : ""}`)
  );
  return [
    "permission flags, and why:",
    ...lines,
    "",
    `deno run ${flags.join(" ")} main.ts …`,
    "",
  ].join("\n");
}
