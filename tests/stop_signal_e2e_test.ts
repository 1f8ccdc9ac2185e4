/**
 * SIGTERM and SIGINT stop `conntrail serve` and `conntrail monitor` at moments a stop used to miss, with a
 * stand-in program first on PATH (what `--allow-run=find` / `--allow-run=tcpdump` name) that notes its pid:
 * - while the first reading's walk of every process's descriptors hangs: a `find` that never ends stands in
 *   for a walk stuck on a process's /proc. The run waited out the walk's two-minute hang guard (and then
 *   walked again for its last poll);
 * - while the session starts `--sniff-dns`'s tcpdump, before the signal handlers were attached: the process
 *   died of the signal (exit 143), leaving tcpdump running.
 * The signal is sent once the stand-in runs; the run must end by itself, as a stop ends it (exit code 0, no
 * warning), leaving none of the programs it had started running.
 */
import { deepStrictEqual, match, ok } from "node:assert/strict";
import { spawnConntrail } from "./conntrail_process.ts";
import { hasTool } from "./open_sockets.ts";
import { waitFor } from "./waiting.ts";
import { childrenOf, type ProcessId, startTime, stillThere } from "./child_processes.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("cat");

/** A program first on PATH: it notes its pid in `inside`, then runs the shell lines `then` (`go`: a file). */
interface StandIn {
  tool: "find" | "tcpdump" | "bpftrace";
  then: string;
  /** What the test does once the signal is sent, given the stand-in's folder. */
  afterSignal?: (dir: string) => Promise<void>;
}

/** A `find` that hangs: `exec`, so that the pid noted is the process that hangs (a `sleep`). */
const HANGING_FIND: StandIn = { tool: "find", then: "exec sleep 1000" };

/** A bpftrace that never says its program is attached (conntrail waits 60 s for that). */
const HANGING_BPFTRACE: StandIn = { tool: "bpftrace", then: "exec sleep 1000" };

/** A tcpdump that never says it listens (conntrail waits 20 s for that). */
const HANGING_TCPDUMP: StandIn = { tool: "tcpdump", then: "exec sleep 1000" };

/**
 * A tcpdump that starts listening only once the test writes the file `go` (after its signal), then waits. Not a
 * FIFO: a stop may end this tcpdump before the test writes, and a FIFO's writer then waits for a reader for good.
 */
const SLOW_TCPDUMP: StandIn = {
  tool: "tcpdump",
  then: 'go="$(dirname "$0")/../go"\nwhile [ ! -e "$go" ]; do sleep 0.01; done\n' +
    "echo 'tcpdump: listening on any, link-type LINUX_SLL2' >&2\nexec sleep 1000",
  afterSignal: (dir) => Deno.writeTextFile(`${dir}/go`, "go\n"),
};

async function stopWhile(
  standIn: StandIn,
  args: string[],
  signal: "SIGTERM" | "SIGINT",
  expect: (end: { stdout: string; stderr: string }) => void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "conntrail-stop-" });
  const inside = `${dir}/inside`;
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(
    `${dir}/bin/${standIn.tool}`,
    `#!/bin/sh\necho $$ >> '${inside}'\n${standIn.then}\n`,
    {
      mode: 0o755,
    },
  );
  let left: ProcessId[] = [];
  const monitor = await spawnConntrail([...args, "--store", "none"], {
    dataHome: dir,
    env: { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
  });
  let ended: Awaited<ReturnType<typeof monitor.finished>> | null = null;
  const finished = monitor.finished().then((end) => (ended = end));
  try {
    const found = await waitFor(
      async () => (await Deno.readTextFile(inside).catch(() => "")).trim() || null,
      `the stand-in ${standIn.tool} to start`,
    );
    const standing = Number(found.split("\n")[0]);
    // Every program the run has started by now (the stand-in; ss -E for the byte counters at close...).
    left = await childrenOf(monitor.pid);
    ok(left.some((p) => p.pid === standing), `${standIn.tool} (${standing}) among ${JSON.stringify(left)}`);
    monitor.kill(signal);
    await standIn.afterSignal?.(dir);
    const end = await waitFor(() => ended, `the run to end after ${signal}`);
    deepStrictEqual([end.code, end.signal], [0, null], end.stderr);
    // A stop, not a failed poll ("warning: a poll failed and was skipped: … did not finish within 120 s").
    ok(!/warning|error/i.test(end.stderr), end.stderr);
    expect(end);
    // conntrail has ended (its exit code was read): a child of it still running is running on its own.
    deepStrictEqual(await stillThere(left), [], `left running after the run ended: ${JSON.stringify(left)}`);
    // The stand-in ran once: nothing started it again after the signal.
    deepStrictEqual((await Deno.readTextFile(inside)).trim(), found);
  } finally {
    if (ended === null) monitor.kill("SIGKILL");
    await finished;
    // A failed run leaves nothing behind either (pids checked against their start time).
    for (const p of await stillThere(left)) Deno.kill(p.pid, "SIGKILL");
    const noted = (await Deno.readTextFile(inside).catch(() => "")).split("\n").filter((w) => w !== "");
    for (const pid of noted) {
      const started = await startTime(Number(pid));
      if (started !== null) Deno.kill(Number(pid), "SIGKILL");
    }
    await Deno.remove(dir, { recursive: true });
  }
}

