/**
 * The top of conntrail's command line: its own options, the commands it
 * dispatches to (the monitor by default), and what a parse comes to. The
 * commands' own descriptions are each in their module (monitor_args.ts …);
 * parse_args.ts parses by all of them, command_line.ts by the one a command
 * line names.
 *
 * @module
 */
import { type HelpWidth, parseCommandLine } from "./argv_parser.ts";
import type { BlocklistOptions } from "./blocklist_command.ts";
import type { CheckOptions } from "./check_command.ts";
import { type CommandSpec, withDebug } from "./command_spec.ts";
import type { DiffOptions } from "./diff_command.ts";
import type { FilterOptions } from "./filter_command.ts";
import type { HistoryOptions, PruneOptions } from "./history_command.ts";
import type { MonitorOptions } from "./monitor_args.ts";
import type { ServeOptions } from "./serve_command.ts";
import type { SnapshotOptions } from "./snapshot_args.ts";
import { UsageError } from "./usage_error.ts";
import { isVersionRequest } from "./version.ts";
import { safeTerminalText } from "../render/terminal_text.ts";

/** A parsed command line, but `--debug`: what each command's action reads. */
export type CommandLine =
  | { kind: "monitor"; options: MonitorOptions }
  | { kind: "check"; options: CheckOptions }
  | { kind: "blocklist-update" | "blocklist-list"; options: BlocklistOptions }
  | { kind: "snapshot"; options: SnapshotOptions }
  | { kind: "history"; options: HistoryOptions }
  | { kind: "history-prune"; options: PruneOptions }
  | { kind: "diff"; options: DiffOptions }
  | { kind: "serve"; options: ServeOptions }
  | { kind: "filter"; options: FilterOptions }
  | { kind: "permissions"; target: CliCommand; flagsOnly: boolean };

/** Help, version or a usage error: text to print and the exit code. */
export interface PrintCommand {
  kind: "print";
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** A parsed command line: what main.ts switches over. `debug`: `--debug` was given, before or after the command's name. */
export type CliCommand = (CommandLine & { debug: boolean }) | PrintCommand | VersionCommand;

/** `--version` or `-V` alone: main.ts prints the runtime's versions with conntrail's. */
export interface VersionCommand {
  kind: "version";
}

/** What a command's action makes of its command line. */
export type Parsed = CommandLine | PrintCommand | VersionCommand;

/** conntrail's commands, in the order `conntrail --help` lists them. */
export const COMMAND_NAMES = [
  "monitor",
  "snapshot",
  "blocklist",
  "history",
  "diff",
  "serve",
  "filter",
  "check",
  "permissions",
] as const;

/** The name of one of conntrail's commands. */
export type CommandName = typeof COMMAND_NAMES[number];

const MAIN_EXAMPLES = `
Examples:
  conntrail                                   the live monitor (same as \`conntrail monitor\`)
  conntrail snapshot                          the current connections, once
  conntrail history                           what the monitor has remembered, across runs
  conntrail diff                              what changed between the last two saved snapshots
  conntrail serve                             a web page of the same, on http://127.0.0.1:8377/
  conntrail filter --process firefox          tcpdump and Wireshark filters for some connections
  conntrail check 203.0.113.7 bad.example     block lists, reputation and names for given addresses
  conntrail blocklist update                  download public block lists
  conntrail permissions snapshot              the exact Deno flags a command needs

Run \`conntrail <command> --help\` for a command's flags.
`;

/**
 * conntrail with these commands (one for each of {@linkcode COMMAND_NAMES},
 * in that order); the monitor is the default.
 */
export function programSpec(commands: readonly CommandSpec<Parsed>[]): CommandSpec<Parsed> {
  return {
    name: "conntrail",
    description: "a network connection monitor: every TCP/UDP connection with its process",
    options: withDebug([
      // Answered before parsing (parseArgs); listed here so that --help shows it.
      {
        flags: "-V, --version",
        description: "print conntrail's and Deno's versions and the attribution of embedded data",
      },
    ]),
    positionalOptions: true,
    defaultCommand: "monitor",
    helpAfter: MAIN_EXAMPLES,
    commands,
  };
}

/**
 * A command known by name only: enough for the program to tell which command
 * a command line runs (command_line.ts), never run.
 */
export function namedOnly(name: string): CommandSpec<Parsed> {
  return { name, description: "", options: [] };
}

/**
 * Parse a command line by `program` into a {@linkcode CliCommand}: help,
 * version and usage errors come back as `print` commands carrying their text
 * and exit code (2 for errors).
 */
export function commandOf(
  program: CommandSpec<Parsed>,
  args: readonly string[],
  helpWidth: HelpWidth,
): CliCommand {
  if (isVersionRequest(args)) return { kind: "version" };
  let outcome;
  try {
    outcome = parseCommandLine(program, args, helpWidth);
  } catch (error) {
    // A usage error is one line: a value typed with a line break or an escape in it is echoed as text.
    if (error instanceof UsageError) {
      return {
        kind: "print",
        stdout: "",
        stderr: `error: ${safeTerminalText(error.message)}\n`,
        exitCode: 2,
      };
    }
    throw error;
  }
  if (outcome.kind === "ran") {
    const line = outcome.result;
    return line.kind === "print" || line.kind === "version" ? line : { ...line, debug: outcome.debug };
  }
  let echoed = outcome.stderr;
  for (const arg of args) {
    if (arg !== "" && arg !== safeTerminalText(arg)) echoed = echoed.replaceAll(arg, safeTerminalText(arg));
  }
  return { kind: "print", stdout: outcome.stdout, stderr: echoed, exitCode: outcome.exitCode === 0 ? 0 : 2 };
}
