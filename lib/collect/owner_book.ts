/**
 * What a live collector knows of each socket's owner from reading to reading: the owner by inode (an inode
 * never changes owner), the last reading that listed each inode, and the new sockets a walk found no process
 * for once. A reading names its sockets from it; a walk, a tracer's hint or `ss -p` adds to it; an inode no
 * reading lists any more is forgotten (see {@linkcode OwnerBook.forgetClosed}).
 */
import type { Socket } from "../model/connection.ts";
import type { RememberedSocket } from "../model/remembered_socket.ts";
import type { OwnerHint } from "./collector.ts";
import { type InodeOwner, InodeOwners, type RememberedSockets } from "./inode_owners.ts";

/** A process that owns a socket, as a walk, `ss -p` or a tracer names it. */
export interface Owner {
  pid: number;
  name: string | null;
}

/** The owner of a socket without a process. */
const NO_OWNER: InodeOwner = Object.freeze({ pid: null, name: null });
/** Processes whose owner objects are kept for sharing (past it, they are made anew). */
const OWNER_OBJECTS_MAX = 10_000;

const NO_SOCKETS: readonly Socket[] = Object.freeze([]);

/** What a collector knows of its sockets' owners (see {@linkcode createOwnerBook}). */
export interface OwnerBook {
  /** Readings made so far (the one under way is `readings + 1` until {@linkcode forgetClosed} counts it). */
  readonly readings: number;
  /** Owners set so far: a reading that waited for a walk sees whether the walk named any. */
  readonly ownersSet: number;
  /** The owner known for a socket's inode (undefined: none known). */
  ownerOf(s: Socket): InodeOwner | undefined;
  /** Whether an owner is known for this inode. */
  has(inode: number): boolean;
  /** Whether a socket's owner is known (or it has no inode to know it by): a socket waiting for a walk is not. */
  ownerKnown(s: Socket): boolean;
  /** Whether reading `reading` listed the inode, with no owner known for it. */
  listedWithoutOwner(inode: number, reading: number): boolean;
  /** Keep what is now known of an inode's owner (null: no process), listed (at least) at `stamp`. */
  setOwner(inode: number, owner: Owner | null, stamp?: number): void;
  /**
   * What a walk says of a socket's owner (null: none), for this reading and the ones after it. `doubt`: a
   * first "none" for a new socket waits for a second walk to confirm it.
   */
  learn(inode: number, owner: Owner | null, doubt: boolean): void;
  /** The owners a tracer's `hint` names for sockets whose owner is not known: no walk is needed for them. */
  takeHints(sockets: readonly Socket[], hint: OwnerHint): void;
  /** Set each socket's owner as known (none where unknown); returns the sockets whose owner is not known. */
  nameOwners(sockets: readonly Socket[]): readonly Socket[];
  /** A socket the dump's memory no longer remembers: its owner, if known, is kept by its inode. */
  forgotten(socket: RememberedSocket, inode: number): void;
  /**
   * Count a reading that listed `sockets` and forget what is known of the inodes it did not list; returns the
   * reading's number.
   */
  forgetClosed(sockets: readonly Socket[]): number;
}

/**
 * The owners a collector knows, kept on the sockets of `memory` (the TCP dump's) where it remembers them and by
 * inode otherwise (see {@linkcode InodeOwners}). One owner object per process (and name) is shared by its
 * sockets.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { createOwnerBook } from "./owner_book.ts";
 * const book = createOwnerBook();
 * const socket = { protocol: "TCP" as const, family: 4 as const, local_ip: "10.0.0.2", local_port: 5000,
 *   remote_ip: "8.8.8.8", remote_port: 443, status: "ESTABLISHED", pid: null, process_name: null,
 *   process_path: null, user: null, inode: 7 };
 * deepStrictEqual(book.nameOwners([socket]), [socket]); // not known yet
 * book.setOwner(7, { pid: 42, name: "curl" });
 * deepStrictEqual([book.nameOwners([socket]), socket.pid], [[], 42]);
 * book.forgetClosed([socket]);
 * book.forgetClosed([]); // the second reading did not list it
 * deepStrictEqual(book.has(7), false);
 * ```
 */
