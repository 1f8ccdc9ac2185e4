/**
 * The one description of conntrail's commands and their options, as data:
 * argv_parser.ts parses a command line by it and help_text.ts writes `--help`
 * from it. The grammar is the one conntrail's command line always had (that of
 * the commander package it was first written with): `--flag value`,
 * `--flag=value`, `-t2`, `--no-flag`, options before or after arguments, and
 * `--` to end the options.
 *
 * @module
 */
import type { ArgumentValues, OptionValues } from "./option_values.ts";

/** One option, as `--help` shows it and the parser reads it. */
export interface OptionSpec {
  /** `-t, --time-unit <seconds>`, `--scroll`, `--no-color`: the short and long flag, and `<value>` if it takes one. */
  flags: string;
  description: string;
  /**
   * Turn a value typed into the option's value; `previous` is the value so far (the default, or the value of
   * the same flag given earlier). A bad value throws a {@linkcode UsageError}. Without it the value is the text.
   */
  parse?: (value: string, previous: unknown) => unknown;
  /** The values it may take: `--help` lists them, and without `parse` anything else is refused. */
  choices?: readonly string[];
  /** Its value when not given (no default: absent). */
  default?: unknown;
  /** It must be given (`history prune --older-than`). */
  mandatory?: boolean;
  /** The heading `--help` lists it under (default `Options:`). */
  group?: string;
}

/** One positional argument: `<targets...>`, `[ip]`. */
export interface ArgumentSpec {
  name: string;
  description: string;
  required?: boolean;
  /** It takes every argument left (it is the last). */
  variadic?: boolean;
  parse?: (value: string) => unknown;
  default?: unknown;
}

/** One command: what it takes, its subcommands, and what it makes of what was typed. */
export interface CommandSpec<T> {
  name: string;
  description: string;
  options: readonly OptionSpec[];
  arguments?: readonly ArgumentSpec[];
  commands?: readonly CommandSpec<T>[];
  /** The subcommand a command line runs when it names none (`conntrail` alone is `conntrail monitor`). */
  defaultCommand?: string;
  /** The command's own options end at its subcommand's name: `history prune --db X` gives --db to prune. */
  positionalOptions?: boolean;
  /** Everything from the first argument on is an argument, flags too (`permissions snapshot --debug`). */
  passThroughOptions?: boolean;
  /** Text `--help` prints after the options (the examples). */
  helpAfter?: string;
  /** What a command line that runs this command becomes: read from its option and argument values. */
  action?: (values: OptionValues, args: ArgumentValues) => T;
}

/** An option's flags taken apart. */
export interface OptionFlags {
  short?: string;
  long?: string;
  /** It takes a value (`<value>` in its flags). */
  takesValue: boolean;
  /** `--no-x`: sets `x` to false. */
  negate: boolean;
  /** Where its value is kept: `--time-unit` → `timeUnit`, `--no-color` → `color`. */
  key: string;
}

function camelCase(name: string): string {
  return name.split("-").reduce((text, word) => text + word[0]!.toUpperCase() + word.slice(1));
}

/**
 * The flags of an option spec, taken apart.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { optionFlags } from "./command_spec.ts";
 * deepStrictEqual(optionFlags("-t, --time-unit <seconds>"), { short: "-t", long: "--time-unit", takesValue: true, negate: false, key: "timeUnit" });
 * deepStrictEqual(optionFlags("--no-color"), { long: "--no-color", takesValue: false, negate: true, key: "color" });
 * ```
 */
export function optionFlags(flags: string): OptionFlags {
  const parts = flags.split(/[ |,]+/);
  const short = /^-[^-]$/.test(parts[0] ?? "") ? parts.shift() : undefined;
  const long = /^--[^-]/.test(parts[0] ?? "") ? parts.shift() : undefined;
  if (short === undefined && long === undefined) throw new TypeError(`no flag in "${flags}"`);
  const negate = long?.startsWith("--no-") ?? false;
  const name = long !== undefined ? long.slice(2) : short!.slice(1);
  return {
    ...(short === undefined ? {} : { short }),
    ...(long === undefined ? {} : { long }),
    takesValue: flags.includes("<"),
    negate,
    key: camelCase(negate ? name.slice(3) : name),
  };
}

/** The option every command takes: the cause chain of an error. */
export const DEBUG_OPTION: OptionSpec = { flags: "--debug", description: "show the cause chain of an error" };

/** The help flags every command answers (the parser's own; `--help` lists it last, under `Options:`). */
export const HELP_OPTION: OptionSpec = { flags: "-h, --help", description: "display help for command" };

/**
 * A command's options with {@linkcode DEBUG_OPTION} last, in the help group of
 * the option before it.
 */
export function withDebug(options: readonly OptionSpec[]): OptionSpec[] {
  const group = options.at(-1)?.group;
  return [...options, group === undefined ? DEBUG_OPTION : { ...DEBUG_OPTION, group }];
}

/** Options with a help group: `options` listed under `heading`. */
export function inGroup(heading: string, options: readonly OptionSpec[]): OptionSpec[] {
  return options.map((option) => ({ ...option, group: heading }));
}
