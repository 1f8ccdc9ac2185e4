/** The processes a test's child has started, as /proc shows them (Linux). */

/** A process as /proc shows it: its pid and its start time (a pid used again by another process differs). */
export interface ProcessId {
  pid: number;
  started: string;
}

/**
 * The start time of a process (field 22 of /proc/PID/stat), or null once it is gone or has ended (a zombie: one
 * killed but reaped by nobody yet, as an orphan under an init that does not reap).
 */
export async function startTime(pid: number): Promise<string | null> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  if (stat === null) return null;
  // The name, in parentheses, may hold spaces: the fields are counted after its closing one (state first).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[0] === "Z" ? null : fields[19] ?? null;
}

/** The processes `pid` has started that are running (its threads' children). */
export async function childrenOf(pid: number): Promise<ProcessId[]> {
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
export async function stillThere(processes: readonly ProcessId[]): Promise<ProcessId[]> {
  const left: ProcessId[] = [];
  for (const p of processes) if (await startTime(p.pid) === p.started) left.push(p);
  return left;
}
