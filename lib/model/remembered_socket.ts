import type { Family, Protocol, Socket } from "./connection.ts";

/**
 * A socket a reader keeps by inode from one poll to the next (the TCP dump's, lib/parse/inet_diag.ts): a plain
 * socket to every reader (the same own fields, in the same order, as the literal it replaces: JSON, spreads and
 * `Object.keys` see nothing else), which also holds, out of sight, what the layers above keep of its inode: the
 * connection a `ConnectionMemory` made of it (connection_memory.ts) and what a collector knows of its owner
 * ({@linkcode RememberedSocket.ownerOf}). One object per inode, where each layer kept a Map by inode of its own
 * (at 21,000 sockets a Map table is 0.9 MiB, and a lookup per socket per poll).
 *
 * A reader that replaces the socket of an inode (its state changed) carries these over to the new one
 * ({@linkcode RememberedSocket.carry}): they are the inode's, not the object's.
 */
export interface RememberedSocket extends Socket {}

/** The owner stamp of a socket another replaced for its inode (its connection slot then names that one). */
const REPLACED = -1;

export class RememberedSocket {
  /** The connection made of it (see connection_memory.ts). */
  #made: unknown = null;
  /** What a collector knows of the inode's owner (undefined: nothing), and the reading that last listed it. */
  #owner: unknown = undefined;
  #ownerListed = 0;

  constructor(
    protocol: Protocol,
    family: Family,
    local_ip: string,
    local_port: number,
    remote_ip: string | null,
    remote_port: number | null,
    status: string,
    user: string | null,
    inode: number,
    counters: boolean,
  ) {
    // The fields in the order the readers' literals give them (the order JSON writes them in).
    this.protocol = protocol;
    this.family = family;
    this.local_ip = local_ip;
    this.local_port = local_port;
    this.remote_ip = remote_ip;
    this.remote_port = remote_port;
    this.status = status;
    this.pid = null;
    this.process_name = null;
    this.process_path = null;
    this.user = user;
    this.inode = inode;
    // Counters only when they were asked for (`--traffic`): absent otherwise, not undefined.
    if (counters) {
      this.bytes_sent = null;
      this.bytes_received = null;
    }
  }

  /**
   * Carry what the layers keep of an inode from the socket a reader replaces to the one replacing it. The one
   * replaced (which a reading may still hold: an inode listed twice in one dump, in two states) then stands for
   * the new one: what is read or left on it is the new one's, as with a Map by inode.
   */
  static carry(from: RememberedSocket, to: RememberedSocket): void {
    to.#made = from.#made;
    to.#owner = from.#owner;
    to.#ownerListed = from.#ownerListed;
    from.#made = to;
    from.#owner = undefined;
    from.#ownerListed = REPLACED;
  }

  /** The socket that holds what is kept of `s`'s inode: `s`, or the one that replaced it. */
  static #holder(s: RememberedSocket): RememberedSocket {
    while (s.#ownerListed === REPLACED) s = s.#made as RememberedSocket;
    return s;
  }

  /** Whether `s` is a remembered socket. */
  static is(s: Socket): s is RememberedSocket {
    return #made in s;
  }

  /** The connection left on a remembered socket ({@linkcode RememberedSocket.make}); null if none. */
  static madeOf(s: RememberedSocket): unknown {
    return RememberedSocket.#holder(s).#made;
  }

  /** Leave the connection made of a remembered socket on it. */
  static make(s: RememberedSocket, made: unknown): void {
    RememberedSocket.#holder(s).#made = made;
  }

  /** What a collector left of the inode's owner ({@linkcode RememberedSocket.keepOwner}); undefined if nothing. */
  static ownerOf(s: RememberedSocket): unknown {
    return RememberedSocket.#holder(s).#owner;
  }

  /** The reading that last listed the inode, as the collector left it with its owner. */
  static ownerListedOf(s: RememberedSocket): number {
    return RememberedSocket.#holder(s).#ownerListed;
  }

  /** Leave what a collector knows of the inode's owner (undefined: nothing), and the reading that last listed it. */
  static keepOwner(s: RememberedSocket, owner: unknown, listed: number): void {
    const holder = RememberedSocket.#holder(s);
    holder.#owner = owner;
    holder.#ownerListed = listed;
  }

  /** Stamp the reading that last listed the inode (its owner kept). */
  static listOwner(s: RememberedSocket, listed: number): void {
    RememberedSocket.#holder(s).#ownerListed = listed;
  }
}
