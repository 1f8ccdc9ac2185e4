import { deepStrictEqual, match, ok, rejects } from "node:assert/strict";
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
  {
    name:
      "toolRunner(platform.programs)() says a tool killed by another (a stop) did not finish, not that it was late",
    ignore: windows,
  },
  async () => {
    const run = toolRunner(platform.programs);
    for (const onChunk of [undefined, () => {}]) {
      await rejects(
        run("sh", ["-c", "kill -KILL $$"], { timeoutMs: 60_000, ...(onChunk ? { onChunk } : {}) }),
        (error: ToolError) => error.message === '"sh -c kill -KILL $$" did not finish (killed by SIGKILL)',
      );
    }
  },
);

Deno.test(
  { name: "toolRunner(platform.programs)() kills a tool that outlives its timeout", ignore: windows },
  async () => {
    await rejects(
      toolRunner(platform.programs)("sleep", ["5"], { timeoutMs: 100 }),
      (error: ToolError) => /did not finish within 0.1 s/.test(error.message) && error.timedOut,
    );
  },
);

Deno.test(
  {
    name: "toolRunner(platform.programs)() hands stdout over chunk by chunk with onChunk, all of it in order",
    ignore: windows,
  },
  async () => {
    // 300,000 bytes, more than a pipe holds: several reads, each into the one buffer, copied here.
    const expected = new TextEncoder().encode(
      Array.from({ length: 30_000 }, (_, i) => String(i % 1_000_000_000).padStart(9, "0")).join("\n") + "\n",
    );
    const received: Uint8Array[] = [];
    const { stdout, code } = await toolRunner(platform.programs)(
      "sh",
      ["-c", "i=0; while [ $i -lt 30000 ]; do printf '%09d\\n' $i; i=$((i+1)); done"],
      { onChunk: (chunk) => received.push(chunk.slice()) },
    );
    deepStrictEqual([stdout, code], ["", 0]);
    ok(received.length > 1, `${received.length} chunk(s)`);
    const all = new Uint8Array(received.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of received) {
      all.set(c, at);
      at += c.length;
    }
    deepStrictEqual(all, expected);
  },
);

Deno.test(
  {
    name: "toolRunner(platform.programs)() with onChunk reports exit codes, stderr and timeouts as without",
    ignore: windows,
  },
  async () => {
    const run = toolRunner(platform.programs);
    const onChunk = () => {};
    await rejects(
      run("sh", ["-c", "echo out; echo 'bad thing' >&2; exit 3"], { onChunk }),
      /failed with exit code 3: bad thing/,
    );
    await rejects(run("sleep", ["5"], { timeoutMs: 100, onChunk }), /did not finish within 0.1 s/);
    await rejects(
      run("conntrail-no-such-tool", [], { onChunk }),
      /cannot find "conntrail-no-such-tool" on PATH/,
    );
  },
);

Deno.test(
  {
    name: "toolRunner(platform.programs)() with onChunk stops the tool when the reader throws",
    ignore: windows,
  },
  async () => {
    let pid = 0;
    await rejects(
      toolRunner(platform.programs)("sh", ["-c", "echo $$; exec sleep 600"], {
        onChunk: (chunk) => {
          pid = Number(new TextDecoder().decode(chunk).trim());
          throw new Error("not what was expected");
        },
      }),
      /not what was expected/,
    );
    // The sleep (the same process) was killed and reaped, not waited for.
    ok(pid > 0);
    deepStrictEqual(await Deno.stat(`/proc/${pid}`).then(() => "running", () => "gone"), "gone");
  },
);

Deno.test(
  {
    name: "toolRunner(platform.programs)() with onChunk gives back a stderr of many reads whole and in order",
    ignore: windows,
  },
  async () => {
    // 300,000 bytes: more than a pipe holds, so stderr comes in several reads.
    const { stderr, code } = await toolRunner(platform.programs)(
      "sh",
      ["-c", "i=0; while [ $i -lt 3000 ]; do printf '%099d\\n' $i >&2; i=$((i+1)); done; echo out"],
      { onChunk: () => {} },
    );
    const lines = stderr.split("\n");
    deepStrictEqual([code, lines.length, lines[0], lines[2999]], [
      0,
      3000,
      "0".repeat(99),
      "2999".padStart(99, "0"),
    ]);
    ok(lines.every((line, i) => Number(line) === i));
  },
);

Deno.test(
  {
    name: "toolRunner(platform.programs)() with onChunk leaves no timer behind that keeps the process alive",
    ignore: windows,
  },
  async () => {
    // A process whose one run has ended exits at once, not when the run's 30 s guard would have fired.
    const script = `import { toolRunner } from ${
      JSON.stringify(new URL("../../lib/collect/run_tool.ts", import.meta.url).href)
    };
      import { denoPlatform } from ${
      JSON.stringify(new URL("../../lib/platform/deno_platform.ts", import.meta.url).href)
    };
      await toolRunner(denoPlatform().programs)("sh", ["-c", "echo out"], { timeoutMs: 30_000, onChunk: () => {} });`;
    const started = performance.now();
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", script],
      stdout: "null",
      stderr: "inherit",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    deepStrictEqual(code, 0);
    ok(seconds < 15, `exited after ${seconds.toFixed(1)} s`);
  },
);

Deno.test(
  {
    name:
      "toolRunner(platform.programs)() adds `env` to the environment a tool inherits, run whole or streamed",
    ignore: windows,
  },
  async () => {
    const run = toolRunner(platform.programs);
    const script = 'echo "$CONNTRAIL_TEST_ENV ${PATH:+path}"';
    const whole = await run("sh", ["-c", script], { env: { CONNTRAIL_TEST_ENV: "whole" } });
    let streamed = "";
    await run("sh", ["-c", script], {
      env: { CONNTRAIL_TEST_ENV: "streamed" },
      onChunk: (chunk) => streamed += new TextDecoder().decode(chunk),
    });
    // Added to the inherited environment, not in its place: PATH is still there.
    deepStrictEqual([whole.stdout, streamed], ["whole path\n", "streamed path\n"]);
    deepStrictEqual((await run("sh", ["-c", script])).stdout, " path\n");
  },
);
