import { parseProcessNames, SocketLinksReader, type SocketOwnerIndex } from "../parse/socket_walk.ts";
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
  /** The name (`comm`) by pid, of every process `ps` listed (find walks only those). */
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
