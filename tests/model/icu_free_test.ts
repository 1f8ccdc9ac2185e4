import { deepStrictEqual } from "node:assert/strict";
import { fileURLToPath } from "node:url";

// toLocaleString and localeCompare load ICU's locale data and code: +8 MiB resident in an empty deno run for
// toLocaleString, +3 to 4 MiB for localeCompare; +3.4-4.4 MiB at the monitor's peak when it named a block list's
// entries. conntrail writes its counts with thousands() and orders text with compareText() instead.
const ICU_CALLS = [".toLocaleString(", ".localeCompare(", "Intl."];

/** The .ts files under `root` whose code (not comments) makes one of `calls`, as "path: call". */
async function callersOf(
  root: string,
  calls: readonly string[],
): Promise<{ read: number; callers: string[] }> {
  const callers: string[] = [];
  let read = 0;
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) {
        read++;
        // Comments may name them (the helpers' own say what they replace).
        const code = (await Deno.readTextFile(path)).split("\n").filter((line) =>
          !/^\s*(\*|\/\/|\/\*\*)/.test(line)
        );
        for (const call of calls) {
          if (code.some((line) => line.includes(call))) {
            callers.push(`${path.slice(root.length + 1)}: ${call}`);
          }
        }
      }
    }
  };
  await walk(root);
  return { read, callers };
}

Deno.test("no module of lib/ calls toLocaleString, localeCompare or Intl", async () => {
  const lib = fileURLToPath(new URL("../../lib", import.meta.url));
  const { read, callers } = await callersOf(lib, ICU_CALLS);
  deepStrictEqual(read > 100, true);
  deepStrictEqual(callers, []);
});

Deno.test("the ICU check names a call in code, not one in a comment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/sub`);
    await Deno.writeTextFile(
      `${dir}/sub/sorts.ts`,
      "export const s = ['b', 'a'].sort((x, y) => x.localeCompare(y));\n",
    );
    await Deno.writeTextFile(
      `${dir}/says.ts`,
      '/**\n * Not (1234).toLocaleString("en").\n */\n// Intl.Collator\n',
    );
    deepStrictEqual(await callersOf(dir, ICU_CALLS), { read: 2, callers: ["sub/sorts.ts: .localeCompare("] });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
