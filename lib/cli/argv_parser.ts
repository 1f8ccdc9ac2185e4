/**
 * A command line parsed by a tree of {@linkcode CommandSpec}s, with the
 * grammar, order of checks and messages conntrail's command line has always
 * had (those of commander 15, which it was first written with): options are
 * read in order and each value is parsed as it is met; then the subcommand is
 * dispatched, help answered, required options, unknown options and the count
 * of arguments checked, and the command's action run. Errors and help come
 * back as text with commander's exit codes (help 0, errors 1); nothing here
 * writes or exits.
 *
 * @module
 */
import { type CommandSpec, type OptionFlags, optionFlags, type OptionSpec } from "./command_spec.ts";
import { hasHelpCommand, HELP_COMMAND, helpText } from "./help_text.ts";
import { ArgumentValues, OptionValues } from "./option_values.ts";
import { suggestSimilar } from "./suggest_similar.ts";

/** What a command line came to: its command's action ran, or text to print. */
export type ParseOutcome<T> =
  | { kind: "ran"; result: T; debug: boolean }
  | { kind: "printed"; stdout: string; stderr: string; exitCode: number };

/** The width help is wrapped to: the terminal's columns for stdout or stderr, 80 when not a terminal. */
export type HelpWidth = (stream: "stdout" | "stderr") => number;

/** Ends the parse with text to print (help, or an error) and an exit code. */
class Printed extends Error {
  constructor(readonly stdout: string, readonly stderr: string, readonly exitCode: number) {
    super("printed");
  }
}

interface Option extends OptionFlags {
  spec: OptionSpec;
}

/** One command met on the way: its spec, parents, options taken apart and the values read so far. */
class Invocation<T> {
  readonly options: Option[];
  readonly values: Record<string, unknown> = {};

  constructor(
    readonly spec: CommandSpec<T>,
    readonly parent: Invocation<T> | null,
    readonly helpWidth: HelpWidth,
  ) {
    this.options = spec.options.map((option) => ({ spec: option, ...optionFlags(option.flags) }));
    for (const option of this.options) {
      if (option.spec.default !== undefined) this.values[option.key] = option.spec.default;
    }
    // A --no-x without an --x: x is true unless negated.
    for (const option of this.options) {
      if (option.negate && option.spec.default === undefined && this.values[option.key] === undefined) {
        const positive = option.long!.replace(/^--no-/, "--");
        if (!this.find(positive)) this.values[option.key] = true;
      }
    }
  }

  find(arg: string): Option | undefined {
    return this.options.find((option) => option.short === arg || option.long === arg);
  }

  subcommand(name: string | undefined): CommandSpec<T> | undefined {
    return name ? this.spec.commands?.find((command) => command.name === name) : undefined;
  }

  /** This command, then the commands it belongs to, outward. */
  *lineage(): Generator<Invocation<T>> {
    yield this;
    for (let at = this.parent; at !== null; at = at.parent) yield at;
  }

  ancestors(): CommandSpec<T>[] {
    const list: CommandSpec<T>[] = [];
    for (let at = this.parent; at !== null; at = at.parent) list.unshift(at.spec);
    return list;
  }

  help(toStderr = false): string {
    return helpText(this.spec, this.ancestors(), this.helpWidth(toStderr ? "stderr" : "stdout"));
  }

  error(message: string): never {
    throw new Printed("", `${message}\n`, 1);
  }

  set(option: Option, value: string | undefined): void {
    let parsed: unknown = value;
    if (value !== undefined) {
      const { parse, choices } = option.spec;
      if (parse) {
        parsed = parse(value, this.values[option.key]);
      } else if (choices && !choices.includes(value)) {
        this.error(
          `error: option '${option.spec.flags}' argument '${value}' is invalid. Allowed choices are ${
            choices.join(", ")
          }.`,
        );
      }
    }
    this.values[option.key] = parsed ?? !option.negate;
  }

