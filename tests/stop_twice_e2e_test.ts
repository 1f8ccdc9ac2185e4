/**
 * A second Ctrl+C (or SIGTERM) ends conntrail at once with exit code 130, and none of the programs it started
 * outlives it: the first stop's clean end may be waiting on one (bpftrace, 5 s at most after SIGTERM, when it is
 * slow to detach its probes; a last poll's walk), and on exit those were left running on their own.
 *
 * A stand-in bpftrace first on PATH (what `--allow-run=bpftrace` names) says its program is attached, then
 * ignores SIGTERM, noting each one it gets: the second signal is sent once conntrail has asked it to stop.
 */
import { deepStrictEqual, ok } from "node:assert/strict";
import { spawnConntrail } from "./conntrail_process.ts";
import { hasTool } from "./open_sockets.ts";
import { waitFor } from "./waiting.ts";
import { childrenOf, type ProcessId, startTime, stillThere } from "./child_processes.ts";

const linuxWithSs = Deno.build.os === "linux" && hasTool("ss") && hasTool("cat");

/** bpftrace's ready line, then a wait on a FIFO nothing writes to; SIGTERM is noted in `term`, and ignored. */
function slowBpftrace(dir: string): string {
  return [
    "#!/bin/sh",
    `echo $$ >> '${dir}/inside'`,
    `trap 'echo term >> "${dir}/term"' TERM`,
    'echo "conntrail-trace ready $(date +%s.%6N)"',
    `exec 3<> '${dir}/hold'`,
    "while :; do read -r line <&3; done",
  ].join("\n") + "\n";
}

for (const [command, args] of [["monitor", ["--scroll"]], ["serve", ["--port", "0"]]] as const) {
  Deno.test({
    name:
      `${command} --trace exits 130 at a second SIGINT while bpftrace stops, and kills it and every other tool`,
    ignore: !linuxWithSs,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "conntrail-twice-" });
      await Deno.mkdir(`${dir}/bin`);
      await Deno.writeTextFile(`${dir}/bin/bpftrace`, slowBpftrace(dir), { mode: 0o755 });
      const mkfifo = await new Deno.Command("mkfifo", { args: [`${dir}/hold`] }).output();
      ok(mkfifo.success, new TextDecoder().decode(mkfifo.stderr));
      const run = await spawnConntrail([command, ...args, "--trace", "--store", "none"], {
        dataHome: dir,
        env: { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` },
      });
      let ended: Awaited<ReturnType<typeof run.finished>> | null = null;
      const finished = run.finished().then((end) => (ended = end));
      const seen = new Map<number, ProcessId>();
      const look = async () => {
        for (const p of await childrenOf(run.pid)) seen.set(p.pid, p);
      };
      try {
        await run.stderr.until((line) => line.startsWith("note: trace: bpftrace"), "bpftrace to be in use");
        await look();
        const bpftrace = Number((await Deno.readTextFile(`${dir}/inside`)).trim());
        ok(seen.has(bpftrace), `bpftrace (${bpftrace}) among ${JSON.stringify([...seen.values()])}`);
        run.kill("SIGINT");
        // The first stop's end has asked bpftrace to stop: conntrail waits for it now.
        await waitFor(
          () => Deno.readTextFile(`${dir}/term`).catch(() => null),
          "bpftrace to be sent SIGTERM",
        );
        await look();
        run.kill("SIGINT");
        const end = await waitFor(() => ended, "the run to end after the second SIGINT");
        deepStrictEqual([end.code, end.signal], [130, null], end.stderr);
        // conntrail has ended (its exit code was read): a child of it still running is running on its own.
        const left = await stillThere([...seen.values()]);
        deepStrictEqual(
          left,
          [],
          `left running: ${JSON.stringify(left)} of ${JSON.stringify([...seen.values()])}`,
        );
      } finally {
        if (ended === null) run.kill("SIGKILL");
        await finished;
        for (const p of await stillThere([...seen.values()])) Deno.kill(p.pid, "SIGKILL");
        const noted = (await Deno.readTextFile(`${dir}/inside`).catch(() => "")).split("\n").filter((w) =>
          w !== ""
        );
        for (const pid of noted) if (await startTime(Number(pid)) !== null) Deno.kill(Number(pid), "SIGKILL");
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
