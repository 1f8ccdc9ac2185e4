/**
 * SIGTERM and SIGINT stop `conntrail serve` and `conntrail monitor` while their first reading's walk of every
 * process's descriptors hangs: a `find` first on PATH (what `--allow-run=find` names) that notes its pid and
 * never ends stands in for a walk stuck on a process's /proc. The signal is sent once that `find` runs; the
 * run must end by itself, as a stop ends it (exit code 0, its summary, no warning), leaving none of the
 * programs it had started running. Before the fix it waited out the walk's two-minute hang guard (and then
 * walked again for the run's last poll).
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { spawnConntrail } from "./conntrail_process.ts";
import { hasTool } from "./open_sockets.ts";
import { waitFor } from "./waiting.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("ps");

/** A process as /proc shows it: its pid and its start time (a pid used again by another process differs). */
interface ProcessId {
  pid: number;
  started: string;
}

/**
 * The start time of a process (field 22 of /proc/PID/stat), or null once it is gone or has ended (a zombie: one
 * killed but reaped by nobody yet, as an orphan under an init that does not reap).
 */
async function startTime(pid: number): Promise<string | null> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  if (stat === null) return null;
  // The name, in parentheses, may hold spaces: the fields are counted after its closing one (state first).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] === "Z" ? null : fields[19] ?? null;
}

/** The processes `pid` has started that are running (its threads' children). */
async function childrenOf(pid: number): Promise<ProcessId[]> {
  const children: ProcessId[] = [];
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    const listed = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/children`).catch(() => "");
    for (const word of listed.split(" ").filter((w) => w !== "")) {
      const started = await startTime(Number(word));
      if (started !== null) children.push({ pid: Number(word), started });
    }
  }
  return children;
}

/** Those of `processes` still running. */
async function stillThere(processes: readonly ProcessId[]): Promise<ProcessId[]> {
  const left: ProcessId[] = [];
  for (const p of processes) if (await startTime(p.pid) === p.started) left.push(p);
  return left;
}

async function stopInsideWalk(args: string[], signal: "SIGTERM" | "SIGINT", summary: RegExp): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "conntrail-stopwalk-" });
  const inside = `${dir}/inside`;
  await Deno.mkdir(`${dir}/bin`);
  // exec: the pid noted is the process that hangs, and a signal to it is a signal to the `sleep`.
  await Deno.writeTextFile(`${dir}/bin/find`, `#!/bin/sh\necho $$ >> '${inside}'\nexec sleep 1000\n`, {
    mode: 0o755,
  });
  let left: ProcessId[] = [];
  const monitor = await spawnConntrail([...args, "--store", "none"], {
    dataHome: dir,
    env: { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
  });
  let ended: Awaited<ReturnType<typeof monitor.finished>> | null = null;
  const finished = monitor.finished().then((end) => (ended = end));
  try {
    // Inside the walk: the stand-in runs.
    const found = await waitFor(
      async () => (await Deno.readTextFile(inside).catch(() => "")).trim() || null,
      "the walk's find to start",
    );
    const walker = Number(found.split("\n")[0]);
    // Every program the run has started by now (the walk's find; ss -E for the byte counters at close...).
    left = await childrenOf(monitor.pid);
    ok(left.some((p) => p.pid === walker), `find (${walker}) among ${JSON.stringify(left)}`);
    monitor.kill(signal);
    const end = await waitFor(() => ended, `the run to end after ${signal}`);
    deepStrictEqual([end.code, end.signal], [0, null], end.stderr);
    // A stop, not a failed poll ("warning: a poll failed and was skipped: … did not finish within 120 s").
    ok(!/warning|error/i.test(end.stderr), end.stderr);
    match(end.stdout, summary);
    // conntrail has ended (its exit code was read): a child of it still running is running on its own.
    deepStrictEqual(await stillThere(left), [], `left running after the run ended: ${JSON.stringify(left)}`);
    // The walk ran once: no walk was started again after the signal.
    deepStrictEqual((await Deno.readTextFile(inside)).trim(), found);
  } finally {
    if (ended === null) monitor.kill("SIGKILL");
    await finished;
    // A failed run leaves nothing behind either (pids checked against their start time).
    for (const p of await stillThere(left)) Deno.kill(p.pid, "SIGKILL");
    const noted = (await Deno.readTextFile(inside).catch(() => "")).split("\n").filter((w) => w !== "");
    for (const pid of noted) {
      const started = await startTime(Number(pid));
      if (started !== null && (await Deno.readTextFile(`/proc/${pid}/cmdline`)).startsWith("sleep")) {
        Deno.kill(Number(pid), "SIGKILL");
      }
    }
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "serve stops on SIGTERM while its first walk of the process descriptors hangs, and kills the walk",
  ignore: !linuxWithSs,
  async fn() {
    await stopInsideWalk(["serve", "--port", "0"], "SIGTERM", /^conntrail: served 0 polls over \d+s$/m);
  },
});

Deno.test({
  name: "serve stops on SIGINT while its first walk of the process descriptors hangs, and kills the walk",
  ignore: !linuxWithSs,
  async fn() {
    await stopInsideWalk(["serve", "--port", "0"], "SIGINT", /^conntrail: served 0 polls over \d+s$/m);
  },
});

Deno.test({
  name: "monitor stops on SIGTERM while its first walk of the process descriptors hangs, and kills the walk",
  ignore: !linuxWithSs,
  async fn() {
    await stopInsideWalk(["monitor", "--scroll"], "SIGTERM", /^conntrail: 0 polls over \d+s/m);
  },
});

Deno.test({
  name: "monitor stops on SIGINT while its first walk of the process descriptors hangs, and kills the walk",
  ignore: !linuxWithSs,
  async fn() {
    await stopInsideWalk(["monitor", "--scroll"], "SIGINT", /^conntrail: 0 polls over \d+s/m);
  },
});
