import { deepStrictEqual, throws } from "node:assert/strict";
import { Command } from "commander";
import { act, ArgumentValues, OptionValues } from "../../lib/cli/option_values.ts";

Deno.test("OptionValues refuses a name the command does not declare, and a parsed option nothing read", () => {
  const values = new OptionValues({ dataDir: "/d" }, ["dataDir", "debug"]);
  throws(() => values.optionalString("mirror"), /"mirror" is not an option of this command/);
  deepStrictEqual([values.optionalString("dataDir"), values.boolean("debug")], ["/d", false]);
  values.done();
  throws(
    () => new OptionValues({ dataDir: "/d", debug: true }, ["dataDir", "debug"]).done(),
    /not read: dataDir, debug/,
  );
});

Deno.test("OptionValues reads typed and calls a value of the wrong type a bug (TypeError), not a usage error", () => {
  const values = new OptionValues({ port: "80", format: "xml", list: ["a", 1] });
  throws(() => values.number("port"), TypeError);
  throws(() => values.choice("format", ["table", "json"]), TypeError);
  throws(() => values.strings("list"), TypeError);
});

Deno.test("ArgumentValues reads positional arguments typed", () => {
  const args = new ArgumentValues(["203.0.113.9", 7, ["a", "b"]]);
  deepStrictEqual([args.optionalString(0), args.optionalNumber(1), args.strings(2), args.optionalString(3)], [
    "203.0.113.9",
    7,
    ["a", "b"],
    undefined,
  ]);
  throws(() => args.optionalNumber(0), TypeError);
  throws(() => args.strings(1), TypeError);
});

Deno.test("act() reads --debug from the command or a command it belongs to, once, and hands on what was read", () => {
  const run = (args: string[]) => {
    const seen: [string | undefined, boolean][] = [];
    const program = new Command("p").option("--debug").enablePositionalOptions().exitOverride();
    const sub = new Command("sub").option("--name <n>").option("--debug").exitOverride();
    act(sub, (values) => values.optionalString("name"), (name, debug) => seen.push([name, debug]));
    program.addCommand(sub).parse(args, { from: "user" });
    return seen;
  };
  deepStrictEqual(run(["sub", "--name", "x"]), [["x", false]]);
  deepStrictEqual(run(["sub", "--debug"]), [[undefined, true]]);
  deepStrictEqual(run(["--debug", "sub"]), [[undefined, true]]);
});

Deno.test("act() refuses an option the command parsed but its reader left unread", () => {
  const command = new Command("c").option("--name <n>").option("--debug").exitOverride();
  act(command, () => "nothing read", () => {});
  throws(() => command.parse(["--name", "x"], { from: "user" }), /options parsed but not read: name/);
});
