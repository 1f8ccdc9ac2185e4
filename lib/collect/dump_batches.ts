/**
 * A one-shot reading's TCP dump, kept as bytes during its walk and read after it a batch at a time (see
 * `SocketBatches` in collector.ts), and what a walked reading does to its sockets: their owners from the walk,
 * their paths and users, and the count of those left without a process.
 *
 * @module
 */
import type { Socket } from "../model/connection.ts";
import { InetDiagReader } from "../parse/inet_diag.ts";
import type { SkippedLine } from "../parse/parse_result.ts";
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

/**
 * The listening sockets of a dump kept as `chunks`, read whole: a dump that is not whole (cut short, or no dump)
 * throws the reader's `SyntaxError` here, before any batch is made, so that the caller can list the sockets
 * otherwise. The other sockets are passed over unread.
 *
 * @example
 * ```ts
 * import { throws } from "node:assert/strict";
 * import { dumpListeners } from "./dump_batches.ts";
 * throws(() => dumpListeners([new TextEncoder().encode("ss: not a dump\n")]), SyntaxError);
 * ```
 */
export function dumpListeners(chunks: readonly Uint8Array[]): Socket[] {
  const reader = new InetDiagReader({ listenersOnly: true });
  for (let i = 0; i < chunks.length; i++) reader.push(chunks[i]!);
  return reader.end().sockets;
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
 * The sockets of a dump kept as `chunks` (checked whole by {@linkcode dumpListeners}, whose `listeners` they are),
 * a batch for each chunk (~500 sockets in a piece of `TcpDump.readBytes`), made when asked for and handed over:
 * each with its owner, name, path and user. When the last is made, `end` hears the lines the dump skipped and how
 * many of its sockets have an inode and no process.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { dumpBatches } from "./dump_batches.ts";
 * import { SocketOwnerIndex } from "../parse/socket_walk.ts";
 * const done = new Uint8Array(16);
 * new DataView(done.buffer).setUint32(0, 16, true);
 * new DataView(done.buffer).setUint16(4, 3, true); // NLMSG_DONE: an empty dump
 * let ended = -1;
 * const more = dumpBatches([done], [], {
 *   pids: new SocketOwnerIndex(), names: new Map(), paths: null, userNames: null,
 * }, (_skipped, unowned) => ended = unowned);
 * deepStrictEqual([[...more.batches], ended], [[], 0]);
 * ```
 */
export function dumpBatches(
  chunks: readonly Uint8Array[],
  listeners: Socket[],
  owners: BatchOwners,
  end: (skipped: SkippedLine[], unowned: number) => void,
): SocketBatches {
  return { listeners, batches: batchesOf(chunks, owners, end) };
}

function* batchesOf(
  chunks: readonly Uint8Array[],
  owners: BatchOwners,
  end: (skipped: SkippedLine[], unowned: number) => void,
): Generator<Socket[]> {
  const reader = new InetDiagReader();
  let unowned = 0;
  for (let i = 0; i < chunks.length; i++) {
    reader.push(chunks[i]!);
    const batch = reader.take();
    if (batch.length === 0) continue;
    nameWalkedOwners(batch, owners.pids, owners.names);
    if (owners.paths !== null) setPaths(batch, owners.paths);
    nameUsers(batch, owners.userNames);
    unowned += unownedCount(batch);
    yield batch;
  }
  end(reader.end().skipped, unowned);
}
