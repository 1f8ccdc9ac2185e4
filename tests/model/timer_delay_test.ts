import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { MAX_TIMER_MS, timerDelay } from "../../lib/model/timer_delay.ts";

Deno.test("timerDelay() clamps what a server or a flag asks into what a timer holds", () => {
  deepStrictEqual(timerDelay(99999999999 * 1000), MAX_TIMER_MS);
  deepStrictEqual(timerDelay(Infinity), MAX_TIMER_MS);
  deepStrictEqual([timerDelay(-1), timerDelay(NaN), timerDelay(-Infinity), timerDelay(0)], [0, 0, 0, 0]);
  deepStrictEqual(timerDelay(MAX_TIMER_MS), MAX_TIMER_MS);
  deepStrictEqual(timerDelay(2_000), 2_000);
});

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The delay argument of each timer call in a source file (comments left out). */
function timerDelays(source: string): { call: string; delay: string }[] {
  const code = source.split("\n").filter((line) => !/^\s*(\*|\/\/|\/\*\*)/.test(line)).join("\n");
  const found: { call: string; delay: string }[] = [];
  for (const match of code.matchAll(/\b(setTimeout|setInterval|AbortSignal\.timeout)\(/g)) {
    let depth = 0;
    let start = (match.index ?? 0) + match[0].length;
    const args: string[] = [];
    for (let i = start; i < code.length; i++) {
      const c = code[i];
      if (c === "(" || c === "[" || c === "{") depth++;
      else if ((c === ")" || c === "]" || c === "}") && depth > 0) depth--;
      else if (c === "," && depth === 0) {
        args.push(code.slice(start, i));
        start = i + 1;
      } else if (c === ")" && depth === 0) {
        args.push(code.slice(start, i));
        break;
      }
    }
    const delay = (args.at(-1) === "" || args.at(-1)?.trim() === "" ? args.at(-2) : args.at(-1)) ?? "";
    found.push({ call: match[1] ?? "", delay: delay.trim() });
  }
  return found;
}

Deno.test("every setTimeout, setInterval and AbortSignal.timeout in the product clamps its delay with timerDelay()", async () => {
  const files = ["main.ts"];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts")) files.push(path);
    }
  };
  await walk("lib");
  let calls = 0;
  const unclamped: string[] = [];
  for (const file of files) {
    for (const { call, delay } of timerDelays(await Deno.readTextFile(`${ROOT}${file}`))) {
      calls++;
      if (!delay.startsWith("timerDelay(")) unclamped.push(`${file}: ${call}(…, ${delay})`);
    }
  }
  ok(calls >= 10, `only ${calls} timer calls found: the scan is broken`);
  // The scan sees an unclamped delay when there is one.
  deepStrictEqual(timerDelays("const t = setTimeout(() => f(a, b), ms * 1000);\nAbortSignal.timeout(9);"), [
    { call: "setTimeout", delay: "ms * 1000" },
    { call: "AbortSignal.timeout", delay: "9" },
  ]);
  deepStrictEqual(unclamped, []);
});
