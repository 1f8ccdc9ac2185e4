import type { Connection, Direction, Socket } from "./connection.ts";
import { InodeMemory } from "./inode_memory.ts";
import { RememberedSocket } from "./remembered_socket.ts";

/**
 * The connections a monitor's source keeps from one poll to the next, one object per socket:
 * {@linkcode RememberedConnection} (a plain connection to every reader, with the memory's poll stamp and the
 * tracker's entry out of sight) and {@linkcode ConnectionMemory} (them by socket inode, for
 * `toConnections` in direction.ts to give again when nothing about a socket changed).
 * @module
 */

export interface RememberedConnection extends Connection {}

/**
 * A connection a {@linkcode ConnectionMemory} keeps: a plain connection to
 * every reader (the same own fields, in the same order: JSON, spreads and
 * `Object.keys` see nothing else), which also holds, out of sight, the last
 * poll that listed it (the memory's stamp) and what the monitor's tracker
 * keeps of it ({@linkcode trackedOf}). One object per socket for both, where
 * a record `{ connection, seen }` and a tracker's Map from connection to key
 * were two more (at 21,000 sockets 0.8 MiB each, and a Map table of 0.9).
 */
export class RememberedConnection {
  #seen: number;
  #tracked: unknown = null;

  constructor(s: Socket, timestamp: string, direction: Direction, seen: number) {
    this.#seen = seen;
    // The fields in the order direction.ts's connectionOf literals give them (the order JSON writes them in).
    this.timestamp = timestamp;
    this.protocol = s.protocol;
    this.family = s.family;
    this.local_ip = s.local_ip;
    this.local_port = s.local_port;
    this.remote_ip = s.remote_ip;
    this.remote_port = s.remote_port;
    this.status = s.status;
    this.direction = direction;
    this.pid = s.pid;
    this.process_name = s.process_name;
    this.process_path = s.process_path;
    this.user = s.user;
    // Counters only when they were asked for (`--traffic`): absent otherwise, not undefined.
    if (s.bytes_sent !== undefined) this.bytes_sent = s.bytes_sent;
    if (s.bytes_received !== undefined) this.bytes_received = s.bytes_received;
  }

  /** The last poll that listed it (an accessor of the class, no field of the connection). */
  get seen(): number {
    return this.#seen;
  }
  set seen(poll: number) {
    this.#seen = poll;
  }

  /** What {@linkcode keepTracked} left on a remembered connection (null: nothing yet); `undefined` for any other. */
  static trackedOf(c: Connection): unknown {
    return #tracked in c ? (c as RememberedConnection).#tracked : undefined;
  }

  /**
   * What the follower left on `from` goes to `to`, which replaces it for the same socket and four-tuple (its
   * counters or state moved): the follower finds its record of the connection without a lookup again.
   */
  static carryTracked(from: RememberedConnection, to: RememberedConnection): void {
    to.#tracked = from.#tracked;
  }

