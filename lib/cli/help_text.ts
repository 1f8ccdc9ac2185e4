/**
 * `--help` of a command, written from its {@linkcode CommandSpec}: usage,
 * description, arguments, options by group, subcommands, then the examples,
 * terms padded to one column and descriptions wrapped to the terminal's
 * width (80 when not a terminal).
 *
 * @module
 */
import { type ArgumentSpec, type CommandSpec, HELP_OPTION, type OptionSpec } from "./command_spec.ts";

/** Below this many columns left for descriptions, they are not wrapped. */
const MIN_WIDTH_TO_WRAP = 40;

/** The `help [command]` of a command with subcommands and no action of its own. */
export const HELP_COMMAND: CommandSpec<never> = {
  name: "help",
  description: "display help for command",
  options: [],
  arguments: [{ name: "command", description: "" }],
};

/** Whether a command answers `help [command]`: it has subcommands and runs nothing itself. */
export function hasHelpCommand(command: CommandSpec<unknown>): boolean {
  return (command.commands?.length ?? 0) > 0 && command.action === undefined;
}

/** `[ip]`, `<targets...>`. */
export function argumentTerm(argument: ArgumentSpec): string {
  const name = argument.name + (argument.variadic ? "..." : "");
  return argument.required ? `<${name}>` : `[${name}]`;
}

/** The usage line's words after the command's names. */
function usage(command: CommandSpec<unknown>): string {
  return [
    "[options]",
    ...(command.commands?.length ? ["[command]"] : []),
    ...(command.arguments ?? []).map(argumentTerm),
  ].join(" ");
}

/** A subcommand as the parent's help lists it: `diff [options] [from] [to]`. */
function subcommandTerm(command: CommandSpec<unknown>): string {
  const args = (command.arguments ?? []).map(argumentTerm).join(" ");
  return command.name + (command.options.length ? " [options]" : "") + (args ? ` ${args}` : "");
}

/**
 * An option's help line: its description, its choices, and its default when
 * that says something (not for on/off flags, not an empty list, not when the
 * description already names a default).
 */
function optionDescription(option: OptionSpec): string {
  const extra: string[] = [];
  if (option.choices) extra.push(`one of ${option.choices.join(", ")}`);
  const value = option.default;
  const meaningful = value !== undefined && typeof value !== "boolean" &&
    !(Array.isArray(value) && value.length === 0) && !/\bdefault\b/.test(option.description);
  if (meaningful) extra.push(`default ${String(value)}`);
  return extra.length === 0 ? option.description : `${option.description} (${extra.join("; ")})`;
}

function argumentDescription(argument: ArgumentSpec): string {
  if (argument.default === undefined) return argument.description;
  const extra = `(default: ${JSON.stringify(argument.default)})`;
  return argument.description ? `${argument.description} ${extra}` : extra;
}

/** Wrap `text` at spaces to lines of at most `width` (a word longer than that stays whole). */
function boxWrap(text: string, width: number): string {
  if (width < MIN_WIDTH_TO_WRAP) return text;
  const lines: string[] = [];
  for (const line of text.split(/\r\n|\n/)) {
    const chunks = line.match(/[\s]*[^\s]+/g);
    if (chunks === null) {
      lines.push("");
      continue;
    }
    let current = [chunks.shift()!];
    let currentWidth = current[0]!.length;
    for (const chunk of chunks) {
      if (currentWidth + chunk.length <= width) {
        current.push(chunk);
        currentWidth += chunk.length;
        continue;
      }
      lines.push(current.join(""));
      const next = chunk.trimStart();
      current = [next];
      currentWidth = next.length;
    }
    lines.push(current.join(""));
  }
  return lines.join("\n");
}

/** One item: the term padded to `termWidth`, then its description wrapped beside it. */
function formatItem(term: string, termWidth: number, description: string, helpWidth: number): string {
  if (!description) return `  ${term}`;
  const remaining = helpWidth - termWidth - 4;
  let text = description;
  if (remaining >= MIN_WIDTH_TO_WRAP && !/\n[^\S\r\n]/.test(description)) {
    text = boxWrap(description, remaining).replace(/\n/g, "\n" + " ".repeat(termWidth + 2));
  }
  return `  ${term.padEnd(termWidth)}  ${text.replace(/\n/g, "\n  ")}`;
}

function section(heading: string, items: string[]): string[] {
  return items.length === 0 ? [] : [heading, ...items, ""];
}

/**
 * The help of `command`, whose parents are `ancestors` (outermost first), for
 * a terminal `helpWidth` columns wide.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { helpText } from "./help_text.ts";
 * const text = helpText({ name: "go", description: "go somewhere", options: [{ flags: "--to <place>", description: "where", default: "home" }] }, [], 80);
 * deepStrictEqual(text, "Usage: go [options]\n\ngo somewhere\n\nOptions:\n  --to <place>  where (default home)\n  -h, --help    display help for command\n");
 * ```
 */
export function helpText(
  command: CommandSpec<unknown>,
  ancestors: readonly CommandSpec<unknown>[],
  helpWidth: number,
): string {
  const options = [...command.options, HELP_OPTION];
  const commands: CommandSpec<unknown>[] = [
    ...(command.commands ?? []),
    ...(hasHelpCommand(command) ? [HELP_COMMAND] : []),
  ];
  const args = (command.arguments ?? []).some((argument) => argument.description)
    ? command.arguments ?? []
    : [];
  const termWidth = Math.max(
    0,
    ...options.map((option) => option.flags.length),
    ...commands.map((sub) => subcommandTerm(sub).length),
    ...args.map((argument) => argument.name.length),
  );
  const item = (term: string, description: string) => formatItem(term, termWidth, description, helpWidth);
  const names = [...ancestors, command].map((each) => each.name).join(" ");
  let output = [`Usage: ${names} ${usage(command)}`, ""];
  if (command.description.length > 0) output.push(boxWrap(command.description, helpWidth), "");
  output = output.concat(
    section("Arguments:", args.map((argument) => item(argument.name, argumentDescription(argument)))),
  );
  const groups = new Map<string, OptionSpec[]>();
  for (const option of options) {
    const heading = option.group ?? "Options:";
    groups.set(heading, [...groups.get(heading) ?? [], option]);
  }
  for (const [heading, grouped] of groups) {
    output = output.concat(
      section(heading, grouped.map((option) => item(option.flags, optionDescription(option)))),
    );
  }
  output = output.concat(
    section("Commands:", commands.map((sub) => item(subcommandTerm(sub), sub.description))),
  );
  const text = output.join("\n");
  return command.helpAfter ? `${text}${command.helpAfter}\n` : text;
}
