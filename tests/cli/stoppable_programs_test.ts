import { deepStrictEqual } from "node:assert/strict";
import { stoppablePrograms } from "../../lib/cli/stoppable_programs.ts";
import { denoPlatform } from "../../lib/platform/deno_platform.ts";

const onUnix = Deno.build.os !== "windows";

Deno.test({
  name: "stoppablePrograms() kills the programs still running at the stop, spawned or run to their end",
  ignore: !onUnix,
  async fn() {
    const stop = new AbortController();
    const programs = stoppablePrograms(denoPlatform().programs, stop.signal);
    const spawned = programs.spawn("sleep", ["1000"], {});
    const run = programs.output("sleep", ["1000"], {});
    stop.abort();
    deepStrictEqual(await spawned.status, { code: 137, signal: "SIGKILL" });
    // Deno's Command ends a program whose signal aborts with SIGTERM.
    deepStrictEqual((await run).signal, "SIGTERM");
    await Promise.all([spawned.stdout.cancel(), spawned.stderr.cancel()]);
  },
});

Deno.test({
  name:
    "stoppablePrograms() runs a program started after the stop to its end, and one that ended is not touched",
  ignore: !onUnix,
  async fn() {
    const stop = new AbortController();
    const programs = stoppablePrograms(denoPlatform().programs, stop.signal);
    const before = await programs.output("sh", ["-c", "exit 0"], {});
    stop.abort();
    const after = programs.spawn("sh", ["-c", "echo done; exit 3"], {});
    const [out, status] = await Promise.all([new Response(after.stdout).text(), after.status]);
    await after.stderr.cancel();
    deepStrictEqual([before.code, out, status], [0, "done\n", { code: 3, signal: null }]);
    deepStrictEqual(
      (await programs.output("sh", ["-c", "exit 4"], { signal: AbortSignal.timeout(60_000) })).code,
      4,
    );
  },
});

Deno.test({
  name:
    "stoppablePrograms() kills a program started after the stop once afterStopMs have passed since the stop",
  ignore: !onUnix,
  async fn() {
    const stop = new AbortController();
    // No time left after the stop: a last poll's program that would hang is ended at once.
    const programs = stoppablePrograms(denoPlatform().programs, stop.signal, { afterStopMs: 0 });
    stop.abort();
    const spawned = programs.spawn("sleep", ["1000"], {});
    const run = programs.output("sleep", ["1000"], {});
    deepStrictEqual(await spawned.status, { code: 137, signal: "SIGKILL" });
    deepStrictEqual((await run).signal, "SIGTERM");
    await Promise.all([spawned.stdout.cancel(), spawned.stderr.cancel()]);
  },
});
