/**
 * What a whole process costs, as /usr/bin/time (GNU time) reports it: wall
 * time, CPU (user + system, its waited-for children such as the `ss` a
 * snapshot runs included) and peak resident set size; and how soon its first
 * line of output arrived.
 */
import { fileURLToPath } from "node:url";

/** One run of a process. */
export interface ProcessCost {
  wallMs: number;
  cpuMs: number;
  peakRssMb: number;
  /** From the start until the first line of stdout arrived. */
  firstLineMs: number;
  /** Lines of stdout. */
  lines: number;
}

const TIME = "/usr/bin/time";

/** True when GNU time is installed (the benches that measure whole processes need it). */
export function hasGnuTime(): boolean {
  try {
    return Deno.statSync(TIME).isFile;
  } catch {
    return false;
  }
}

/** Run `command args…` once under GNU time, reading its stdout to the end (as a pipe to `head` or a file would). */
export async function processCost(command: string, args: readonly string[]): Promise<ProcessCost> {
  const report = await Deno.makeTempFile();
  try {
    const start = performance.now();
    const child = new Deno.Command(TIME, {
      args: ["-f", "%e %U %S %M", "-o", report, command, ...args],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    let firstLineMs = -1;
    let lines = 0;
    for await (const chunk of child.stdout) {
      if (firstLineMs < 0 && chunk.includes(10)) firstLineMs = performance.now() - start;
      for (const byte of chunk) if (byte === 10) lines++;
    }
    const status = await child.status;
    if (!status.success) {
      throw new Error(`${command} ${args.join(" ")} exited with ${status.code}: ${(await stderr).trim()}`);
    }
    await stderr;
    const [wall = 0, user = 0, system = 0, rssKb = 0] = (await Deno.readTextFile(report)).trim().split("\n")
      .at(-1)!
      .split(" ").map(Number);
    return {
      wallMs: wall * 1000,
      cpuMs: (user + system) * 1000,
      peakRssMb: rssKb / 1024,
      firstLineMs,
      lines,
    };
  } finally {
    await Deno.remove(report);
  }
}

/** The median of some numbers. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : ((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** `main.ts` of this checkout, for `deno run`. */
export const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

/** A command's wall and CPU time (user + system, GNU time), ms. */
export async function timeCommand(args: string[]): Promise<{ wall: number; cpu: number }> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%e %U %S", ...args],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${args.join(" ")} failed`);
  const [wall = 0, user = 0, system = 0] = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1)!
    .split(" ")
    .map(Number);
  return { wall: wall * 1000, cpu: (user + system) * 1000 };
}

/** A process's CPU time so far, its waited-for children (`ss`) included, ms. */
export async function processCpu(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // utime, stime, cutime, cstime: fields 14 to 17 of stat, in clock ticks of 10 ms.
  return ((fields[11] ?? 0) + (fields[12] ?? 0) + (fields[13] ?? 0) + (fields[14] ?? 0)) * 10;
}