  /** Read this command's options out of `args`: what is left are operands, and unknown from the first unknown flag. */
  parseOptions(args: readonly string[]): { operands: string[]; unknown: string[] } {
    const operands: string[] = [];
    const unknown: string[] = [];
    let dest = operands;
    const maybeOption = (arg: string) => arg.length > 1 && arg[0] === "-";
    const negativeNumber = (arg: string) => /^-(\d+|\d*\.\d+)([eE][+-]?\d+)?$/.test(arg);
    let group: string | null = null;
    let i = 0;
    while (i < args.length || group !== null) {
      const arg: string = group ?? args[i++]!;
      group = null;
      if (arg === "--") {
        if (dest === unknown) dest.push(arg);
        dest.push(...args.slice(i));
        break;
      }
      if (maybeOption(arg)) {
        const option = this.find(arg);
        if (option) {
          if (option.takesValue) {
            const value = args[i++];
            if (value === undefined) this.error(`error: option '${option.spec.flags}' argument missing`);
            this.set(option, value);
          } else {
            this.set(option, undefined);
          }
          continue;
        }
      }
      // A short flag with more after it: its value (-t2), or more short flags.
      if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
        const option = this.find(`-${arg[1]}`);
        if (option) {
          if (option.takesValue) {
            this.set(option, arg.slice(2));
          } else {
            this.set(option, undefined);
            group = `-${arg.slice(2)}`;
          }
          continue;
        }
      }
      if (/^--[^=]+=/.test(arg)) {
        const index = arg.indexOf("=");
        const option = this.find(arg.slice(0, index));
        if (option?.takesValue) {
          this.set(option, arg.slice(index + 1));
          continue;
        }
      }
      const leaf = (this.spec.commands?.length ?? 0) === 0;
      if (dest === operands && maybeOption(arg) && !(leaf && negativeNumber(arg))) dest = unknown;
      if (
        (this.spec.positionalOptions || this.spec.passThroughOptions) && operands.length === 0 &&
        unknown.length === 0
      ) {
        if (this.subcommand(arg)) {
          operands.push(arg);
          unknown.push(...args.slice(i));
          break;
        } else if (hasHelpCommand(this.spec) && arg === HELP_COMMAND.name) {
          operands.push(arg, ...args.slice(i));
          break;
        } else if (this.spec.defaultCommand) {
          unknown.push(arg, ...args.slice(i));
          break;
        }
      }
      if (this.spec.passThroughOptions) {
        dest.push(arg, ...args.slice(i));
        break;
      }
      dest.push(arg);
    }
    return { operands, unknown };
  }

  helpIfRequested(args: readonly string[]): void {
    if (args.some((arg) => arg === "-h" || arg === "--help")) throw new Printed(this.help(), "", 0);
  }

  unknownOption(flag: string): never {
    let suggestion = "";
    if (flag.startsWith("--")) {
      const candidates: string[] = [];
      // This command's flags, and those of the commands it belongs to up to one whose options end at its
      // subcommand's name.
      for (const at of this.lineage()) {
        if (at !== this && at.spec.positionalOptions) break;
        for (const option of at.options) if (option.long) candidates.push(option.long);
        candidates.push("--help");
      }
      suggestion = suggestSimilar(flag, candidates);
    }
    this.error(`error: unknown option '${flag}'${suggestion}`);
  }

  unknownCommand(name: string): never {
    const names = [...(this.spec.commands ?? []), ...(hasHelpCommand(this.spec) ? [HELP_COMMAND] : [])]
      .map((command) => command.name);
    this.error(`error: unknown command '${name}'${suggestSimilar(name, names)}`);
  }

  /** The positional arguments, checked against the spec and parsed. */
  processArguments(args: readonly string[]): unknown[] {
    const declared = this.spec.arguments ?? [];
    declared.forEach((argument, index) => {
      if (argument.required && args[index] == null) {
        this.error(`error: missing required argument '${argument.name}'`);
      }
    });
    if (!declared.at(-1)?.variadic && args.length > declared.length) {
      const s = declared.length === 1 ? "" : "s";
      const forSubcommand = this.parent ? ` for '${this.spec.name}'` : "";
      this.error(
        `error: too many arguments${forSubcommand}. Expected ${declared.length} argument${s} but got ${args.length}: ${
          args.join(", ")
        }.`,
      );
    }
    return declared.map((argument, index) => {
      if (argument.variadic) {
        if (index >= args.length) return argument.default ?? [];
        const rest = args.slice(index);
        return argument.parse ? rest.map((value) => argument.parse!(value)) : rest;
      }
      if (index >= args.length) return argument.default;
      return argument.parse ? argument.parse(args[index]!) : args[index];
    });
  }

  /** `--debug` on this command or one it belongs to. */
  debug(): boolean {
    return [...this.lineage()].some((at) => at.values.debug === true);
  }

  dispatch(name: string, operands: string[], unknown: string[]): ParseOutcome<T> {
    const spec = this.subcommand(name);
    if (!spec) throw new Printed("", this.help(true), 1);
    return new Invocation(spec, this, this.helpWidth).run(operands, unknown);
  }

  run(givenOperands: string[], givenUnknown: string[]): ParseOutcome<T> {
    const parsed = this.parseOptions(givenUnknown);
    const operands = givenOperands.concat(parsed.operands);
    const unknown = parsed.unknown;
    const args = operands.concat(unknown);
    const first = operands[0];
    if (this.subcommand(first)) return this.dispatch(first!, operands.slice(1), unknown);
    if (hasHelpCommand(this.spec) && first === HELP_COMMAND.name) {
      const named = operands[1];
      if (!named) throw new Printed(this.help(), "", 0);
      const sub = this.subcommand(named);
      if (sub) throw new Printed(new Invocation(sub, this, this.helpWidth).help(), "", 0);
      return this.dispatch(named, [], ["--help"]);
    }
    if (this.spec.defaultCommand) {
      this.helpIfRequested(unknown);
      return this.dispatch(this.spec.defaultCommand, operands, unknown);
    }
    const hasCommands = (this.spec.commands?.length ?? 0) > 0;
    if (hasCommands && args.length === 0 && !this.spec.action) throw new Printed("", this.help(true), 1);
    this.helpIfRequested(parsed.unknown);
    for (const at of this.lineage()) {
      for (const option of at.options) {
        if (option.spec.mandatory && at.values[option.key] === undefined) {
          this.error(`error: required option '${option.spec.flags}' not specified`);
        }
      }
    }
    const checkUnknown = () => {
      if (parsed.unknown.length > 0) this.unknownOption(parsed.unknown[0]!);
    };
    if (this.spec.action) {
      checkUnknown();
      const argValues = new ArgumentValues(this.processArguments(args));
      const values = new OptionValues(this.values, this.options.map((option) => option.key));
      const result = this.spec.action(values, argValues);
      values.boolean("debug");
      values.done();
      return { kind: "ran", result, debug: this.debug() };
    }
    if (operands.length > 0 && hasCommands) this.unknownCommand(operands[0]!);
    checkUnknown();
    if (hasCommands) throw new Printed("", this.help(true), 1);
    throw new Error(`${this.spec.name} has neither an action nor subcommands`);
  }
}

