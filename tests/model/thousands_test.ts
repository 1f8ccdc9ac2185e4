import { deepStrictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { thousands } from "../../lib/model/thousands.ts";

Deno.test('thousands() writes what toLocaleString("en") writes for whole numbers', () => {
  const numbers = [0, 7, 999, 1000, 1234, 10_000, 999_999, 1_000_000, 12_345_678, -1, -1234, -1_234_567];
  deepStrictEqual(numbers.map(thousands), numbers.map((n) => n.toLocaleString("en")));
});

// toLocaleString loads ICU's locale data and code (+8 MiB resident in an empty deno run; +3.4-4.4 MiB at the
// monitor's peak when it named a block list's entries): conntrail writes its counts with thousands() instead.
Deno.test("no module of lib/ calls toLocaleString", async () => {
  const root = fileURLToPath(new URL("../../lib/", import.meta.url));
  const callers: string[] = [];
  let read = 0;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        read++;
        // Comments may name it (this helper's own says what it replaces).
        const code = (await Deno.readTextFile(path)).split("\n").filter((line) =>
          !/^\s*(\*|\/\/|\/\*\*)/.test(line)
        );
        if (code.some((line) => line.includes(".toLocaleString("))) callers.push(path.slice(root.length));
      }
    }
  };
  await walk(root.replace(/\/$/, ""));
  deepStrictEqual(read > 100, true);
  deepStrictEqual(callers, []);
});
