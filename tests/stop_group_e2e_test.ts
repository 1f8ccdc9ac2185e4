/**
 * Ctrl+C at a terminal, `timeout` and a service manager signal every process of the run's process group: the
 * tools the monitor streams from end of the same signal, ss -E killed by it (the byte counters at close,
 * `--scroll` with `--traffic`), tcpdump (`--sniff-dns`) and bpftrace (`--trace`) exiting cleanly as they do on
 * it. That is the stop, not the tools failing: the run ends as a stop ends it (exit code 0), with no line that
 * says a tool stopped ("ss -E stopped … and was started again", "warning: tcpdump stopped", "ss -E is tried
 * again"), and leaves none of them running. The signal reaches the monitor and ss -E in either order; both
 * orders are tested.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { spawnConntrail } from "./conntrail_process.ts";
import { childrenOf, type ProcessId, stillThere } from "./child_processes.ts";
import { hasTool } from "./open_sockets.ts";
import { tempDir } from "./temp_dir.ts";
import { waitFor } from "./waiting.ts";

const linux = Deno.build.os === "linux" && hasTool("ss") && hasTool("stdbuf");

/** The monitor's running children named `names` (by name, run from PATH or by path: /usr/bin/bpftrace), once all run. */
async function toolsOf(pid: number, names: readonly string[]): Promise<ProcessId[] | null> {
  const running: { child: ProcessId; command: string }[] = [];
  for (const child of await childrenOf(pid)) {
    const command = await Deno.readTextFile(`/proc/${child.pid}/cmdline`).catch(() => "");
    running.push({ child, command: command.split("\0").join(" ").replace(/^\S*\//, "") });
  }
  const found = names.map((name) => running.find(({ command }) => command.startsWith(`${name} `))?.child);
  return found.every((child) => child !== undefined) ? found as ProcessId[] : null;
}

/**
 * Run `monitor --scroll` with `args`, wait for its `tools` and its first poll's lines, then signal them and it
 * as a stop of the process group does (`monitorFirst`: the monitor first); the run must end as a stop ends it,
 * with no line that says a tool stopped, and leave none of them running.
 */
async function stopGroup(args: string[], tools: string[], signal: Deno.Signal, monitorFirst: boolean) {
  await using dir = await tempDir({ prefix: "conntrail-group-stop-" });
  const monitor = await spawnConntrail(["monitor", "--scroll", "--store", "none", ...args], {
    dataHome: dir.path,
  });
  let ended: Awaited<ReturnType<typeof monitor.finished>> | null = null;
  const finished = monitor.finished().then((end) => (ended = end));
  let left: ProcessId[] = [];
  try {
    left = await waitFor(() => toolsOf(monitor.pid, tools), `${tools.join(", ")} to run`);
    await waitFor(() => monitor.stdout.text.includes("NEW") || null, "the first poll's lines");
    // Only the tools: the polls' ss and find come and go.
    if (monitorFirst) monitor.kill(signal);
    for (const tool of left) Deno.kill(tool.pid, signal);
    if (!monitorFirst) monitor.kill(signal);
    const end = await waitFor(() => ended, `the run to end after ${signal}`);
    deepStrictEqual([end.code, end.signal], [0, null], end.stderr);
    const said = end.stdout + end.stderr;
    ok(!/\bstopped\b/.test(said), said);
    ok(!/warning|error/i.test(end.stderr), end.stderr);
    deepStrictEqual(await stillThere(left), [], `left running: ${JSON.stringify(left)}`);
  } finally {
    if (ended === null) monitor.kill("SIGKILL");
    await finished;
    for (const p of await stillThere(left)) Deno.kill(p.pid, "SIGKILL");
  }
}

const traceReady = linux && hasTool("bpftrace") && hasTool("tcpdump") && (() => {
  try {
    return Deno.statSync("/sys/kernel/tracing/trace").isFile;
  } catch {
    return false;
  }
})();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const monitorFirst of [false, true]) {
    Deno.test({
      name: `monitor --scroll: ${signal} to its process group (${
        monitorFirst ? "the monitor" : "ss -E"
      } first) is a stop, and ss -E is not said to have stopped`,
      ignore: !linux,
      fn: () => stopGroup([], ["ss -E"], signal, monitorFirst),
    });
  }
}

Deno.test({
  name:
    "monitor --scroll --trace --sniff-dns: SIGINT to its whole process group is a stop: neither bpftrace, tcpdump nor ss -E is said to have stopped",
  ignore: !traceReady,
  fn: () => stopGroup(["--trace", "--sniff-dns"], ["bpftrace", "tcpdump", "ss -E"], "SIGINT", false),
});