/**
 * The name of the subcommand of `program` that `args` run, found as
 * {@linkcode parseCommandLine} finds it: the program's own options read
 * first, then the subcommand named, or the default one. Undefined when the
 * program answers the line itself (its help, `help <command>`, an error in its
 * own options). Only names are read of the subcommands: a program whose
 * subcommands are known by name alone tells which one to load.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { commandNamed } from "./argv_parser.ts";
 * const program = {
 *   name: "p",
 *   description: "",
 *   options: [{ flags: "--debug", description: "" }],
 *   defaultCommand: "watch",
 *   positionalOptions: true,
 *   commands: [{ name: "watch", description: "", options: [] }, { name: "go", description: "", options: [] }],
 * };
 * deepStrictEqual(commandNamed(program, ["--debug", "go", "-n3"]), "go");
 * deepStrictEqual(commandNamed(program, ["-n3"]), "watch");
 * deepStrictEqual(commandNamed(program, ["--help"]), undefined);
 * deepStrictEqual(commandNamed(program, ["help", "go"]), undefined);
 * ```
 */
export function commandNamed<T>(program: CommandSpec<T>, args: readonly string[]): string | undefined {
  const top = new Invocation(program, null, () => 80);
  let parsed;
  try {
    parsed = top.parseOptions(args);
  } catch (error) {
    if (error instanceof Printed) return undefined;
    throw error;
  }
  // As run() decides at the top: a subcommand named, the help command, or the default command unless help is asked.
  const first = parsed.operands[0];
  if (top.subcommand(first)) return first;
  if (hasHelpCommand(program) && first === HELP_COMMAND.name) return undefined;
  if (program.defaultCommand && !parsed.unknown.some((arg) => arg === "-h" || arg === "--help")) {
    return program.defaultCommand;
  }
  return undefined;
}

/**
 * Parse `args` by the command tree `program`: the action of the command they
 * name, with `--debug` read on it or a command above, or the help or error
 * text to print.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { parseCommandLine } from "./argv_parser.ts";
 * const program = {
 *   name: "p",
 *   description: "",
 *   options: [{ flags: "--debug", description: "" }],
 *   commands: [{
 *     name: "go",
 *     description: "",
 *     options: [{ flags: "-n, --count <n>", description: "", parse: Number }, { flags: "--debug", description: "" }],
 *     action: (values: { optionalNumber(name: string): number | undefined }) => values.optionalNumber("count"),
 *   }],
 * };
 * deepStrictEqual(parseCommandLine(program, ["--debug", "go", "-n3"], () => 80), { kind: "ran", result: 3, debug: true });
 * deepStrictEqual(parseCommandLine(program, ["go", "--cont", "3"], () => 80), {
 *   kind: "printed", stdout: "", stderr: "error: unknown option '--cont'\n(Did you mean --count?)\n", exitCode: 1,
 * });
 * ```
 */
export function parseCommandLine<T>(
  program: CommandSpec<T>,
  args: readonly string[],
  helpWidth: HelpWidth,
): ParseOutcome<T> {
  try {
    return new Invocation(program, null, helpWidth).run([], [...args]);
  } catch (error) {
    if (error instanceof Printed) {
      return { kind: "printed", stdout: error.stdout, stderr: error.stderr, exitCode: error.exitCode };
    }
    throw error;
  }
}
