/**
 * Ctrl+C at a terminal, `timeout` and a service manager signal every process of the run's process group: ss -E
 * (the byte counters at close, `--scroll` with `--traffic`) ends of the same signal as the monitor. That is the
 * stop, not ss -E failing: the run ends as a stop ends it (exit code 0), without "ss -E stopped … and was
 * started again" in its last lines, and without starting ss -E again. The signal reaches the two processes in
 * either order; both orders are tested.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { spawnConntrail } from "./conntrail_process.ts";
import { childrenOf, type ProcessId, stillThere } from "./child_processes.ts";
import { hasTool } from "./open_sockets.ts";
import { tempDir } from "./temp_dir.ts";
import { waitFor } from "./waiting.ts";

const linux = Deno.build.os === "linux" && hasTool("ss") && hasTool("stdbuf");

/** The monitor's running children with their command lines (`ss -E`: stdbuf runs it in its own process). */
async function commandsOf(pid: number): Promise<{ child: ProcessId; command: string }[]> {
  const found = [];
  for (const child of await childrenOf(pid)) {
    const command = await Deno.readTextFile(`/proc/${child.pid}/cmdline`).catch(() => "");
    found.push({ child, command: command.split("\0").join(" ") });
  }
  return found;
}

/** The running `ss -E` among the monitor's children. */
async function ssEvents(pid: number): Promise<ProcessId | null> {
  return (await commandsOf(pid)).find(({ command }) => command.startsWith("ss -E "))?.child ?? null;
}

const traceReady = linux && hasTool("bpftrace") && hasTool("tcpdump") && (() => {
  try {
    return Deno.statSync("/sys/kernel/tracing/trace").isFile;
  } catch {
    return false;
  }
})();

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  for (const first of ["ss -E", "the monitor"] as const) {
    Deno.test({
      name:
        `monitor --scroll: ${signal} to its process group (${first} first) is a stop, and ss -E is not said to have stopped`,
      ignore: !linux,
      async fn() {
        await using dir = await tempDir({ prefix: "conntrail-group-stop-" });
        const monitor = await spawnConntrail(["monitor", "--scroll", "--store", "none"], {
          dataHome: dir.path,
        });
        let ended: Awaited<ReturnType<typeof monitor.finished>> | null = null;
        const finished = monitor.finished().then((end) => (ended = end));
        let left: ProcessId[] = [];
        try {
          const events = await waitFor(() => ssEvents(monitor.pid), "ss -E to run");
          await waitFor(() => monitor.stdout.text.includes("NEW") || null, "the first poll's lines");
          left = await childrenOf(monitor.pid);
          if (first === "ss -E") Deno.kill(events.pid, signal);
          monitor.kill(signal);
          if (first === "the monitor") Deno.kill(events.pid, signal);
          const end = await waitFor(() => ended, `the run to end after ${signal}`);
          deepStrictEqual([end.code, end.signal], [0, null], end.stderr);
          const said = end.stdout + end.stderr;
          ok(!said.includes("ss -E stopped"), said);
          ok(!/warning|error/i.test(end.stderr), end.stderr);
          deepStrictEqual(await stillThere(left), [], `left running: ${JSON.stringify(left)}`);
        } finally {
          if (ended === null) monitor.kill("SIGKILL");
          await finished;
          for (const p of await stillThere(left)) Deno.kill(p.pid, "SIGKILL");
        }
      },
    });
  }
}

Deno.test({
  name:
    "monitor --scroll --trace --sniff-dns: SIGINT to its whole process group is a stop: neither bpftrace, tcpdump nor ss -E is said to have stopped",
  ignore: !traceReady,
  async fn() {
    await using dir = await tempDir({ prefix: "conntrail-group-stop-" });
    const args = ["monitor", "--scroll", "--store", "none", "--trace", "--sniff-dns"];
    const monitor = await spawnConntrail(args, { dataHome: dir.path });
    let ended: Awaited<ReturnType<typeof monitor.finished>> | null = null;
    const finished = monitor.finished().then((end) => (ended = end));
    let left: ProcessId[] = [];
    try {
      const tools = await waitFor(async () => {
        const running = await commandsOf(monitor.pid);
        // By its name, run from PATH or by its path (/usr/bin/bpftrace).
        const named = (start: string) =>
          running.find(({ command }) => command.replace(/^\S*\//, "").startsWith(start))?.child;
        const found = [named("bpftrace "), named("tcpdump "), named("ss -E ")];
        return found.every((child) => child !== undefined) ? found as ProcessId[] : null;
      }, "bpftrace, tcpdump and ss -E to run");
      await waitFor(() => monitor.stdout.text.includes("NEW") || null, "the first poll's lines");
      left = tools;
      // As Ctrl+C does: the run's every process, its tools first (the polls' ss and find come and go).
      for (const child of tools) Deno.kill(child.pid, "SIGINT");
      monitor.kill("SIGINT");
      const end = await waitFor(() => ended, "the run to end after SIGINT");
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
  },
});
