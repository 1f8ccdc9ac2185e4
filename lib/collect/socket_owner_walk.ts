import { parseProcessNames, SocketLinksReader, type SocketOwnerIndex } from "../parse/socket_walk.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool, type ToolOutput } from "./run_tool.ts";

/**
 * `find`'s arguments for a walk of the descriptors of the processes whose `/proc/<pid>/fd` folders are
 * `folders`: each folder, then the inode of each socket in it, a line each. `-L` has find stat each
 * descriptor's target (its socket, whose inode `%i` prints), so a descriptor costs one system call: `ss -p`
 * makes two (a readlink and an SELinux context lookup), measured 0.36 s against 0.58 s of CPU at 46,000
 * socket descriptors. The folder once and bare inodes (not the folder on every line) make 10 bytes a socket
 * instead of 25 to read. The folders are given, not found under /proc: a walk from /proc stats every entry of
 * /proc and of each /proc/<pid> (about 60 a process) before it can prune them, 6,300 of its 53,900 system
 * calls at 46,000 socket descriptors and 101 processes. `-maxdepth 1` keeps find from following a descriptor
 * of a folder into it; a descriptor is never named `fd` (its name is its number), its folder always is.
 */
export function findSocketsArgs(folders: readonly string[]): string[] {
  return [
    "-L",
    ...folders,
    "-maxdepth",
    "1",
    "(",
    "-name",
    "fd",
    "-printf",
    "%p\\n",
    ")",
    "-o",
    "(",
    "-type",
    "s",
    "-printf",
    "%i\\n",
    ")",
  ];
}

/** Folders given to one `find` run: a command line of at most ~80 kB, far below Linux's limit. */
const FIND_CHUNK = 4_096;

/**
 * The walk ran but cannot be used: a find that walked no folder (one without `-L` or `-printf`, such as
 * BusyBox's, exits 1 with a usage message, which is also its code for an unreadable descriptor), or a ps that
 * refused its options. The caller falls back to `ss -p`.
 */
export class OwnerWalkUnusable extends Error {
  override name = "OwnerWalkUnusable";
}

/** The process owning each socket inode a walk found. */
export interface SocketOwners {
  /** The pid by socket inode (every socket descriptor on the machine, not only those a listing shows). */
  pids: SocketOwnerIndex;
  /**
   * The name (`comm`) by pid, of every process `ps` listed (find walks only those), as ps printed it before find
   * ran: a process that exec'd in between has its old name here ({@linkcode renameAfterWalk} names it again).
   */
  names: Map<number, string>;
  /** Lines of find's output that were not a folder or a socket's inode. */
  skipped: SkippedLine[];
  /** Descriptors or folders find could not read (a process that exited mid-walk, another user's). */
  unreadable: number;
}

/**
 * Walk every process's descriptors for the owners of sockets, through `find` and `ps` (Deno reads /proc only
 * with `--allow-all`; `--allow-run=find,ps` is narrow): the process of each socket inode, and its name
 * (`comm`). Throws the runner's error when find or ps may not run or is not installed: the caller falls back
 * to `ss -p`.
 *
 * @example
 * ```ts ignore
 * const { pids, names } = await walkSocketOwners(toolRunner(platform.programs));
 * ```
 */
export async function walkSocketOwners(run: RunTool): Promise<SocketOwners> {
  // Every process and its name first: find then walks only their descriptor folders (see findSocketsArgs),
  // and every pid it lists is named. A process that starts after ps is not walked: its sockets show no
  // process, as those of one that starts after ss -p's scan of /proc do.
  const listed = await run("ps", ["-e", "-o", "pid=,comm="], { okCodes: [0, 1] });
  // procps exits 0 listing every process (ps itself at least); anything else is a ps that refused its options.
  if (listed.code !== 0) {
    throw new OwnerWalkUnusable(
      `ps refused "-e -o pid=,comm=": ${listed.stderr.split("\n")[0] || `exit code ${listed.code}`}`,
    );
  }
  const names = parseProcessNames(listed.stdout);
  if (names.size === 0) throw new OwnerWalkUnusable("ps -e -o pid=,comm= listed no process");
  const folders = [...names.keys()].map((pid) => `/proc/${pid}/fd`);
  // Read as it comes: find writes 4 kB at a time, and a whole output (1 MB at 46,000 socket descriptors)
  // gathered before reading measured 17 MiB more resident memory than this.
  const reader = new SocketLinksReader();
  let unreadable = 0;
  let firstError = "";
  for (let i = 0; i < folders.length; i += FIND_CHUNK) {
    // find exits 1 when something could not be read (a process gone since ps, EACCES): the rest still prints.
    const found = await run("find", findSocketsArgs(folders.slice(i, i + FIND_CHUNK)), {
      okCodes: [0, 1],
      timeoutMs: DESCRIPTOR_WALK_TIMEOUT_MS,
      onChunk: (chunk) => reader.push(chunk),
    });
    // A runner that hands the output back whole (tests' scripted ones) is read the same.
    if (found.stdout !== "") reader.push(new TextEncoder().encode(found.stdout));
    if (found.stderr !== "") {
      unreadable += found.stderr.split("\n").length;
      firstError ||= found.stderr.split("\n")[0]!;
    }
  }
  const { pids, folders: walked, skipped } = reader.end();
  // Every process has a descriptor folder, readable or not: a walk that listed none did not walk.
  if (walked === 0) {
    throw new OwnerWalkUnusable(`find listed no /proc/<pid>/fd folder: ${firstError || "no message"}`);
  }
  return { pids, names, skipped, unreadable };
}

