import type { Socket } from "../model/connection.ts";
import { RememberedSocket } from "../model/remembered_socket.ts";

/** A socket's owner as a collector knows it: `pid` null when it has no process. */
export interface InodeOwner {
  readonly pid: number | null;
  readonly name: string | null;
}

/** An owner of an inode no remembered socket holds, and the last reading that listed the inode. */
interface Entry {
  owner: InodeOwner;
  listedAt: number;
}

/** The sockets a reader remembers by inode (the dump's memory): where an inode's owner is kept first. */
export interface RememberedSockets {
  get(inode: number): RememberedSocket | undefined;
  forEach(each: (socket: RememberedSocket, inode: number) => void): void;
  readonly size: number;
}

/**
 * What a collector knows of each inode's owner, and the last reading that listed the inode: on the inode's
 * {@linkcode RememberedSocket} when its reader remembers one (the TCP dump's sockets: no Map entry, nor a record,
 * per socket, and no lookup per socket per poll), in a Map by inode otherwise (UDP's text, the walks' listeners,
 * an inode a walk named before a reading listed it, a socket its reader forgot: `forgotten`). As a Map by inode
 * of `{ owner, listedAt }` behaves: the same owners by inode, forgotten at the same readings.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { InodeOwners } from "./inode_owners.ts";
 * const owners = new InodeOwners();
 * owners.set(7, { pid: 42, name: "curl" }, 1);
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", pid: null, process_name: null,
 *   process_path: null, user: null, inode: 7 };
 * deepStrictEqual([owners.of(socket)?.pid, owners.list(socket, 2)], [42, true]);
 * owners.forgetUnlisted(2);
 * deepStrictEqual(owners.listedAt(7), 2);
 * owners.forgetUnlisted(3); // reading 3 did not list it
 * deepStrictEqual([owners.of(socket), owners.has(7)], [undefined, false]);
 * ```
 */
export class InodeOwners {
  readonly #sockets: RememberedSockets | null;
  readonly #others = new Map<number, Entry>();
  /** Owners {@linkcode list} stamped in the current reading: remembered sockets', the others'. */
  #stampedSockets = 0;
  #stampedOthers = 0;

  /** `sockets`: the remembered sockets of the collector's reader, if it has any. */
  constructor(sockets: RememberedSockets | null = null) {
    this.#sockets = sockets;
  }

  /** The owner known for a socket's inode (undefined: none known). */
  of(s: Socket): InodeOwner | undefined {
    if (RememberedSocket.is(s)) return this.#ofRemembered(s, s.inode!);
    return s.inode ? this.#others.get(s.inode)?.owner : undefined;
  }

  /** The owner known for an inode (undefined: none known). */
  ofInode(inode: number): InodeOwner | undefined {
    const socket = this.#sockets?.get(inode);
    if (socket !== undefined) return this.#ofRemembered(socket, inode);
    return this.#others.get(inode)?.owner;
  }

  /** Whether an owner is known for this inode. */
  has(inode: number): boolean {
    return this.ofInode(inode) !== undefined;
  }

  /** The last reading that listed an inode whose owner is known (undefined: none known). */
  listedAt(inode: number): number | undefined {
    const socket = this.#sockets?.get(inode);
    if (socket !== undefined && this.#ofRemembered(socket, inode) !== undefined) {
      return RememberedSocket.ownerListedOf(socket);
    }
    return this.#others.get(inode)?.listedAt;
  }

  /** Keep an inode's owner, listed last by reading `listedAt`. */
  set(inode: number, owner: InodeOwner, listedAt: number): void {
    const socket = this.#sockets?.get(inode);
    if (socket === undefined) {
      this.#others.set(inode, { owner, listedAt });
      return;
    }
    RememberedSocket.keepOwner(socket, owner, listedAt);
    if (this.#others.size > 0) this.#others.delete(inode);
  }

  /**
   * A reading lists a socket: its owner's stamp becomes `reading` (the current one, or the one a walk that
   * named it stamped already). False when no owner is known.
   */
  list(s: Socket, reading: number): boolean {
    if (RememberedSocket.is(s)) {
      if (this.#ofRemembered(s, s.inode!) === undefined) return false;
      if (RememberedSocket.ownerListedOf(s) < reading) {
        RememberedSocket.listOwner(s, reading);
        this.#stampedSockets++;
      }
      return true;
    }
    const entry = this.#others.get(s.inode!);
    if (entry === undefined) return false;
    if (entry.listedAt < reading) {
      entry.listedAt = reading;
      this.#stampedOthers++;
    }
    return true;
  }

  /**
   * Forget the owners of inodes no reading listed since `reading` (nor a walk named for it). Only when the
   * readings' {@linkcode list} did not stamp them all: a poll in which nothing closed looks at none.
   */
  forgetUnlisted(reading: number): void {
    const sockets = this.#sockets;
    // Every remembered socket stamped by this reading: each has an owner listed now (a reading's sockets are
    // all its reader remembers; those it left out, held back for a walk, were not stamped).
    if (sockets !== null && this.#stampedSockets < sockets.size) {
      sockets.forEach((socket) => {
        const owner = RememberedSocket.ownerOf(socket);
        if (owner !== undefined && RememberedSocket.ownerListedOf(socket) < reading) {
          RememberedSocket.keepOwner(socket, undefined, 0);
        }
      });
    }
    const others = this.#others;
    if (this.#stampedOthers < others.size) {
      others.forEach((entry, inode) => {
        if (entry.listedAt < reading) others.delete(inode);
      });
    }
    this.#stampedSockets = 0;
    this.#stampedOthers = 0;
  }

  /** A socket its reader no longer remembers: its inode's owner, if known, is kept by inode. */
  forgotten(socket: RememberedSocket, inode: number): void {
    const owner = RememberedSocket.ownerOf(socket) as InodeOwner | undefined;
    if (owner !== undefined) {
      this.#others.set(inode, { owner, listedAt: RememberedSocket.ownerListedOf(socket) });
    }
  }

  /** The owner on a remembered socket, taking over one kept by its inode before the socket was read. */
  #ofRemembered(s: RememberedSocket, inode: number): InodeOwner | undefined {
    const owner = RememberedSocket.ownerOf(s) as InodeOwner | undefined;
    if (owner !== undefined || this.#others.size === 0) return owner;
    const entry = this.#others.get(inode);
    if (entry === undefined) return undefined;
    this.#others.delete(inode);
    RememberedSocket.keepOwner(s, entry.owner, entry.listedAt);
    return entry.owner;
  }
}
