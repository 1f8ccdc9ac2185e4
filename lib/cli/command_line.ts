/**
 * The command line as main.ts reads it: by the description of the one
 * command it names, not of all of them. A run imports and builds only its
 * own command's options (for `snapshot`: snapshot_args.ts, not the monitor's,
 * serve's, history's and check's flags and the modules their values need);
 * `permissions`, conntrail's own help, `help <command>` and errors before a
 * command is named are parsed by every command (parse_args.ts), as before.
 * Either way the line comes to the same {@linkcode CliCommand} as
 * parse_args.ts's `parseArgs` (tests/cli/parse_args_corpus_test.ts holds the two to
 * every line of its corpus).
 *
 * @module
 */
import { commandNamed, type HelpWidth } from "./argv_parser.ts";
import type { CommandSpec } from "./command_spec.ts";
import {
  type CliCommand,
  COMMAND_NAMES,
  type CommandName,
  commandOf,
  namedOnly,
  type Parsed,
  programSpec,
} from "./program_spec.ts";

/**
 * The description of each command but `permissions` (which parses the line it explains by every command), its
 * module imported when a line names it. `import()` of a string literal: `deno compile` still embeds them.
 */
const LOADERS: Record<Exclude<CommandName, "permissions">, () => Promise<CommandSpec<Parsed>>> = {
  monitor: async () =>
    (await import("./monitor_args.ts")).monitorCommand<Parsed>((options) => ({ kind: "monitor", options })),
  snapshot: async () =>
    (await import("./snapshot_args.ts")).snapshotCommand<Parsed>((options) => ({
      kind: "snapshot",
      options,
    })),
  blocklist: async () =>
    (await import("./check_args.ts")).blocklistCommand<Parsed>(
      (options) => ({ kind: "blocklist-update", options }),
      (options) => ({ kind: "blocklist-list", options }),
    ),
  history: async () =>
    (await import("./history_args.ts")).historyCommand<Parsed>(
      (options) => ({ kind: "history", options }),
      (options) => ({ kind: "history-prune", options }),
    ),
  diff: async () =>
    (await import("./history_args.ts")).diffCommand<Parsed>((options) => ({ kind: "diff", options })),
  serve: async () =>
    (await import("./serve_args.ts")).serveCommand<Parsed>((options) => ({ kind: "serve", options })),
  filter: async () =>
    (await import("./serve_args.ts")).filterCommand<Parsed>((options) => ({ kind: "filter", options })),
  check: async () =>
    (await import("./check_args.ts")).checkCommand<Parsed>((options) => ({ kind: "check", options })),
};

function loaderOf(name: string | undefined): (() => Promise<CommandSpec<Parsed>>) | undefined {
  return name !== undefined && Object.hasOwn(LOADERS, name)
    ? LOADERS[name as keyof typeof LOADERS]
    : undefined;
}

/**
 * Parse a command line as parse_args.ts's `parseArgs` does, loading only the
 * description of the command it names when it names one (or runs the
 * default, the monitor).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { readCommandLine } from "./command_line.ts";
 * const command = await readCommandLine(["snapshot", "--format", "json"], () => 80);
 * deepStrictEqual(command.kind === "snapshot" && command.options.format, "json");
 * deepStrictEqual((await readCommandLine(["snapshot", "--bogus"], () => 80)).kind, "print");
 * ```
 */
export async function readCommandLine(args: readonly string[], helpWidth: HelpWidth): Promise<CliCommand> {
  const names = COMMAND_NAMES.map(namedOnly);
  let name: string | undefined;
  try {
    name = commandNamed(programSpec(names), args);
  } catch {
    name = undefined; // parsed in full below, which says what is wrong
  }
  const load = loaderOf(name);
  if (load === undefined) {
    const { parseArgs } = await import("./parse_args.ts");
    return parseArgs(args, helpWidth);
  }
  const own = await load();
  // The other commands by name alone: the line runs `name`, so the parse never reaches them.
  return commandOf(programSpec(names.map((each) => each.name === name ? own : each)), args, helpWidth);
}
