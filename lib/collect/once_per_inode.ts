import type { Socket } from "../model/connection.ts";

/**
 * The sockets, each inode once. `/proc/net/tcp` (which `netstat` reads too)
 * is read a page at a time, and a table that changes between two reads can
 * list a socket again (a busy machine's netstat listing did). Sockets without
 * an inode (TIME_WAIT) are all kept; a list without repeats is given back as is.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { oncePerInode } from "./once_per_inode.ts";
 * const s = { protocol: "TCP" as const, family: 4 as const, local_ip: "127.0.0.1", local_port: 5000,
 *   remote_ip: "127.0.0.1", remote_port: 80, status: "ESTABLISHED", pid: null, process_name: null,
 *   process_path: null, user: null, inode: 7 };
 * const waiting = { ...s, status: "TIME_WAIT", inode: 0 };
 * deepStrictEqual(oncePerInode([s, waiting, { ...s }, waiting]), [s, waiting, waiting]);
 * ```
 */
export function oncePerInode<T extends Pick<Socket, "inode">>(sockets: T[]): T[] {
  const seen = new Set<number>();
  let repeated = false;
  for (const s of sockets) {
    if (!s.inode) continue;
    if (seen.has(s.inode)) {
      repeated = true;
      break;
    }
    seen.add(s.inode);
  }
  if (!repeated) return sockets;
  const kept = new Set<number>();
  return sockets.filter((s) => {
    if (!s.inode) return true;
    if (kept.has(s.inode)) return false;
    kept.add(s.inode);
    return true;
  });
}
