/**
 * The real platform's stdout: a one-shot command's chunks arrive whole and in order (written before each call
 * returns), and a live command's write, held up by a reader that does not read, holds up nothing else.
 */
import { deepStrictEqual } from "node:assert/strict";
import { Lines } from "../waiting.ts";

function child(mode: "one-shot" | "live"): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", new URL("./_stdout_child.ts", import.meta.url).pathname, mode],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test("denoPlatform().stdout() writes a one-shot command's chunks whole and in order, multibyte and long ones too", async () => {
  const process = child("one-shot");
  const [output, status, stderr] = await Promise.all([
    new Response(process.stdout).text(),
    process.status,
    new Response(process.stderr).text(),
  ]);
  const expected = Array.from({ length: 200 }, (_, i) => `${i} ascii ${"a".repeat(i * 37)}\n`).join("") +
    `é€😀\n${"ü".repeat(200_000)}\nend\n`;
  deepStrictEqual([status.code, stderr, output.length, output === expected], [
    0,
    "written\n",
    expected.length,
    true,
  ]);
});

Deno.test("denoPlatform().stdout() of a live command (after onSignals) lets a timer run while a reader that does not read holds the write up", async () => {
  const process = child("live");
  const stderr = new Lines(process.stderr);
  try {
    // Nothing reads stdout yet: 4 MB cannot all go into the pipe, and the timer must fire anyway.
    await stderr.until((line) => line === "timer", "the timer to fire while stdout is held up");
    const output = await new Response(process.stdout).text();
    await stderr.until((line) => line === "written", "the write to end once stdout is read");
    deepStrictEqual([(await process.status).code, output.length], [0, 4 * 1024 * 1024]);
  } finally {
    try {
      process.kill("SIGKILL");
    } catch {
      // It has ended.
    }
    await stderr.done;
  }
});