const SERVED = (end: { stdout: string }) => match(end.stdout, /^conntrail: served 0 polls over \d+s$/m);
const MONITORED = (end: { stdout: string }) => match(end.stdout, /^conntrail: 0 polls over \d+s/m);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test({
    name:
      `serve stops on ${signal} while its first walk of the process descriptors hangs, and kills the walk`,
    ignore: !linuxWithSs,
    async fn() {
      await stopWhile(HANGING_FIND, ["serve", "--port", "0"], signal, SERVED);
    },
  });

  Deno.test({
    name:
      `monitor stops on ${signal} while its first walk of the process descriptors hangs, and kills the walk`,
    ignore: !linuxWithSs,
    async fn() {
      await stopWhile(HANGING_FIND, ["monitor", "--scroll"], signal, MONITORED);
    },
  });
}

Deno.test({
  name: "serve stops on SIGTERM while --sniff-dns's tcpdump starts, and tcpdump is stopped",
  ignore: !linuxWithSs,
  async fn() {
    await stopWhile(SLOW_TCPDUMP, ["serve", "--port", "0", "--sniff-dns"], "SIGTERM", (end) => {
      // The signal and tcpdump's "listening" line race in conntrail's event loop: it serves nothing (the stop came
      // first; tests/cli/serve_command_test.ts), or it serves and stops at once.
      ok(!end.stdout.includes("serving on") || /^conntrail: served 0 polls/m.test(end.stdout), end.stdout);
    });
  },
});

Deno.test({
  name: "monitor stops on SIGTERM while --sniff-dns's tcpdump starts, and tcpdump is stopped",
  ignore: !linuxWithSs,
  async fn() {
    await stopWhile(SLOW_TCPDUMP, ["monitor", "--scroll", "--sniff-dns"], "SIGTERM", MONITORED);
  },
});

// A stop while a kernel-event tool starts ends it then: not once its start guard (60 s, 20 s) has run out, after
// which the monitor said the tool did not start, and with --trace started ss -E in its stead.
Deno.test({
  name: "monitor stops on SIGTERM while --trace's bpftrace attaches, ending bpftrace and starting no ss -E",
  ignore: !linuxWithSs,
  async fn() {
    await stopWhile(HANGING_BPFTRACE, ["monitor", "--scroll", "--trace"], "SIGTERM", (end) => {
      MONITORED(end);
      ok(!/trace:/.test(end.stderr), end.stderr);
    });
  },
});

Deno.test({
  name: "serve stops on SIGINT while --sniff-dns's tcpdump starts, ending tcpdump and serving nothing",
  ignore: !linuxWithSs,
  async fn() {
    await stopWhile(HANGING_TCPDUMP, ["serve", "--port", "0", "--sniff-dns"], "SIGINT", (end) => {
      deepStrictEqual(end.stdout, "");
      ok(!/sniff-dns/.test(end.stderr), end.stderr);
    });
  },
});