export function createOwnerBook(memory: RememberedSockets | null = null): OwnerBook {
  /**
   * What the collector knows of each inode's owner (`pid` null: no process), and the last reading that listed
   * the inode (or, after a walk named it, the reading after that walk).
   */
  const owners = new InodeOwners(memory);
  /** One owner object per process (and name), shared by its sockets. */
  const ownerObjects = new Map<number, InodeOwner>();
  const ownerObject = (owner: Owner | null): InodeOwner => {
    if (owner === null) return NO_OWNER;
    const known = ownerObjects.get(owner.pid);
    if (known !== undefined && known.name === owner.name) return known;
    if (ownerObjects.size >= OWNER_OBJECTS_MAX) ownerObjects.clear();
    const made = { pid: owner.pid, name: owner.name };
    ownerObjects.set(owner.pid, made);
    return made;
  };
  // The reading that last listed each inode without a known owner (an owned inode's stamp is in its entry): a
  // reading builds no set of the inodes it lists (20,000 a second at 10,000 connections) to forget the others.
  const listedAt = new Map<number, number>();
  /** Readings made so far. */
  let readings = 0;
  let ownersSet = 0;
  const setOwner = (inode: number, owner: Owner | null, stamp = 0) => {
    ownersSet++;
    const at = Math.max(owners.listedAt(inode) ?? 0, listedAt.get(inode) ?? 0, stamp);
    listedAt.delete(inode);
    owners.set(inode, ownerObject(owner), at);
  };
  /** New sockets a walk found no process for once: the next walk says whether that stands. */
  const unconfirmed = new Set<number>();
  /** The last reading that listed an inode (-1: none remembered). */
  const lastListed = (inode: number) => owners.listedAt(inode) ?? listedAt.get(inode) ?? -1;

  return {
    get readings() {
      return readings;
    },
    get ownersSet() {
      return ownersSet;
    },
    ownerOf: (s) => owners.of(s),
    has: (inode) => owners.has(inode),
    ownerKnown: (s) => !s.inode || owners.of(s) !== undefined,
    listedWithoutOwner: (inode, reading) => !owners.has(inode) && listedAt.get(inode) === reading,
    setOwner,
    learn: (inode, owner, doubt) => {
      // A socket made while the walk ran (after its scan of /proc, before its socket list) shows no process:
      // a new socket's first "none" waits for a second walk to confirm it (the start's walk is believed).
      if (owner === null && doubt && !owners.has(inode) && !unconfirmed.has(inode)) {
        unconfirmed.add(inode);
        listedAt.set(inode, Math.max(listedAt.get(inode) ?? 0, readings + 1));
        return;
      }
      unconfirmed.delete(inode);
      // Kept until a reading after the walk leaves it out: a socket that opened after the reading's listing
      // (a listener the kernel's dump missed) is named for the next one, not forgotten and walked for again.
      // Not one without a process: it may have opened after the walk read the processes.
      setOwner(inode, owner, owner === null ? 0 : readings + 1);
    },
    takeHints: (sockets, hint) => {
      for (const s of sockets) {
        if (!s.inode || owners.of(s) !== undefined) continue;
        const owner = hint(s);
        if (owner !== undefined) setOwner(s.inode, owner);
      }
    },
    nameOwners: (sockets) => {
      let unknown: Socket[] | null = null;
      // Indexed, not for-of: Maglev (the top tier under --max-opt=2) keeps the array iterator's calls, a loop
      // over 21,000 sockets a poll at 10k then costs three times an indexed one (Turbofan: the same).
      for (let i = 0; i < sockets.length; i++) {
        const s = sockets[i]!;
        if (!s.inode) continue;
        const owner = owners.of(s);
        if (owner === undefined) (unknown ??= []).push(s);
        s.pid = owner?.pid ?? null;
        s.process_name = owner?.name ?? null;
      }
      return unknown ?? NO_SOCKETS;
    },
    forgotten: (socket, inode) => owners.forgotten(socket, inode),
    forgetClosed: (sockets) => {
      const reading = ++readings;
      for (let i = 0; i < sockets.length; i++) {
        const s = sockets[i]!;
        if (s.inode && !owners.list(s, reading)) listedAt.set(s.inode, reading);
      }
      // When this pass stamped all owners (a poll in which nothing closed), none is forgotten and none looked at.
      owners.forgetUnlisted(reading);
      unconfirmed.forEach((inode) => {
        if (lastListed(inode) < reading) unconfirmed.delete(inode);
      });
      listedAt.forEach((at, inode) => {
        if (at < reading) listedAt.delete(inode);
      });
      return reading;
    },
  };
}
