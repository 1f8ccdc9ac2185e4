import { deepStrictEqual, match, rejects } from "node:assert/strict";
import { runTool } from "../../lib/collect/run_tool.ts";
import { ToolError } from "../../lib/errors.ts";

Deno.test("runTool() returns stdout of a successful run", async () => {
  const { stdout, code } = await runTool("sh", ["-c", "echo hello"]);
  deepStrictEqual([stdout, code], ["hello\n", 0]);
});

Deno.test("runTool() names a missing tool in one sentence", async () => {
  await rejects(runTool("conntrail-no-such-tool", []), (error: unknown) => {
    deepStrictEqual(error instanceof ToolError && error.notFound, true);
    match((error as Error).message, /^cannot find "conntrail-no-such-tool" on PATH/);
    return true;
  });
});

Deno.test("runTool() puts the first line of stderr and the exit code in a failure", async () => {
  await rejects(runTool("sh", ["-c", "echo 'bad thing' >&2; exit 3"]), /failed with exit code 3: bad thing/);
});

Deno.test("runTool() accepts the exit codes it is told are fine", async () => {
  const { code } = await runTool("sh", ["-c", "exit 1"], { okCodes: [0, 1] });
  deepStrictEqual(code, 1);
});

Deno.test("runTool() kills a tool that outlives its timeout", async () => {
  await rejects(runTool("sleep", ["5"], { timeoutMs: 100 }), /did not finish within 0.1 s/);
});
