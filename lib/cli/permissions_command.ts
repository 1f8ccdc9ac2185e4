import type { OperatingSystem } from "../platform/platform.ts";
import {
  collectorPermissions,
  denoFlags,
  historyPermissions,
  MONITOR_V8_FLAGS,
  monitorPermissions,
  type PermissionNeed,
  recordPermissions,
  SNAPSHOT_V8_FLAGS,
  threatPermissions,
} from "./permissions.ts";
import { REPUTATION_ENV } from "./reputation_config.ts";
import { blocklistDirectory, type BlocklistOptions } from "./blocklist_command.ts";
import { listUrl, PUBLIC_LISTS, publicList } from "../enrich/public_lists.ts";
import { DATA_DIR_ENV } from "../store/data_dir.ts";
import { historyEnv, readPermittedEnv } from "./environment.ts";
import { type HistoryFlags, historyLocation } from "./history_config.ts";
import { bracketedHost, hostWithPort } from "../web/access_policy.ts";
import { safeTerminalText } from "../render/terminal_text.ts";

function blocklistPermissions(
  kind: "blocklist-update" | "blocklist-list",
  options: BlocklistOptions,
  os: OperatingSystem,
): PermissionNeed[] {
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
    directory = blocklistDirectory(options, { env: readPermittedEnv(DATA_DIR_ENV).values, os });
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

/** Deno flags other than permissions that a command runs with (the monitor's and the snapshot's heap settings). */
export function runtimeFlagsForCommand(command: CliCommand): string[] {
  if (command.kind === "monitor" || command.kind === "serve") return [MONITOR_V8_FLAGS];
  return command.kind === "snapshot" ? [SNAPSHOT_V8_FLAGS] : [];
}

/**
 * What history's access must cover for these flags, as far as this run can
 * tell: null when the data directory cannot be named here (the environment is
 * not readable), empty for `--store none`.
 */
function historyScope(flags: HistoryFlags, os: OperatingSystem): string[] | null {
  const location = historyLocation(flags, readPermittedEnv(historyEnv(os)).values, os);
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
function githubStepSummary(): string | null {
  const env = readPermittedEnv(["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"]).values;
  const path = env.get("GITHUB_STEP_SUMMARY");
  return env.get("GITHUB_ACTIONS") === "true" && path !== undefined && path !== "" ? path : null;
}

/** The environment and file access a history command needs. */
function historyCommandPermissions(
  flags: HistoryFlags,
  access: "read" | "write",
  os: OperatingSystem,
): PermissionNeed[] {
  return [
    { flag: `--allow-env=${historyEnv(os).join(",")}`, why: "find the history", optional: true },
    ...historyPermissions(historyScope(flags, os), access, false),
  ];
}

/** The permissions a parsed command line needs on an OS. */
export function permissionsForCommand(command: CliCommand, os: OperatingSystem): PermissionNeed[] {
  switch (command.kind) {
    case "snapshot":
      return [
        ...collectorPermissions(command.options.collector, os, command.options.input),
        ...(command.options.save ? historyCommandPermissions(command.options, "write", os) : []),
        ...recordPermissions({ format: command.options.format }),
      ];
    case "monitor": {
      const stepSummary = githubStepSummary();
      return monitorPermissions({
        ...command.options,
        historyScope: historyScope(command.options, os),
        ...(stepSummary === null ? {} : { stepSummary }),
      }, os);
    }
    case "serve":
      return [
        ...monitorPermissions(
          { ...command.options, filterFile: [], historyScope: historyScope(command.options, os) },
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
      return historyCommandPermissions(command.options, "read", os);
    case "history-prune":
      return historyCommandPermissions(command.options, "write", os);
    case "blocklist-update":
    case "blocklist-list":
      return blocklistPermissions(command.kind, command.options, os);
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
  // The flags name files from the command line: shown safely, as every other echoed value.
  const flags = [...denoFlags(needs), ...runtimeFlags].map(safeTerminalText);
  if (flagsOnly) return flags.join(" ") + "\n";
  if (needs.length === 0) return "needs no permissions\n";
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
