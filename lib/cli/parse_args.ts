/**
 * conntrail's command line parsed into what main.ts runs, by the description
 * of every command. Each command is described once, as data
 * ({@linkcode CommandSpec}: monitor_args.ts, snapshot_args.ts,
 * history_args.ts, check_args.ts, serve_args.ts); the parser (argv_parser.ts)
 * and `--help` (help_text.ts) both read that. main.ts parses through
 * command_line.ts, which loads only the description of the command a line
 * names and comes to the same command.
 *
 * @module
 */
import type { HelpWidth } from "./argv_parser.ts";
import { blocklistCommand, checkCommand } from "./check_args.ts";
import { type CommandSpec, withDebug } from "./command_spec.ts";
import { diffCommand, historyCommand } from "./history_args.ts";
import { monitorCommand } from "./monitor_args.ts";
import { type CliCommand, commandOf, type Parsed, programSpec } from "./program_spec.ts";
import { filterCommand, serveCommand } from "./serve_args.ts";
import { snapshotCommand } from "./snapshot_args.ts";

export { HISTORY_FORMATS } from "./history_args.ts";
export type { MonitorOptions } from "./monitor_args.ts";
export { SNAPSHOT_FORMATS, type SnapshotOptions } from "./snapshot_args.ts";
export type { CliCommand, CommandLine, PrintCommand, VersionCommand } from "./program_spec.ts";

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

/** Every command, in the order of program_spec.ts's COMMAND_NAMES. */
function commands(helpWidth: HelpWidth): CommandSpec<Parsed>[] {
  return [
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
  ];
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
  return commandOf(programSpec(commands(helpWidth)), args, helpWidth);
}
