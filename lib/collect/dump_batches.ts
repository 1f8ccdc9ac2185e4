/**
 * A one-shot reading's TCP dump, kept as columns during its walk and made into sockets after it a batch at a time
 * (see `SocketBatches` in collector.ts), and what a walked reading does to its sockets: their owners from the
 * walk, their paths and users, and the count of those left without a process.
 *
 * @module
 */
import type { Socket } from "../model/connection.ts";
import type { DumpColumns } from "../parse/dump_columns.ts";
import type { SocketOwnerIndex } from "../parse/socket_walk.ts";
import type { SocketBatches } from "./collector.ts";
import { nameUsers } from "./user_names.ts";

/**
 * Give each socket the process that owns its inode in a walk (null: none). A function of its own, not a loop in an
 * async function: V8 compiles and runs a loop in an async function more dearly.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { nameWalkedOwners } from "./dump_batches.ts";
 * import { SocketOwnerIndex } from "../parse/socket_walk.ts";
 * const pids = new SocketOwnerIndex();
 * pids.add(7, 42);
 * const socket = { inode: 7, pid: null as number | null, process_name: null as string | null };
 * nameWalkedOwners([socket as never], pids, new Map([[42, "curl"]]));
 * deepStrictEqual([socket.pid, socket.process_name], [42, "curl"]);
 * ```
 */
export function nameWalkedOwners(
  sockets: readonly Socket[],
  pids: SocketOwnerIndex,
  names: ReadonlyMap<number, string>,
): void {
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    const pid = s.inode ? pids.pidOf(s.inode) : undefined;
    s.pid = pid ?? null;
    s.process_name = pid === undefined ? null : names.get(pid) ?? null;
  }
}

/**
 * The sockets with an inode and no process. A function of its own, not a loop in the async `collect` (see
 * {@linkcode nameWalkedOwners}), which runs it every poll while all sockets have one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { unownedCount } from "./dump_batches.ts";
 * const sockets = [{ inode: 7, pid: null }, { inode: 8, pid: 42 }, { inode: null, pid: null }];
 * deepStrictEqual(unownedCount(sockets as never), 1); // a socket without inode (TIME_WAIT) has no owner to name
 * ```
 */
export function unownedCount(sockets: readonly Socket[]): number {
  let unowned = 0;
  // Indexed, not for-of: Maglev (the top tier under --max-opt=2) makes a for-of's iterator results.
  for (let i = 0; i < sockets.length; i++) if (sockets[i]!.inode && sockets[i]!.pid === null) unowned++;
  return unowned;
}

/** What a walk found and the reading knows, that each batch's sockets are given. */
export interface BatchOwners {
  /** The pid by socket inode, from the walk. */
  pids: SocketOwnerIndex;
  /** The name by pid, from the walk. */
  names: ReadonlyMap<number, string>;
  /** The executable path by pid (null: unreadable); null when paths are not read. */
  paths: ReadonlyMap<number, string | null> | null;
  /** uid → user name (null: uids stay numbers). */
  userNames: Map<string, string> | null;
}

/**
 * Set each socket's path from `paths` by its pid (null without one).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { setPaths } from "./dump_batches.ts";
 * const sockets = [{ pid: 42, process_path: null }, { pid: 43, process_path: null }, { pid: null, process_path: null }];
 * setPaths(sockets as never, new Map([[42, "/usr/bin/curl"], [43, null]]));
 * deepStrictEqual(sockets.map((s) => s.process_path), ["/usr/bin/curl", null, null]);
 * ```
 */
export function setPaths(sockets: readonly Socket[], paths: ReadonlyMap<number, string | null>): void {
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    s.process_path = s.pid === null ? null : paths.get(s.pid) ?? null;
  }
}

/**
 * Sockets a batch: made, named and written before the next batch is made. Small enough that a batch is written
 * before the young generation is collected twice: at 500, every scavenge of the output found a batch alive and
 * promoted 58 KB of it, and V8, seeing the literal's objects survive, allocated the later ones straight in old
 * space (pretenuring), on fresh pages: 1,000-1,600 more page faults at 25,200 sockets. At 100 none is promoted.
 */
export const BATCH = 100;

/**
 * The sockets of a dump kept as `columns`, a batch of {@linkcode BATCH} at a time, made when asked for and handed
 * over: each with its owner, name, path and user. The listening ones come whole first (what the directions of
 * every batch are told from). When the last batch is made, `end` hears how many of the sockets have an inode and
 * no process.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { dumpBatches } from "./dump_batches.ts";
 * import { DumpColumns } from "../parse/dump_columns.ts";
 * import { SocketOwnerIndex } from "../parse/socket_walk.ts";
 * const columns = new DumpColumns(2);
 * columns.add(4, "127.0.0.1", 80, null, null, "LISTEN", "0", 7);
 * columns.add(4, "127.0.0.1", 80, "127.0.0.1", 5000, "ESTABLISHED", "0", 8);
 * const pids = new SocketOwnerIndex();
 * pids.add(7, 42);
 * let unowned = -1;
 * const more = dumpBatches(columns, { pids, names: new Map([[42, "nginx"]]), paths: null, userNames: null },
 *   (count) => unowned = count);
 * deepStrictEqual(more.listeners.map((s) => s.inode), [7]);
 * deepStrictEqual([...more.batches].flat().map((s) => [s.inode, s.process_name]), [[7, "nginx"], [8, null]]);
 * deepStrictEqual(unowned, 1);
 * ```
 */
export function dumpBatches(
  columns: DumpColumns,
  owners: BatchOwners,
  end: (unowned: number) => void,
): SocketBatches {
  return { listeners: columns.listeners(), batches: batchesOf(columns, owners, end) };
}

function* batchesOf(
  columns: DumpColumns,
  owners: BatchOwners,
  end: (unowned: number) => void,
): Generator<Socket[]> {
  let unowned = 0;
  for (let from = 0; from < columns.length; from += BATCH) {
    const batch = columns.sockets(from, from + BATCH);
    nameWalkedOwners(batch, owners.pids, owners.names);
    if (owners.paths !== null) setPaths(batch, owners.paths);
    nameUsers(batch, owners.userNames);
    unowned += unownedCount(batch);
    yield batch;
  }
  end(unowned);
}
