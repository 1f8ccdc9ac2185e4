/**
 * conntrail's command line parsed into what main.ts runs. Each command is
 * described once, as data ({@linkcode CommandSpec}: monitor_args.ts,
 * snapshot_args.ts, history_args.ts, check_args.ts, serve_args.ts); the
 * parser (argv_parser.ts) and `--help` (help_text.ts) both read that.
 *
 * @module
 */
import { type HelpWidth, parseCommandLine } from "./argv_parser.ts";
import type { BlocklistOptions } from "./blocklist_command.ts";
import { blocklistCommand, checkCommand } from "./check_args.ts";
import type { CheckOptions } from "./check_command.ts";
import { type CommandSpec, withDebug } from "./command_spec.ts";
import type { DiffOptions } from "./diff_command.ts";
import type { FilterOptions } from "./filter_command.ts";
import { diffCommand, historyCommand } from "./history_args.ts";
import type { HistoryOptions, PruneOptions } from "./history_command.ts";
import { monitorCommand, type MonitorOptions } from "./monitor_args.ts";
import { filterCommand, serveCommand } from "./serve_args.ts";
import type { ServeOptions } from "./serve_command.ts";
import { snapshotCommand, type SnapshotOptions } from "./snapshot_args.ts";
import { UsageError } from "./usage_error.ts";
import { isVersionRequest } from "./version.ts";
import { safeTerminalText } from "../render/terminal_text.ts";

export { HISTORY_FORMATS } from "./history_args.ts";
export type { MonitorOptions } from "./monitor_args.ts";
export { SNAPSHOT_FORMATS, type SnapshotOptions } from "./snapshot_args.ts";

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
type Parsed = CommandLine | PrintCommand | VersionCommand;

const PERMISSIONS_EXAMPLES = `
Examples:
  conntrail permissions snapshot              what \`conntrail snapshot\` needs, and why
  conntrail permissions --flags snapshot      just the flags, for \`deno run\`
  conntrail permissions snapshot --collector lsof
`;

/** `conntrail permissions`: the command line it explains is parsed as any, its help wrapped to the same width. */
function permissionsCommand(helpWidth: HelpWidth): CommandSpec<Parsed> {
  return {
    name: "permissions",
    description: "the exact Deno permission flags a command line needs, and why",
    arguments: [{
      name: "command",
      description: "the conntrail command line to explain",
      variadic: true,
      default: [],
    }],
    options: withDebug([{ flags: "--flags", description: "print only the flags, on one line" }]),
    passThroughOptions: true,
    helpAfter: PERMISSIONS_EXAMPLES,
    action: (values, args) => {
      const flagsOnly = values.boolean("flags");
      const target = parseArgs(args.strings(0), helpWidth);
      return target.kind === "print" || target.kind === "version"
        ? target
        : { kind: "permissions", target, flagsOnly };
    },
  };
}

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

/** conntrail and its commands, in the order `conntrail --help` lists them; the monitor is the default. */
function program(helpWidth: HelpWidth): CommandSpec<Parsed> {
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
    commands: [
      monitorCommand<Parsed>((options) => ({ kind: "monitor", options })),
      snapshotCommand<Parsed>((options) => ({ kind: "snapshot", options })),
      blocklistCommand<Parsed>(
        (options) => ({ kind: "blocklist-update", options }),
        (options) => ({ kind: "blocklist-list", options }),
      ),
      historyCommand<Parsed>(
        (options) => ({ kind: "history", options }),
        (options) => ({ kind: "history-prune", options }),
      ),
      diffCommand<Parsed>((options) => ({ kind: "diff", options })),
      serveCommand<Parsed>((options) => ({ kind: "serve", options })),
      filterCommand<Parsed>((options) => ({ kind: "filter", options })),
      checkCommand<Parsed>((options) => ({ kind: "check", options })),
      permissionsCommand(helpWidth),
    ],
  };
}

/** Help not printed on a terminal is wrapped to 80 columns. */
const NOT_A_TERMINAL: HelpWidth = () => 80;

/**
 * Parse a command line into a {@linkcode CliCommand}. Help, version and usage
 * errors come back as `print` commands carrying their text and exit code, so
 * that nothing here writes or exits. Help is wrapped to `helpWidth` of the
 * stream it goes to (main.ts: the terminal's columns; 80 when not a terminal).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseArgs } from "./parse_args.ts";
 * const command = parseArgs(["snapshot", "--format", "json", "--proto", "tcp"]);
 * deepStrictEqual(command.kind === "snapshot" && command.options.format, "json");
 * deepStrictEqual(parseArgs(["snapshot", "--bogus"]).kind === "print" && 2, 2);
 * ```
 */
export function parseArgs(args: readonly string[], helpWidth: HelpWidth = NOT_A_TERMINAL): CliCommand {
  if (isVersionRequest(args)) return { kind: "version" };
  let outcome;
  try {
    outcome = parseCommandLine(program(helpWidth), args, helpWidth);
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