/**
 * Pids one `ps -q` names: procps-ng's library selects at most 255 pids (`FILL_ID_MAX`); given 256, ps 4.0.2 prints
 * "fatal library error, reap" and exits 1.
 */
const QUICK_PIDS = 255;

/** Pids one `ps -p` names (where ps refuses `-q`): ~8 bytes a pid, a command line of ~33 kB, far below Linux's. */
const LISTED_PIDS = 4_096;

/** What `ps -o pid=,comm=` prints for `pids`, selected by `select` (`-q` or `-p`); null when it failed. */
async function namesNow(
  run: RunTool,
  select: "-q" | "-p",
  pids: readonly number[],
): Promise<ToolOutput | null> {
  try {
    // procps exits 1 when it lists none of the pids (all exited: stderr empty), or refuses its options.
    return await run("ps", ["-o", "pid=,comm=", select, pids.join(",")], { okCodes: [0, 1] });
  } catch {
    return null;
  }
}

/**
 * Name the processes `pids` again, after the walk: their names as `ps` prints them now, put in `names` (a walk's
 * {@linkcode SocketOwners.names}). The walk's ps runs before its find, and a process that execs between the two
 * (a shell's fork before its exec of curl, pyenv's `python3` shim, `env`, `nice`, `sudo`) keeps in `names` the
 * name it had before the exec, while the sockets find found in its folder are the new program's (at 25,000
 * sockets find takes ~200 ms: the window is real). The caller asks for the owners of the sockets it lists (a
 * snapshot's are a handful of processes), not every pid the walk named.
 *
 * `ps -q` (procps-ng 3.3.10 on), not `-p`: `-p` reads every process on the machine and keeps those asked for,
 * as dear as `ps -e` (CPU a run with one pid asked, a shell loop's ~5 ms included, at 80 / 576 / 1,575
 * processes: `-p` 22 / 59 / 125 ms, `-e` 17 / 54 / 108 ms, `-q` 14 / 16 / 12 ms). A ps that refuses `-q` (it
 * says why on stderr) is asked with `-p`.
 *
 * A pid ps no longer lists (it exited since) keeps its first name, as does every pid when this ps fails otherwise
 * (times out, is killed by a stop, refuses `-p` too): the walk's names are as good as they were before this
 * second look, so nothing is thrown and nothing said. A pid reused by a new process in between would take the new
 * one's name: the kernel hands a pid out again only after it has gone round all the others up to `pid_max`
 * (32,768 by default; systemd raises it to 4,194,304), not in the milliseconds between. Only the pids asked for
 * are taken: given a thread's id, `ps -q` prints the line of the thread's process.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { renameAfterWalk } from "./socket_owner_walk.ts";
 * const names = new Map([[42, "bash"], [43, "sh"]]);
 * // 42 exec'd curl since the walk's ps; 43 exited.
 * const run = () => Promise.resolve({ stdout: "   42 curl\n", stderr: "", code: 0 });
 * await renameAfterWalk(run, names, [42, 43]);
 * deepStrictEqual(names, new Map([[42, "curl"], [43, "sh"]]));
 * ```
 */
export async function renameAfterWalk(
  run: RunTool,
  names: Map<number, string>,
  pids: Iterable<number>,
): Promise<void> {
  const asked = [...new Set(pids)];
  let quick = true;
  for (let at = 0; at < asked.length;) {
    const chunk = asked.slice(at, at + (quick ? QUICK_PIDS : LISTED_PIDS));
    const output = await namesNow(run, quick ? "-q" : "-p", chunk);
    if (quick && output !== null && output.code !== 0 && output.stderr !== "") {
      // It refused -q (a procps before 3.3.10, 2014): the same pids, and the rest, with -p.
      quick = false;
      continue;
    }
    at += chunk.length;
    if (output === null) continue;
    const wanted = new Set(chunk);
    for (const [pid, name] of parseProcessNames(output.stdout)) if (wanted.has(pid)) names.set(pid, name);
  }
}
