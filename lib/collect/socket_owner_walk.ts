import { parseProcessNames, SocketLinksReader, type SocketOwnerIndex } from "../parse/socket_walk.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
import { DESCRIPTOR_WALK_TIMEOUT_MS, type RunTool } from "./run_tool.ts";

/**
 * `find`'s arguments for a walk of every process's descriptors: each `/proc/<pid>/fd` folder, then the inode
 * of each socket in it, a line each. `-L` has find stat each descriptor's target (its socket, whose inode
 * `%i` prints), so a descriptor costs one system call: `ss -p` makes two (a readlink and an SELinux context
 * lookup), measured 0.36 s against 0.58 s of CPU at 46,000 socket descriptors. The folder once and bare
 * inodes (not the folder on every line) make 10 bytes a socket instead of 25 to read. Only the `fd` folders
 * of numbered folders are entered; `-maxdepth 3` keeps find from following a descriptor of a folder into it.
 */
export const FIND_SOCKETS_ARGS = [
  "-L",
  "/proc",
  "-mindepth",
  "1",
  "-maxdepth",
  "3",
  "(",
  "-path",
  "/proc/[0-9]*/fd/*",
  "-type",
  "s",
  "-printf",
  "%i\\n",
  ")",
  "-o",
  "(",
  "-path",
  "/proc/[0-9]*/fd",
  "-printf",
  "%p\\n",
  ")",
  "-o",
  "(",
  "-path",
  "/proc/[0-9]*/*",
  "-prune",
  ")",
  "-o",
  "(",
  "!",
  "-path",
  "/proc/[0-9]*",
  "-prune",
  ")",
] as const;

/** Pids named by one `ps` run: a command line of a few kB. */
const PS_CHUNK = 500;

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
  /** The name (`comm`) by pid; a process that exited before `ps` named it has none. */
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
  // Read as it comes: find writes 4 kB at a time, and a whole output (1 MB at 46,000 socket descriptors)
  // gathered before reading measured 17 MiB more resident memory than this.
  const reader = new SocketLinksReader();
  // find exits 1 when something could not be read (a process gone mid-walk, EACCES): the rest still prints.
  const found = await run("find", FIND_SOCKETS_ARGS, {
    okCodes: [0, 1],
    timeoutMs: DESCRIPTOR_WALK_TIMEOUT_MS,
    onChunk: (chunk) => reader.push(chunk),
  });
  // A runner that hands the output back whole (tests' scripted ones) is read the same.
  if (found.stdout !== "") reader.push(new TextEncoder().encode(found.stdout));
  const { pids, folders, skipped } = reader.end();
  // Every process has a descriptor folder, readable or not: a walk that listed none did not walk.
  if (folders === 0) {
    throw new OwnerWalkUnusable(
      `find listed no /proc/<pid>/fd folder: ${found.stderr.split("\n")[0] || "no message"}`,
    );
  }
  const unreadable = found.stderr === "" ? 0 : found.stderr.split("\n").length;
  const wanted = pids.pids();
  const names = new Map<number, string>();
  for (let i = 0; i < wanted.length; i += PS_CHUNK) {
    // ps exits 1 when none of the pids is left.
    const listed = await run("ps", ["-o", "pid=,comm=", "-p", wanted.slice(i, i + PS_CHUNK).join(",")], {
      okCodes: [0, 1],
    });
    // procps exits 1 without a word when none is left; a message with it is a ps that refused its options.
    if (listed.code !== 0 && listed.stderr !== "") {
      throw new OwnerWalkUnusable(`ps refused "-o pid=,comm= -p": ${listed.stderr.split("\n")[0]}`);
    }
    for (const [pid, name] of parseProcessNames(listed.stdout)) names.set(pid, name);
  }
  return { pids, names, skipped, unreadable };
}
