import type { Socket } from "../model/connection.ts";
import { parseSs } from "../parse/ss.ts";
import type { Collector, CollectResult } from "./collector.ts";
import { findExePaths } from "./linux_exe_paths.ts";
import { ProcessPathCache } from "./process_paths.ts";
import { type RunTool, runTool as defaultRunTool } from "./run_tool.ts";
import { singleFlight } from "./single_flight.ts";
import { nameUsers, readUserNames } from "./user_names.ts";
import { runningAsRoot } from "./running_as_root.ts";

/** `ss` arguments: TCP and UDP, all states, numeric, no header, extended (uid, inode), and processes. */
export const SS_ARGS_WITH_OWNERS = ["-tunapeH"] as const;
/** The same without `-p`: no walk over /proc/*\/fd, several times cheaper. */
export const SS_ARGS_WITHOUT_OWNERS = ["-tunaeH"] as const;

interface Owner {
  pid: number;
  name: string | null;
}

/** Options of {@linkcode createSsCollector}. */
export interface SsCollectorOptions {
  run?: RunTool;
  /** uid → name; defaults to /etc/passwd when readable. */
  userNames?: Map<string, string> | null;
  /** Whether this runs as root (null: unknown); defaults to asking Deno. */
  root?: boolean | null;
}

/**
 * Why sockets show no process, as far as it is true for this run: only a run
 * that is not root (or cannot tell) is told that root would see more.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { noProcessNote } from "./ss_collector.ts";
 * deepStrictEqual(noProcessNote(2, true),
 *   "2 sockets show no process: they belong to another network namespace or were being torn down");
 * ```
 */
export function noProcessNote(count: number, root: boolean | null): string {
  const subject = `${count} ${count === 1 ? "socket shows" : "sockets show"} no process`;
  if (root === true) return `${subject}: they belong to another network namespace or were being torn down`;
  const others = root === false
    ? "other users' sockets (run as root to see their processes)"
    : "other users' sockets (only root sees their processes)";
  return `${subject}: ${others}, another network namespace's, or sockets being torn down`;
}

/**
 * The Linux default collector. The first reading runs `ss -tunapeH`; later
 * readings run `ss -tunaeH`, which skips the costly walk over every process's
 * descriptors, and take owners from a cache keyed by socket inode (an inode
 * never changes). Only when a socket's inode is new does it run `ss -p` again.
 * Executable paths come from `/proc/<pid>/exe` through `find`, once per process.
 */
export function createSsCollector(options: SsCollectorOptions = {}): Collector {
  const run = options.run ?? defaultRunTool;
  const userNames = options.userNames === undefined ? readUserNames() : options.userNames;
  const owners = new Map<number, Owner | null>();
  const notes: string[] = [];
  const paths = new ProcessPathCache(findExePaths(run, (remedy) => {
    notes.push(`process paths are left out: ${remedy} from /proc/<pid>/exe`);
  }));
  let warm = false;
  // Said once per run: the count changes from poll to poll, the reason does not.
  let saidNoProcess = false;
  const root = options.root === undefined ? runningAsRoot() : options.root;

  const readWithOwners = async () => {
    const parsed = parseSs((await run("ss", SS_ARGS_WITH_OWNERS)).stdout);
    for (const s of parsed.sockets) {
      if (s.inode) owners.set(s.inode, s.pid === null ? null : { pid: s.pid, name: s.process_name });
    }
    warm = true;
    return parsed;
  };

  const readWithCache = async () => {
    const parsed = parseSs((await run("ss", SS_ARGS_WITHOUT_OWNERS)).stdout);
    for (const s of parsed.sockets) {
      if (!s.inode) continue;
      const owner = owners.get(s.inode);
      if (owner === undefined) return null;
      s.pid = owner?.pid ?? null;
      s.process_name = owner?.name ?? null;
    }
    return parsed;
  };

  const forgetClosed = (sockets: Socket[]) => {
    const live = new Set<number>();
    for (const s of sockets) if (s.inode) live.add(s.inode);
    for (const inode of owners.keys()) if (!live.has(inode)) owners.delete(inode);
  };

  const collect = async (): Promise<CollectResult> => {
    const parsed = (warm ? await readWithCache() : null) ?? await readWithOwners();
    forgetClosed(parsed.sockets);
    await paths.fill(parsed.sockets);
    nameUsers(parsed.sockets, userNames);
    const unowned = parsed.sockets.filter((s) => s.inode && s.pid === null).length;
    const result: CollectResult = { sockets: parsed.sockets, skipped: parsed.skipped, notes: [...notes] };
    if (unowned > 0 && !saidNoProcess) {
      saidNoProcess = true;
      result.notes.push(noProcessNote(unowned, root));
    }
    notes.length = 0;
    return result;
  };

  return { name: "ss", collect: singleFlight(collect) };
}