  /** Leave `value` on a remembered connection; false (nothing kept) for any other connection. */
  static keepTracked(c: Connection, value: unknown): boolean {
    if (!(#tracked in c)) return false;
    (c as RememberedConnection).#tracked = value;
    return true;
  }
}

/**
 * What a follower of connections (the monitor's tracker) left on a connection a
 * {@linkcode ConnectionMemory} gives again, so that it finds its own record of
 * the connection without a lookup: null while nothing was left on it, and
 * `undefined` for a connection that is not a remembered one.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ConnectionMemory, keepTracked, trackedOf } from "./connection_memory.ts";
 * import { toConnections } from "./direction.ts";
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", pid: 42, process_name: "curl",
 *   process_path: null, user: null, inode: 7 };
 * const memory = new ConnectionMemory();
 * const [first] = toConnections([socket], "2026-01-01T00:00:00.000+00:00", memory);
 * deepStrictEqual(trackedOf(first!), null);
 * deepStrictEqual(keepTracked(first!, "TCP 10.0.0.2 5000 8.8.8.8 443"), true);
 * const [again] = toConnections([socket], "2026-01-01T00:00:01.000+00:00", memory);
 * deepStrictEqual(trackedOf(again!), "TCP 10.0.0.2 5000 8.8.8.8 443");
 * deepStrictEqual(Object.keys(again!).length, 13);
 * const plain = { ...socket, timestamp: "", direction: "outgoing" as const };
 * deepStrictEqual([keepTracked(plain, 1), trackedOf(plain)], [false, undefined]);
 * ```
 */
export function trackedOf(c: Connection): unknown {
  return RememberedConnection.trackedOf(c);
}

/** Leave `value` on a connection a {@linkcode ConnectionMemory} made (see {@linkcode trackedOf}); false otherwise. */
export function keepTracked(c: Connection, value: unknown): boolean {
  return RememberedConnection.keepTracked(c, value);
}

/**
 * The connections one source's last poll made, by socket inode, for
 * direction.ts's `toConnections` to give again when nothing about them changed:
 * a monitor's poll of idle connections then makes no new objects. A
 * connection given again keeps the time stamp of the poll that made it (when
 * it was first seen as it is); whoever reports it as news stamps it anew.
 * Its connections are {@linkcode RememberedConnection}s: each is its own entry.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { ConnectionMemory } from "./connection_memory.ts";
 * import { toConnections } from "./direction.ts";
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", pid: 42, process_name: "curl",
 *   process_path: null, user: null, inode: 7 };
 * const memory = new ConnectionMemory();
 * const [first] = toConnections([socket], "2026-01-01T00:00:00.000+00:00", memory);
 * const [again] = toConnections([socket], "2026-01-01T00:00:01.000+00:00", memory);
 * const [moved] = toConnections([{ ...socket, status: "CLOSE_WAIT" }], "2026-01-01T00:00:02.000+00:00", memory);
 * deepStrictEqual([again === first, again?.timestamp, moved === first, moved?.timestamp],
 *   [true, "2026-01-01T00:00:00.000+00:00", false, "2026-01-01T00:00:02.000+00:00"]);
 * ```
 */
export class ConnectionMemory {
  /**
   * Polls of every memory, numbered together: a poll's number is no other memory's, so the stamp of a connection
   * kept on a {@linkcode RememberedSocket} says which memory made it, and whether in its last poll.
   */
  static #polls = 0;
  /** Connections of sockets that are not {@linkcode RememberedSocket}s (those hold their own). */
  readonly #connections = new InodeMemory<RememberedConnection>();
  /** This memory's poll before the current one. */
  #last = -1;
  #current = -1;

  /** Start a poll; returns its number. */
  begin(): number {
    this.#last = this.#current;
    return this.#current = this.#connections.begin(++ConnectionMemory.#polls);
  }

  /**
   * The connection the last poll made for this socket's inode, marked as listed again by `poll`. A
   * {@linkcode RememberedSocket} holds its own (kept on it as long as its reader keeps it): one this memory's
   * last poll did not list (the socket was left out of it), or another memory made, counts as none, as the
   * inode's entry would have been forgotten (or was never this memory's).
   */
  get(s: Socket, poll: number): Connection | undefined {
    if (RememberedSocket.is(s)) {
      const made = RememberedSocket.madeOf(s) as RememberedConnection | null;
      if (made === null || (made.seen !== this.#last && made.seen !== poll)) return undefined;
      made.seen = poll;
      return made;
    }
    if (!s.inode) return undefined;
    const known = this.#connections.get(s.inode);
    if (known === undefined) return undefined;
    this.#connections.keep(known, poll);
    return known;
  }

  /** Remember the connection this poll made for this socket's inode (stamped with the poll when it was made). */
  set(s: Socket, connection: RememberedConnection): void {
    if (RememberedSocket.is(s)) RememberedSocket.make(s, connection);
    else if (s.inode) this.#connections.set(s.inode, connection);
  }

  /** End a poll: forget the inodes it did not list. */
  end(poll: number): void {
    this.#connections.end(poll);
  }

  /** Connections remembered by inode (those on {@linkcode RememberedSocket}s are not counted). */
  get size(): number {
    return this.#connections.size;
  }
}
