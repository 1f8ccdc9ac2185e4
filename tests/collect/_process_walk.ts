/**
 * What a scripted machine's programs print for conntrail's own walk around its `find -L` of the descriptors:
 * the listing of the processes (`find /proc -maxdepth 1 …`) and their names after the walk
 * (`cat /proc/<pid>/stat …`).
 */
import type { RunTool, ToolOutput } from "../../lib/collect/run_tool.ts";
import { ToolError } from "../../lib/model/errors.ts";

/** A line of `/proc/<pid>/stat` as Linux writes it, for a process named `name`. */
export function statLine(pid: number, name: string): string {
  return `${pid} (${name}) S 1 ${pid} ${pid} 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0 3158 9 1 18446744073709551615\n`;
}

/** Whether a run is the walk's listing of the processes. */
export function isProcessListing(command: string, args: readonly string[]): boolean {
  return command === "find" && args[0] === "/proc";
}

/** Whether a run is the naming of processes after a walk: `cat` of their `/proc/<pid>/stat`. */
export function isNaming(command: string, args: readonly string[]): boolean {
  return command === "cat" && args.length > 0 && args.every((a) => /^\/proc\/\d+\/stat$/.test(a));
}

/**
 * The answer of the listing or the naming for a machine whose processes are `processes` (pid → name), or null for
 * any other run. A pid asked for that is not running is said on stderr, and cat exits 1, as it does.
 */
export function processWalkAnswer(
  command: string,
  args: readonly string[],
  processes: ReadonlyMap<number, string>,
): ToolOutput | null {
  if (isProcessListing(command, args)) {
    return { stdout: [...processes.keys()].map((pid) => `${pid}\n`).join(""), stderr: "", code: 0 };
  }
  if (!isNaming(command, args)) return null;
  const pids = args.map((a) => Number(a.split("/")[2]));
  const gone = pids.filter((pid) => !processes.has(pid));
  return {
    stdout: pids.filter((pid) => processes.has(pid)).map((pid) => statLine(pid, processes.get(pid)!)).join(
      "",
    ),
    stderr: gone.map((pid) => `cat: /proc/${pid}/stat: No such file or directory`).join("\n"),
    code: gone.length > 0 ? 1 : 0,
  };
}

/**
 * `run` on a machine whose processes are `processes`: the walk's listing and naming are answered from them (and
 * recorded in `calls` as "find /proc" and "cat stat"), `cat` of /proc/net fails as where it cannot be read (UDP
 * is then listed by ss), and every other run goes to `run`.
 */
export function withProcesses(
  run: RunTool,
  processes: ReadonlyMap<number, string>,
  calls?: string[],
): RunTool {
  return (command, args, options) => {
    if (command === "cat" && args.some((a) => a.startsWith("/proc/net/"))) {
      return Promise.reject(new ToolError("cat: /proc/net/sockstat: No such file or directory"));
    }
    const answer = processWalkAnswer(command, args, processes);
    if (answer === null) return run(command, args, options);
    calls?.push(command === "cat" ? "cat stat" : "find /proc");
    return Promise.resolve(answer);
  };
}
