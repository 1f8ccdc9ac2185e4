import { deepStrictEqual, match, rejects } from "node:assert/strict";
import { toolRunner } from "../../lib/collect/run_tool.ts";
import { ToolError } from "../../lib/model/errors.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const platform = denoPlatform();

// These use sh and sleep, which Windows runners lack.
const windows = Deno.build.os === "windows";

Deno.test(
  { name: "toolRunner(platform.programs)() returns stdout of a successful run", ignore: windows },
  async () => {
    const { stdout, code } = await toolRunner(platform.programs)("sh", ["-c", "echo hello"]);
    deepStrictEqual([stdout, code], ["hello\n", 0]);
  },
);

Deno.test(
  { name: "toolRunner(platform.programs)() names a missing tool in one sentence", ignore: windows },
  async () => {
    await rejects(toolRunner(platform.programs)("conntrail-no-such-tool", []), (error: unknown) => {
      deepStrictEqual(error instanceof ToolError && error.notFound, true);
      match((error as Error).message, /^cannot find "conntrail-no-such-tool" on PATH/);
      return true;
    });
  },
);

Deno.test(
  {
    name: "toolRunner(platform.programs)() puts the first line of stderr and the exit code in a failure",
    ignore: windows,
  },
  async () => {
    await rejects(
      toolRunner(platform.programs)("sh", ["-c", "echo 'bad thing' >&2; exit 3"]),
      /failed with exit code 3: bad thing/,
    );
  },
);

Deno.test({
  name: "toolRunner(platform.programs)() accepts the exit codes it is told are fine",
  ignore: windows,
}, async () => {
  const { code } = await toolRunner(platform.programs)("sh", ["-c", "exit 1"], { okCodes: [0, 1] });
  deepStrictEqual(code, 1);
});

Deno.test(
  { name: "toolRunner(platform.programs)() kills a tool that outlives its timeout", ignore: windows },
  async () => {
    await rejects(
      toolRunner(platform.programs)("sleep", ["5"], { timeoutMs: 100 }),
      /did not finish within 0.1 s/,
    );
  },
);
