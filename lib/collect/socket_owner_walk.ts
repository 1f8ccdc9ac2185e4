import {
  parseProcessFolders,
  parseProcessStats,
  SocketLinksReader,
  type SocketOwnerIndex,
} from "../parse/socket_walk.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool } from "./run_tool.ts";

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
 * The environment of the walk's `find` runs (the listing of /proc and the descriptor folders). `MALLOC_TRIM_THRESHOLD_`: glibc's malloc keeps what it frees (up to 256 MiB)
 * instead of handing it back. find reads a folder's entries whole, ~260 bytes each, and frees them when it leaves
 * the folder; glibc then gave the top of its heap back, so the next large folder faulted its pages in afresh. Four
 * processes of 6,300 socket descriptors each: 1,707 → 543 page faults, 157-167 → 136-140 ms of CPU; find's peak
 * resident memory is the same (its largest folder's). `LC_ALL=C`: no locale loaded or consulted, ~2 ms less
 * (131.8 → 129.4 ms, median of 14); what find prints here is ASCII either way. A C library other than glibc
 * ignores the first.
 */
export const WALK_ENV: Readonly<Record<string, string>> = {
  MALLOC_TRIM_THRESHOLD_: String(256 * 1024 * 1024),
  LC_ALL: "C",
};

/**
 * `find`'s arguments that list the processes: the name of each numbered folder of /proc (its pid), a line each.
 * One level, by name: find descends into no process's folder. It costs a third of `ps -e` (4 against 12 ms of CPU
 * here with 72 processes: ps loads ten libraries, libsystemd's among them, before it reads a file).
 */
export const PROCESS_FOLDERS_ARGS: readonly string[] = [
  "/proc",
  "-mindepth",
  "1",
  "-maxdepth",
  "1",
  "-name",
  "[1-9]*",
  "-printf",
  "%f\\n",
];

/**
 * The walk ran but cannot be used: a find that listed no process or walked no folder (one without `-printf`, such
 * as BusyBox's, exits 1 with a usage message, which is also its code for an unreadable descriptor). The caller
 * falls back to `ss -p`.
 */
export class OwnerWalkUnusable extends Error {
  override name = "OwnerWalkUnusable";
}

/** The process owning each socket inode a walk found. */
export interface SocketOwners {
  /** The pid by socket inode (every socket descriptor on the machine, not only those a listing shows). */
  pids: SocketOwnerIndex;
  /** The name (`comm`) by pid of every process holding a socket, read after the walk (see {@linkcode nameProcesses}). */
  names: Map<number, string>;
  /** Lines of find's output that were not a folder or a socket's inode. */
  skipped: SkippedLine[];
  /** Descriptors or folders find could not read (a process that exited mid-walk, another user's). */
  unreadable: number;
}

/**
 * Walk every process's descriptors for the owners of sockets, through `find` (Deno reads /proc only with
 * `--allow-all`; `--allow-run=find` is narrow): the process of each socket inode, and the name of each process
 * holding a socket, read after the walk through `cat` (see {@linkcode nameProcesses}). Throws the runner's error
 * when find or cat may not run or is not installed: the caller falls back to `ss -p`.
 *
 * @example
 * ```ts ignore
 * const { pids, names } = await walkSocketOwners(toolRunner(platform.programs));
 * ```
 */
export async function walkSocketOwners(run: RunTool): Promise<SocketOwners> {
  // Every process first: find then walks only their descriptor folders (see findSocketsArgs). A process that
  // starts after this listing is not walked: its sockets show no process, as those of one that starts after
  // ss -p's scan of /proc do. find exits 1 when something could not be read; what it read still prints.
  const listed = await run("find", PROCESS_FOLDERS_ARGS, { okCodes: [0, 1], env: WALK_ENV });
  const processes = parseProcessFolders(listed.stdout);
  if (processes.length === 0) {
    const why = listed.stderr.split("\n")[0] || `exit code ${listed.code}`;
    throw new OwnerWalkUnusable(`find listed no process under /proc: ${why}`);
  }
  const folders = processes.map((pid) => `/proc/${pid}/fd`);
  // Read as it comes: find writes 4 kB at a time, and a whole output (1 MB at 46,000 socket descriptors)
  // gathered before reading measured 17 MiB more resident memory than this.
  const reader = new SocketLinksReader();
  let unreadable = 0;
  let firstError = "";
  for (let i = 0; i < folders.length; i += FIND_CHUNK) {
    // find exits 1 when something could not be read (a process gone since the listing, EACCES): the rest prints.
    const found = await run("find", findSocketsArgs(folders.slice(i, i + FIND_CHUNK)), {
      okCodes: [0, 1],
      timeoutMs: DESCRIPTOR_WALK_TIMEOUT_MS,
      onChunk: (chunk) => reader.push(chunk),
      env: WALK_ENV,
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
  return { pids, names: await nameProcesses(run, pids.pids()), skipped, unreadable };
}

/** Pids to one `cat` run: at most 19 bytes an argument, a command line of at most ~78 kB, far below Linux's. */
const STAT_CHUNK = 4_096;

/**
 * The names (`comm`) of the processes `pids`, from `/proc/<pid>/stat` through `cat` (`--allow-run=cat`, which the
 * `ss` collector reads /proc/net with): read after a walk, so a process that exec'd since the walk listed it (a
 * shell's fork before its exec of curl, pyenv's `python3` shim, `env`, `sudo`) has its new program's name, as its
 * sockets are the new program's. Each line of stat starts with its pid, so a process that exited meanwhile (cat
 * says so on stderr and exits 1) leaves out only its own name. Only the pids asked for are taken. Costs ~3 ms of
 * CPU where `ps -q` cost ~10 (the libraries ps loads); the name is whole, not shown with `?` as ps shows it
 * (conntrail's output makes it safe). Throws {@linkcode OwnerWalkUnusable} when cat printed text of which no line
 * is a stat line (a /proc that writes them otherwise): the caller names the sockets with `ss -p` instead of
 * leaving every process unnamed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { nameProcesses } from "./socket_owner_walk.ts";
 * // 43 exited since the walk.
 * const stat = "42 (curl) S 1 42 42 0 -1 4194560 93 0 0 0 0 0 0 0 20 0 1 0\n";
 * const run = () => Promise.resolve({ stdout: stat, stderr: "cat: /proc/43/stat: No such file", code: 1 });
 * deepStrictEqual(await nameProcesses(run, [42, 43]), new Map([[42, "curl"]]));
 * ```
 */
export async function nameProcesses(run: RunTool, pids: Iterable<number>): Promise<Map<number, string>> {
  const asked = [...new Set(pids)];
  const names = new Map<number, string>();
  for (let at = 0; at < asked.length; at += STAT_CHUNK) {
    const chunk = asked.slice(at, at + STAT_CHUNK);
    const { stdout } = await run("cat", chunk.map((pid) => `/proc/${pid}/stat`), { okCodes: [0, 1] });
    const read = parseProcessStats(stdout);
    if (read.size === 0 && stdout.trim() !== "") {
      const line = stdout.split("\n")[0]!;
      throw new OwnerWalkUnusable(
        `cat /proc/<pid>/stat printed no stat line conntrail can read: ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const wanted = new Set(chunk);
    for (const [pid, name] of read) if (wanted.has(pid)) names.set(pid, name);
  }
  return names;
}
