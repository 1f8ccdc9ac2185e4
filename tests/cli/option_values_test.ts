import { deepStrictEqual, throws } from "node:assert/strict";
import { ArgumentValues, OptionValues } from "../../lib/cli/option_values.ts";

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
