/**
 * A second Ctrl+C ends the process at once (130) and none of the programs it started outlives it: the ones run
 * for their output (a last poll's ss, find, ps) as much as the spawned ones (bpftrace, tcpdump, ss -E).
 */
import { deepStrictEqual } from "node:assert/strict";
import { Lines, waitFor } from "../waiting.ts";
import { childrenOf, type ProcessId, stillThere } from "../child_processes.ts";

Deno.test({
  name: "a second SIGINT exits 130 and kills both a program run for its output and a spawned one",
  ignore: Deno.build.os !== "linux",
  async fn() {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-run=sleep", new URL("./_exit_at_once_child.ts", import.meta.url).pathname],
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = new Lines(child.stdout);
    let sleeps: ProcessId[] = [];
    try {
      await lines.until((line) => line === "ready", "both sleeps to be started");
      sleeps = await waitFor(async () => {
        const found = await childrenOf(child.pid);
        return found.length === 2 ? found : null;
      }, "two sleeps under the process");
      child.kill("SIGINT");
      await lines.until((line) => line === "stopping", "the first SIGINT to be taken");
      child.kill("SIGINT");
      const status = await child.status;
      deepStrictEqual([status.code, status.signal], [130, null]);
      deepStrictEqual(await stillThere(sleeps), [], "a sleep outlived the process");
    } finally {
      try {
        child.kill("SIGKILL");
      } catch {
        // It has ended.
      }
      await lines.done;
      for (const left of await stillThere(sleeps)) Deno.kill(left.pid, "SIGKILL");
    }
  },
});
