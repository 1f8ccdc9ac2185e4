import { deepStrictEqual, match, throws } from "node:assert/strict";
import { parseCommandLine } from "../../lib/cli/argv_parser.ts";
import type { CommandSpec } from "../../lib/cli/command_spec.ts";
import { withDebug } from "../../lib/cli/command_spec.ts";

/** A program like conntrail's: options end at a subcommand's name, and `go` is the default. */
function program(read: CommandSpec<string>["action"]): CommandSpec<string> {
  return {
    name: "p",
    description: "a program",
    options: withDebug([]),
    positionalOptions: true,
    defaultCommand: "go",
    commands: [{
      name: "go",
      description:
        "go somewhere, and say where at length so that the description has to be wrapped somewhere",
      arguments: [{ name: "where", description: "the place" }],
      options: withDebug([
        { flags: "-n, --count <n>", description: "how many times", parse: Number, default: 1 },
        {
          flags: "--tag <tag>",
          description: "repeatable",
          parse: (v, previous) => [...(Array.isArray(previous) ? previous : []), v],
          default: [],
        },
        { flags: "--mode <mode>", description: "how", choices: ["fast", "slow"] },
        { flags: "--no-color", description: "plain" },
      ]),
      action: read,
    }],
  };
}

const run = (
  args: string[],
  read: CommandSpec<string>["action"] = (values, args) =>
    JSON.stringify([
      values.number("count"),
      values.strings("tag"),
      values.optionalString("mode"),
      values.boolean("color"),
      args.optionalString(0),
    ]),
) => parseCommandLine(program(read), args, () => 80);

Deno.test("parseCommandLine() reads values in every spelling, repeated flags with their previous value, and --debug from above", () => {
  deepStrictEqual(run(["go", "-n3", "--tag=a", "--tag", "b", "--mode", "slow", "--no-color", "x"]), {
    kind: "ran",
    result: JSON.stringify([3, ["a", "b"], "slow", false, "x"]),
    debug: false,
  });
  deepStrictEqual(run(["--debug", "go", "--count", "2"]).kind === "ran" && run(["--debug", "go"]), {
    kind: "ran",
    result: JSON.stringify([1, [], undefined, true, undefined]),
    debug: true,
  });
  // No command named: the default one, with what was typed.
  deepStrictEqual(run(["--count=4", "--", "--tag"]), {
    kind: "ran",
    result: JSON.stringify([4, [], undefined, true, "--tag"]),
    debug: false,
  });
});

Deno.test("parseCommandLine() errors: commander's words and exit code 1, the closest flag suggested", () => {
  const error = (args: string[]) => {
    const outcome = run(args);
    if (outcome.kind !== "printed") throw new Error(JSON.stringify(outcome));
    deepStrictEqual([outcome.stdout, outcome.exitCode], ["", 1]);
    return outcome.stderr;
  };
  deepStrictEqual(
    error(["go", "--cuont", "2"]),
    "error: unknown option '--cuont'\n(Did you mean --count?)\n",
  );
  deepStrictEqual(
    error(["go", "--mode", "quick"]),
    "error: option '--mode <mode>' argument 'quick' is invalid. Allowed choices are fast, slow.\n",
  );
  deepStrictEqual(error(["go", "-n"]), "error: option '-n, --count <n>' argument missing\n");
  deepStrictEqual(
    error(["go", "a", "b"]),
    "error: too many arguments for 'go'. Expected 1 argument but got 2: a, b.\n",
  );
});

Deno.test("parseCommandLine() help: to stdout on --help, wrapped to the width it is given", () => {
  const help = (width: number) => {
    const outcome = parseCommandLine(program(() => ""), ["go", "--help"], () => width);
    if (outcome.kind !== "printed") throw new Error(JSON.stringify(outcome));
    deepStrictEqual([outcome.stderr, outcome.exitCode], ["", 0]);
    return outcome.stdout;
  };
  match(
    help(80),
    /^Usage: p go \[options\] \[where\]\n\ngo somewhere, and say where at length so that the description has to be wrapped\nsomewhere\n/,
  );
  match(
    help(120),
    /^go somewhere, and say where at length so that the description has to be wrapped somewhere\n/m,
  );
  deepStrictEqual(help(80).includes("\n  -n, --count <n>  how many times (default 1)\n"), true);
  deepStrictEqual(help(80).includes("\n  --mode <mode>    how (one of fast, slow)\n"), true);
});

Deno.test("parseCommandLine() refuses an option the action left unread, and a name the command does not declare", () => {
  throws(
    () => run(["go", "--mode", "fast"], (values) => String(values.number("count"))),
    /options parsed but not read: .*mode/,
  );
  throws(
    () => run(["go"], (values) => String(values.optionalString("mirror"))),
    /"mirror" is not an option of this command/,
  );
});
