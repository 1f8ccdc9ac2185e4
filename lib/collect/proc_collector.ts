import { isPermissionDenied, PermissionError } from "../model/errors.ts";
import type { Family, Protocol, Socket } from "../model/connection.ts";
import { parseProcNet } from "../parse/proc_net.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
import type { Collector, CollectorPlatform, CollectResult } from "./collector.ts";
import { oncePerInode } from "./once_per_inode.ts";
import { ProcessPathCache } from "./process_paths.ts";
import { singleFlight } from "./single_flight.ts";
import { nameUsers, readUserNames } from "./user_names.ts";

const TABLES: { file: string; protocol: Protocol; family: Family }[] = [
  { file: "tcp", protocol: "TCP", family: 4 },
  { file: "tcp6", protocol: "TCP", family: 6 },
  { file: "udp", protocol: "UDP", family: 4 },
  { file: "udp6", protocol: "UDP", family: 6 },
];

interface Owner {
  pid: number;
  name: string | null;
}

/** The file-system calls the /proc reader makes, injectable for tests. */
export interface ProcFs {
  readTextFile(path: string): Promise<string>;
  readDir(path: string): AsyncIterable<{ name: string }>;
  readLink(path: string): Promise<string>;
}

async function readOrNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isPermissionDenied(error)) throw error;
    return null; // The process exited or is not ours: no owner, not an error.
  }
}

/**
 * Collector that spawns nothing: sockets from `/proc/net/{tcp,tcp6,udp,udp6}`,
 * owners by walking `/proc/<pid>/fd` (only when some socket inode is not in
 * the cache), names from `comm`, paths from `exe`.
 *
 * Deno 2.9 lets a program read /proc only under `--allow-all`; without it this
 * collector ends with one sentence pointing at `--collector ss`.
 */
export function createProcCollector(
  options: { platform: CollectorPlatform; fs?: ProcFs; root?: string },
): Collector {
  const fs = options.fs ?? options.platform.files;
  const root = options.root ?? "/proc";
  const owners = new Map<number, Owner | null>();
  const userNames = readUserNames(options.platform);
  const paths = new ProcessPathCache(async (pids) => {
    const found = new Map<number, string>();
    for (const pid of pids) {
      const path = await readOrNull(() => fs.readLink(`${root}/${pid}/exe`));
      if (path !== null) found.set(pid, path);
    }
    return found;
  });

  const walkOwners = async (wanted: Set<number>) => {
    for await (const entry of fs.readDir(root)) {
      if (wanted.size === 0) break;
      if (!/^\d+$/.test(entry.name)) continue;
      const pid = Number(entry.name);
      const fds = await readOrNull(async () => {
        const links: string[] = [];
        for await (const fd of fs.readDir(`${root}/${pid}/fd`)) {
          const link = await readOrNull(() => fs.readLink(`${root}/${pid}/fd/${fd.name}`));
          if (link !== null) links.push(link);
        }
        return links;
      });
      let name: string | null | undefined;
      for (const link of fds ?? []) {
        const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
        if (inode === undefined || !wanted.has(Number(inode))) continue;
        name ??= (await readOrNull(() => fs.readTextFile(`${root}/${pid}/comm`)))?.trimEnd() ?? null;
        owners.set(Number(inode), { pid, name });
        wanted.delete(Number(inode));
      }
    }
    for (const inode of wanted) owners.set(inode, null);
  };

  const collect = async (): Promise<CollectResult> => {
    let sockets: Socket[] = [];
    const skipped: SkippedLine[] = [];
    for (const table of TABLES) {
      const text = await readOrNull(() => fs.readTextFile(`${root}/net/${table.file}`));
      if (text === null) continue; // No IPv6 in this kernel.
      const parsed = parseProcNet(text, table);
      // One at a time: spreading 200k sockets into push() overflows the stack.
      for (const socket of parsed.sockets) sockets.push(socket);
      for (const line of parsed.skipped) skipped.push(line);
    }
    sockets = oncePerInode(sockets);
    const unknown = new Set<number>();
    for (const s of sockets) if (s.inode && !owners.has(s.inode)) unknown.add(s.inode);
    if (unknown.size > 0) await walkOwners(unknown);
    const live = new Set<number>();
    for (const s of sockets) {
      if (!s.inode) continue;
      live.add(s.inode);
      const owner = owners.get(s.inode);
      s.pid = owner?.pid ?? null;
      s.process_name = owner?.name ?? null;
    }
    for (const inode of owners.keys()) if (!live.has(inode)) owners.delete(inode);
    await paths.fill(sockets);
    nameUsers(sockets, userNames);
    return { sockets, skipped, notes: [] };
  };

  const guarded = async () => {
    try {
      return await collect();
    } catch (error) {
      if (!isPermissionDenied(error)) throw error;
      throw new PermissionError(
        "the proc collector reads /proc, which Deno allows only with --allow-all; use --collector ss (the default) or run with --allow-all",
        "--allow-all",
        { cause: error },
      );
    }
  };
  return { name: "proc", collect: singleFlight(guarded) };
}
