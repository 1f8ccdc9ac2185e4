import { Command, CommanderError, Option } from "commander";
import { COLLECTOR_NAMES, type CollectorName } from "../collect/collector.ts";
import { UsageError } from "../errors.ts";
import { versionText } from "./version.ts";

/** Output formats of `conntrail snapshot`. */
export const SNAPSHOT_FORMATS = ["table", "json", "ndjson", "csv"] as const;

/** Options of `conntrail snapshot`. */
export interface SnapshotOptions {
  format: typeof SNAPSHOT_FORMATS[number];
  proto?: "tcp" | "udp";
  state?: string;
  pid?: number;
  process?: string;
  listening: boolean;
  collector: CollectorName;
  input?: string;
}

/** A parsed command line: what main.ts switches over. */
export type CliCommand =
  | { kind: "snapshot"; options: SnapshotOptions; debug: boolean }
  | { kind: "permissions"; target: CliCommand; flagsOnly: boolean; debug: boolean }
  | { kind: "print"; stdout: string; stderr: string; exitCode: number };

const SNAPSHOT_EXAMPLES = `
Examples:
  conntrail snapshot                          table of every TCP/UDP socket
  conntrail snapshot --format json            the same as JSON (SPEC field names)
  conntrail snapshot --proto tcp --state ESTABLISHED --no-listening
  conntrail snapshot --process firefox --format csv > firefox.csv
  conntrail snapshot --collector netstat --input capture.txt   parse saved output from another machine
`;

const PERMISSIONS_EXAMPLES = `
Examples:
  conntrail permissions snapshot              what \`conntrail snapshot\` needs, and why
  conntrail permissions --flags snapshot      just the flags, for \`deno run\`
  conntrail permissions snapshot --collector lsof
`;

const MAIN_EXAMPLES = `
Examples:
  conntrail snapshot                          the current connections, once
  conntrail permissions snapshot              the exact Deno flags a command needs

Run \`conntrail <command> --help\` for a command's flags.
`;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`"${value}" is not a positive integer`);
  return n;
}

function collectorOption(): Option {
  return new Option("--collector <name>", "how sockets are read").choices(COLLECTOR_NAMES).default("auto");
}

function snapshotCommand(onParsed: (options: SnapshotOptions, debug: boolean) => void): Command {
  return new Command("snapshot")
    .description("print the current connections once")
    .addOption(new Option("--format <format>", "output format").choices(SNAPSHOT_FORMATS).default("table"))
    .addOption(new Option("--proto <proto>", "only this protocol").choices(["tcp", "udp"]))
    .option("--state <state>", "only this status (ESTABLISHED, LISTEN, TIME_WAIT, CONNECTED, …)")
    .option("--pid <pid>", "only sockets of this process id", positiveInteger)
    .option("--process <name>", "only processes whose name contains this (case-insensitive)")
    .option("--no-listening", "leave out listening and unconnected sockets")
    .addOption(collectorOption())
    .option("--input <file>", "parse saved output of ss, netstat, lsof or /proc/net (- for stdin)")
    .option("--debug", "show the cause chain of an error")
    .addHelpText("after", SNAPSHOT_EXAMPLES)
    .action((options) => onParsed(options as SnapshotOptions, Boolean(options.debug)));
}

function buildProgram(onParsed: (command: CliCommand) => void): Command {
  const program = new Command("conntrail")
    .description("a network connection monitor: every TCP/UDP connection with its process")
    .option("--debug", "show the cause chain of an error")
    .enablePositionalOptions()
    .addHelpText("after", MAIN_EXAMPLES);
  program.addCommand(snapshotCommand((options, debug) => onParsed({ kind: "snapshot", options, debug })));
  program.addCommand(
    new Command("permissions")
      .description("the exact Deno permission flags a command line needs, and why")
      .argument("[command...]", "the conntrail command line to explain", [])
      .option("--flags", "print only the flags, on one line")
      .passThroughOptions()
      .addHelpText("after", PERMISSIONS_EXAMPLES)
      .action((args: string[], options: { flags?: boolean }) => {
        const target = parseArgs(args);
        if (target.kind === "print") {
          onParsed(target);
          return;
        }
        onParsed({ kind: "permissions", target, flagsOnly: Boolean(options.flags), debug: false });
      }),
  );
  return program;
}

/**
 * Parse a command line into a {@linkcode CliCommand}. Help, version and usage
 * errors come back as `print` commands carrying their text and exit code, so
 * that nothing here writes or exits.
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
export function parseArgs(args: readonly string[]): CliCommand {
  let parsed: CliCommand | null = null;
  let stdout = "";
  let stderr = "";
  const program = buildProgram((command) => {
    parsed = command;
  });
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({
      writeOut: (text) => (stdout += text),
      writeErr: (text) => (stderr += text),
    });
    command.commands.forEach(configure);
  };
  configure(program);
  if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
    return { kind: "print", stdout: versionText(), stderr: "", exitCode: 0 };
  }
  try {
    program.parse([...args], { from: "user" });
  } catch (error) {
    if (error instanceof UsageError) {
      return { kind: "print", stdout: "", stderr: `error: ${error.message}\n`, exitCode: 2 };
    }
    if (!(error instanceof CommanderError)) throw error;
    const exitCode = error.exitCode === 0 ? 0 : 2;
    return { kind: "print", stdout, stderr, exitCode };
  }
  if (parsed === null) {
    // A bare `conntrail`: the live monitor is not built yet, so show what there is.
    return { kind: "print", stdout: program.helpInformation() + MAIN_EXAMPLES, stderr: "", exitCode: 0 };
  }
  return parsed;
}
